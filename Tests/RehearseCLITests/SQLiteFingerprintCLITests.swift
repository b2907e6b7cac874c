import Foundation
import Testing

/// Issue 17 as a user meets it: residues in the header and ANALYZE's tables
/// fail the run and the drift report says what and where, with before and
/// after; `rehearse fingerprint` tells the states apart.
@Suite struct SQLiteFingerprintCLITests {
    @Test func headerAndStatisticsResidueExitOneNamingEach() throws {
        let s = Scratch()
        let rollback = try String(contentsOf: CLI.root.appendingPathComponent("surrogates/commerce/rollback.sql"), encoding: .utf8)
        let surrogate = try s.commerce(replacing: "rollback.sql", with: rollback + "\nPRAGMA user_version = 3;\nANALYZE;\n")
        let r = try CLI.run(["--surrogate", surrogate, "--scale", "0.05", "--out", s.path("run")], environment: s.env)
        #expect(r.status == 1, "\(r.all)")
        #expect(r.stdout.contains("schema  database header changed: user_version: 0 → 3"), "\(r.stdout)")
        #expect(r.stdout.contains("schema  statistics sqlite_stat1 added: ANALYZE statistics left behind (10 rows)"), "\(r.stdout)")
        #expect(r.stdout.contains("Verdict: FAIL (evidence valid)"))
        #expect(s.leftovers.isEmpty)
    }

    /// Needs the sqlite3 shell to change the header of a file from outside.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3"), "needs /usr/bin/sqlite3"))
    func fingerprintCommandSeesTheHeader() throws {
        let s = Scratch()
        let file = s.path("db.sqlite")
        let generate = try CLI.run(["generate", "--surrogate", "commerce", "--scale", "0.02", "--out", file, "--quiet"], environment: s.env)
        #expect(generate.status == 0, "\(generate.all)")
        func schemaLine() throws -> String {
            let r = try CLI.run(["fingerprint", file])
            #expect(r.status == 0, "\(r.all)")
            return r.stdout.split(separator: "\n").first.map(String.init) ?? ""
        }
        let before = try schemaLine()
        let db = Process()
        db.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        db.arguments = [file, "PRAGMA application_id = 42;"]
        try db.run()
        db.waitUntilExit()
        #expect(db.terminationStatus == 0)
        let after = try schemaLine()
        #expect(before.hasPrefix("schema "))
        #expect(before != after)
    }
}
