import Foundation
import Testing
@testable import RehearseCore
@testable import RehearseEngine
@testable import RehearseEvidence
@testable import RehearseKit
@testable import RehearsePostgres
@testable import RehearseSQLite
@testable import RehearseSurrogate
@testable import RehearseValidator

/// Red-team findings kept as permanent tests: each once made a lossy rollback
/// PASS, so each must now fail or be refused.
@Suite struct RedTeamRegressionTests {
    static let fixtures = Repo.root.appendingPathComponent("Tests/Fixtures")

    /// The old SQLite data digest summed row hashes lane by lane; a lattice
    /// reduction found 117 rows to delete and 117 to insert whose hashes
    /// cancel, so the ledger's total changed under an unchanged digest. The
    /// ordered digest sees it, and the drift names the table.
    @Test func aRollbackBuiltToCollideWithASummedDigestFails() throws {
        let dir = TempDir()
        let result = try rehearse(Self.fixtures.appendingPathComponent("digest-collision"), in: dir)
        #expect(result.validation.verdict == .fail)
        #expect(result.record.drift?.data.map(\.table) == ["ledger"])
        #expect(result.record.pre?.tables["ledger"]?.rows == result.record.post?.tables["ledger"]?.rows, "the attack keeps the row count")
    }

    /// Rows that compare equal in SQLite but are stored differently (1 and
    /// 1.0, 'a' and 'A' under NOCASE) are ordered by bytes and storage class,
    /// so the digest is a function of the rows alone, whatever their order on
    /// disk, and still tells them apart.
    @Test func theOrderedDigestIgnoresStorageOrderButNotValues() throws {
        let dir = TempDir()
        func digest(_ inserts: [String]) throws -> TableFingerprint? {
            let file = dir.file("d-\(UUID().uuidString).sqlite")
            let db = try SQLiteConnection(path: file.path, create: true)
            try db.execute("CREATE TABLE t (a COLLATE NOCASE, b)")
            for sql in inserts { try db.execute(sql) }
            return try SQLiteFingerprinter(db: db).fingerprint().tables["t"]
        }
        let one = try digest(["INSERT INTO t VALUES ('a', 1)", "INSERT INTO t VALUES ('A', 1.0)", "INSERT INTO t VALUES (NULL, x'01')"])
        let other = try digest(["INSERT INTO t VALUES (NULL, x'01')", "INSERT INTO t VALUES ('A', 1.0)", "INSERT INTO t VALUES ('a', 1)"])
        let swapped = try digest(["INSERT INTO t VALUES ('a', 1.0)", "INSERT INTO t VALUES ('A', 1)", "INSERT INTO t VALUES (NULL, x'01')"])
        #expect(one == other)
        #expect(one != swapped)
        #expect(one?.rows == 3)
    }

