import Foundation
import Testing

/// Hostile inputs through the built binary (issue 9, classes 3 and 5): each is
/// refused with its documented exit status and words, before anything is
/// provisioned, leaving no scratch directory and no run folder.
@Suite struct AdversarialInputCLITests {
    /// A PostgreSQL address where no server listens (an empty socket
    /// directory: the address check wants it to exist): a run that reached
    /// provisioning would exit 4, so exit 2 or 3 proves it stopped before.
    static func nowhere(_ s: Scratch) throws -> String {
        let directory = s.path("no-server")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return "host=\(directory) port=5432 user=nobody dbname=postgres"
    }

    func expectRefused(_ s: Scratch, _ surrogate: String, status: Int32, postgres: Bool = false, _ words: String...,
                       sourceLocation: SourceLocation = #_sourceLocation) throws {
        var args = ["--surrogate", surrogate, "--scale", "0.05", "--out", s.path("run")]
        if postgres { args += ["--engine", "postgres", "--pg-url", try Self.nowhere(s)] }
        let r = try CLI.run(args, environment: s.env)
        #expect(r.status == status, "\(r.all)", sourceLocation: sourceLocation)
        for w in words { #expect(r.stderr.contains(w), "'\(w)' not in: \(r.stderr)", sourceLocation: sourceLocation) }
        #expect(!r.all.contains("NSCocoaErrorDomain") && !r.all.contains("Error Domain"), sourceLocation: sourceLocation)
        #expect(!FileManager.default.fileExists(atPath: s.path("run")), "no run folder", sourceLocation: sourceLocation)
        #expect(s.leftovers.isEmpty, "no scratch directory: \(s.leftovers)", sourceLocation: sourceLocation)
    }

    func setManifest(_ dir: String, _ from: String, _ to: String) throws {
        let url = URL(fileURLWithPath: dir).appendingPathComponent("manifest.yaml")
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(text.contains(from))
        try text.replacingOccurrences(of: from, with: to).write(to: url, atomically: true, encoding: .utf8)
    }

    @Test func aManifestReachingForShadowIsRefusedAndNothingIsCopied() throws {
        let s = Scratch()
        let dir = try s.commerce()
        try setManifest(dir, "after_rollback: checks/after-rollback.sql", "after_rollback: ../../../../../../../../etc/shadow")
        try expectRefused(s, dir, status: 2, "manifest.yaml: 'checks.after_rollback' names ../../../../../../../../etc/shadow",
                          "lies outside the surrogate directory", "(resolved: /etc/shadow)")
        try expectRefused(s, dir, status: 2, postgres: true, "lies outside the surrogate directory")
    }

    @Test func anAbsolutePathIsRefused() throws {
        let s = Scratch()
        let dir = try s.commerce()
        try setManifest(dir, "birth: birth.sql", "birth: /etc/passwd")
        try expectRefused(s, dir, status: 2, "'birth' names the absolute path /etc/passwd", "relative to the surrogate directory")
    }

    @Test func aSymbolicLinkAFIFOAndAnOversizedFileAreRefused() throws {
        let s = Scratch()
        let dir = try s.commerce()
        let birth = URL(fileURLWithPath: dir).appendingPathComponent("birth.sql")
        try FileManager.default.removeItem(at: birth)
        try FileManager.default.createSymbolicLink(atPath: birth.path, withDestinationPath: "/etc/passwd")
        try expectRefused(s, dir, status: 2, "'birth' names birth.sql, which is a symbolic link")
        try FileManager.default.removeItem(at: birth)
        #expect(mkfifo(birth.path, 0o644) == 0)
        try expectRefused(s, dir, status: 2, "is a FIFO (named pipe), not a regular file")
        try FileManager.default.removeItem(at: birth)
        #expect(FileManager.default.createFile(atPath: birth.path, contents: nil))
        #expect(truncate(birth.path, off_t(65 << 20)) == 0)
        try expectRefused(s, dir, status: 2, "more than the 64 MiB limit")
    }

    @Test func aNULByteInBirthIsRefusedWithItsOffsetOnBothEngines() throws {
        let s = Scratch()
        let dir = try s.commerce()
        let bytes = Array("ALTER TABLE customers ADD COLUMN x int;\n".utf8) + [0] + Array("DROP TABLE customers;\n".utf8)
        try Data(bytes).write(to: URL(fileURLWithPath: dir).appendingPathComponent("birth.sql"))
        try expectRefused(s, dir, status: 2, "birth.sql: byte offset 40 (line 2, column 1): a NUL byte")
        try expectRefused(s, dir, status: 2, postgres: true, "birth.sql: byte offset 40 (line 2, column 1): a NUL byte")
    }

    @Test func invalidUTF8AndCROnlyLineEndsAreRefused() throws {
        let s = Scratch()
        let dir = try s.commerce()
        let rollback = URL(fileURLWithPath: dir).appendingPathComponent("rollback.sql")
        try Data(Array("SELECT '".utf8) + [0xED, 0xA0, 0x80] + Array("';\n".utf8)).write(to: rollback)
        try expectRefused(s, dir, status: 2, "rollback.sql: byte offset 8 (line 1, column 9)", "surrogate")
        try Data("-- comment\rDROP TABLE customers;\n".utf8).write(to: rollback)
        try expectRefused(s, dir, status: 2, "rollback.sql: byte offset 10", "carriage return not followed by a line feed")
        try Data([0xEF, 0xBB, 0xBF] + Array("SELECT 1;\n".utf8)).write(to: rollback)
        try expectRefused(s, dir, status: 2, "byte order mark")
    }

    @Test func aSchemaHoldingRowsIsRefusedWithExit3() throws {
        let s = Scratch()
        let dir = try s.commerce()
        let schema = URL(fileURLWithPath: dir).appendingPathComponent("schema.sql")
        let lines = try String(contentsOf: schema, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).count
        try (try String(contentsOf: schema, encoding: .utf8) + "\nINSERT INTO customers (id, email) VALUES (1, 'real.person@example.com');\n")
            .write(to: schema, atomically: true, encoding: .utf8)
        try expectRefused(s, dir, status: 3, "schema.sql:\(lines + 1):1: it writes rows (INSERT)", "HOLD_REAL_DATA")
        let pg = URL(fileURLWithPath: dir).appendingPathComponent("schema.postgres.sql")
        let pgLines = try String(contentsOf: pg, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).count
        try (try String(contentsOf: pg, encoding: .utf8) + "\nCOPY customers (id, email) FROM stdin;\n1\treal.person@example.com\n\\.\n")
            .write(to: pg, atomically: true, encoding: .utf8)
        try expectRefused(s, dir, status: 3, postgres: true, "schema.postgres.sql:\(pgLines + 1):1: it writes rows (COPY)")
    }

    @Test(// Skipped where the PostgreSQL server is not installed.
          .enabled(if: PostgresServer.found(.test), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"))
    func rowsADOBlockWritesAreCaughtAfterTheLoadWithExit3() throws {
        let s = Scratch()
        let dir = try s.commerce()
        let schema = URL(fileURLWithPath: dir).appendingPathComponent("schema.postgres.sql")
        try (try String(contentsOf: schema, encoding: .utf8)
             + "\nCREATE TABLE leak (v text);\nDO $$ BEGIN INSERT INTO leak VALUES ('123-45-6789'), ('987-65-4321'); END $$;\n")
            .write(to: schema, atomically: true, encoding: .utf8)
        let profile = URL(fileURLWithPath: dir).appendingPathComponent("profile.yaml")
        try (try String(contentsOf: profile, encoding: .utf8)).replacingOccurrences(of: "tables:\n", with: "tables:\n  leak:\n    rows: 0\n")
            .write(to: profile, atomically: true, encoding: .utf8)
        let r = try CLI.run(["--engine", "postgres", "--surrogate", dir, "--scale", "0.05", "--out", s.path("run")], environment: s.env)
        #expect(r.status == 3, "\(r.all)")
        #expect(r.stderr.contains("schema.postgres.sql: after the load, table leak holds 2 rows, but the generator wrote 0"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: s.path("run")), "no evidence for a refused load")
        #expect(s.leftovers.isEmpty, "the ephemeral cluster is removed: \(s.leftovers)")
    }

    @Test func generateRefusesASchemaHoldingRowsAndLeavesNoFile() throws {
        let s = Scratch()
        let dir = try s.commerce()
        let schema = URL(fileURLWithPath: dir).appendingPathComponent("schema.sql")
        try (try String(contentsOf: schema, encoding: .utf8) + "\nINSERT INTO customers (id) VALUES (1);\n").write(to: schema, atomically: true, encoding: .utf8)
        let g = try CLI.run(["generate", "--surrogate", dir, "--scale", "0.05", "--out", s.path("g.sqlite")], environment: s.env)
        #expect(g.status == 3, "\(g.all)")
        #expect(g.stderr.contains("it writes rows (INSERT)"))
        #expect(!FileManager.default.fileExists(atPath: s.path("g.sqlite")))
    }
}
