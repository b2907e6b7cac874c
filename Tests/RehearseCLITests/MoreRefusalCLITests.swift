import Foundation
import Testing

@Suite struct MoreRefusalCLITests {
    @Test func jobsBelowOneIsBadInput() throws {
        for command in [["--surrogate", "--jobs", "0"], ["generate", "--out", "/tmp/never.sqlite", "--jobs", "0"]] {
            let r = try CLI.run(command)
            #expect(r.status == 2)
            #expect(r.stderr.contains("--jobs must be 1 or more"))
        }
    }

    @Test func trustFromAFileThatIsNotAPublicKeyIsBadInput() throws {
        let s = Scratch()
        try "{\"hello\":1}".write(toFile: s.path("x.pub"), atomically: true, encoding: .utf8)
        let r = try CLI.run(["keys", "trust", s.path("x.pub")])
        #expect(r.status == 2)
        #expect(r.stderr.contains("not a public key file written by 'rehearse keys generate'"))
        let noKeys = try CLI.run(["keys", "trust"])
        #expect(noKeys.status == 2)
    }

    @Test func validateWithAnUnreadableTrustFileIsBadInput() throws {
        let s = Scratch()
        #expect(try CLI.run(["--scale", "0.05", "--out", s.path("run"), "-q"], environment: s.env).status == 0)
        let r = try CLI.run(["validate", s.path("run"), "--trust", s.path("missing.json")])
        #expect(r.status == 2)
        #expect(r.stderr.contains("the trust file is missing or unreadable"))
    }

    /// attack-15 L1: a surrogate schema carrying literal rows in a view is
    /// refused before anything is provisioned (exit 3), naming the view and
    /// its line, never showing the values; no run folder, nothing left.
    @Test func aViewOfLiteralRowsUnderHoldIsRefused() throws {
        let s = Scratch()
        let dir = try s.commerce()
        var lines: [String: Int] = [:]
        for file in ["schema.sql", "schema.postgres.sql"] {
            let text = try String(contentsOfFile: dir + "/" + file, encoding: .utf8)
            lines[file] = text.split(separator: "\n", omittingEmptySubsequences: false).count
            try (text + "CREATE VIEW realrows(id, email, cc) AS VALUES (1, 'alice@corp.example', '4111111111111111');\n")
                .write(toFile: dir + "/" + file, atomically: true, encoding: .utf8)
        }
        for engine in ["sqlite", "postgres"] where engine == "sqlite" || PostgresServer.binariesFound {
            let file = engine == "sqlite" ? "schema.sql" : "schema.postgres.sql"
            let line = lines[file]!
            let r = try CLI.run(["--surrogate", dir, "--engine", engine, "--scale", "0.05", "--out", s.path("run-\(engine)")], environment: s.env)
            #expect(r.status == 3, "\(r.all)")
            #expect(r.stderr.contains("\(file):\(line):1: CREATE VIEW realrows yields rows written in the schema (a VALUES list)"), "\(r.stderr)")
            #expect(!r.all.contains("alice@corp.example") && !r.all.contains("4111111111111111"), "\(r.all)")
            #expect(!FileManager.default.fileExists(atPath: s.path("run-\(engine)")))
            #expect(s.leftovers.isEmpty, "\(s.leftovers)")
        }
    }
}