    /// A small surrogate written from its parts into `dir`.
    static func surrogate(in dir: TempDir, schema: String, profile: String, birth: String, rollback: String) throws -> URL {
        let url = dir.file("twins")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        let files = ["manifest.yaml": "name: twins\nschema: schema.sql\nprofile: profile.yaml\nbirth: birth.sql\nrollback: rollback.sql\nseed: 1\n",
                     "schema.sql": schema, "profile.yaml": profile, "birth.sql": birth, "rollback.sql": rollback]
        for (name, text) in files { try text.write(to: url.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        return url
    }

    static func expectTwinsStopTheRun(_ body: () throws -> RehearsalResult, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let result = try body()
            Issue.record("the run ended with \(result.validation.verdict.rawValue) instead of stopping", sourceLocation: sourceLocation)
        } catch let error as RehearseError {
            #expect(error.code == .rehearsalFailed, sourceLocation: sourceLocation)
            #expect(error.message.contains("different Unicode spellings"), "\(error.message)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    /// SQLite keeps `"café"` (NFC) and `"café"` (e + U+0301) apart, and so
    /// `"Kiosks"` and `"\u{212A}iosks"` (Kelvin sign); a fingerprint keyed by
    /// Swift strings saw one table, so emptying or dropping the other passed.
    @Test(arguments: [("caf\u{E9}", "cafe\u{301}"), ("Kiosks", "\u{212A}iosks")])
    func twinTableNamesStopTheRun(names: (String, String)) throws {
        let dir = TempDir()
        let url = try Self.surrogate(in: dir,
            schema: "CREATE TABLE \"\(names.0)\" (id INTEGER PRIMARY KEY, v TEXT);\nCREATE TABLE \"\(names.1)\" (id INTEGER PRIMARY KEY, v TEXT);\n",
            profile: "tables:\n  \"\(names.0)\":\n    rows: 10\n",
            birth: "DELETE FROM \"\(names.1)\";\n", rollback: "SELECT 1;\n")
        Self.expectTwinsStopTheRun { try rehearse(url, in: dir) }
    }

    /// The same on PostgreSQL, for a trigger the birth adds beside a twin of
    /// the schema's own (it would silence every DELETE) and the rollback keeps.
    @Test(// Skipped where the PostgreSQL server is not installed.
          .enabled(if: PostgresServer.found(.test), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"))
    func aTwinTriggerStopsThePostgresRun() throws {
        let dir = TempDir()
        let url = try Self.surrogate(in: dir,
            schema: """
                CREATE TABLE t (id integer PRIMARY KEY, v text);
                CREATE FUNCTION "f_caf\u{E9}"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
                CREATE TRIGGER "tr_caf\u{E9}" BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION "f_caf\u{E9}"();

                """,
            profile: "tables:\n  t:\n    rows: 10\n",
            birth: "CREATE TRIGGER \"tr_cafe\u{301}\" BEFORE DELETE ON t FOR EACH ROW EXECUTE FUNCTION \"f_caf\u{E9}\"();\n",
            rollback: "SELECT 1;\n")
        Self.expectTwinsStopTheRun { try rehearsePostgres(url, in: dir) }
    }

    /// Replay runs a run folder's scripts; one whose sealed manifest asks for
    /// the PostgreSQL superuser (who can run programs through COPY … FROM
    /// PROGRAM) is refused before anything is provisioned.
    @Test(// Skipped where the PostgreSQL server is not installed.
          .enabled(if: PostgresServer.found(.test), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"))
    func replayRefusesASuperuserRunFolder() throws {
        let dir = TempDir()
        let url = Repo.copy("commerce", into: dir)
        let manifest = url.appendingPathComponent("manifest.yaml")
        try (String(contentsOf: manifest, encoding: .utf8) + "postgres_superuser: true\n").write(to: manifest, atomically: true, encoding: .utf8)
        let result = try rehearsePostgres(url, in: dir, scale: 0.02)
        let findings = try Replay.check(runDirectory: result.runDirectory, scratchParent: dir.url)
        #expect(findings.map(\.rule) == [Replay.rule])
        #expect(findings.first?.message.contains("postgres_superuser: true") == true, "\(findings)")
    }

    /// A SQLite script that commits the rehearsal's transaction and opens a
    /// new one at its end (`COMMIT; …; BEGIN;`) ran its middle outside it and
    /// passed; the transaction must be open after every statement.
    @Test func aScriptThatLeavesAndReentersItsTransactionFails() throws {
        let dir = TempDir()
        let url = Repo.copy("commerce", into: dir)
        let rollback = url.appendingPathComponent("rollback.sql")
        try ("COMMIT;\n" + String(contentsOf: rollback, encoding: .utf8) + "\nBEGIN;\n").write(to: rollback, atomically: true, encoding: .utf8)
        let result = try rehearse(url, in: dir, scale: 0.05)
        #expect(result.validation.verdict == .fail)
        let failure = try #require(result.record.failure)
        #expect(failure.0 == .rollback)
        #expect(failure.1.contains("rollback.sql:1:1") && failure.1.contains("ended the surrounding transaction"), "\(failure.1)")
    }

    /// A birth that leaves rows pointing at deleted parents fails at the
    /// full foreign-key check before commit, naming child and parent.
    @Test func aBirthThatOrphansRowsFails() throws {
        let dir = TempDir()
        let url = Repo.copy("commerce", into: dir)
        try "DELETE FROM customers WHERE id IN (SELECT customer_id FROM orders LIMIT 1);\n"
            .write(to: url.appendingPathComponent("birth.sql"), atomically: true, encoding: .utf8)
        let result = try rehearse(url, in: dir, scale: 0.05)
        #expect(result.validation.verdict == .fail)
        let failure = try #require(result.record.failure)
        #expect(failure.0 == .birth)
        #expect(failure.1.contains("reference missing rows of customers"), "\(failure.1)")
    }
}
