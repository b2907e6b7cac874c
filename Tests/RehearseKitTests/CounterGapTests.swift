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

/// A production counter runs ahead of its rows (deleted rows, rolled-back
/// inserts), so the surrogate's counters are set `counterGap` past the loaded
/// keys. A table rebuild that recomputes the counter from max(id) then hands
/// a deleted id out again, and must FAIL; with the counter at max(id) it
/// PASSed (red team X-F5).
@Suite struct CounterGapTests {
    static func rebuild(_ columns: String) -> String {
        """
        CREATE TABLE _tmp_invoices (id INTEGER PRIMARY KEY AUTOINCREMENT, number TEXT NOT NULL, total INTEGER NOT NULL\(columns));
        INSERT INTO _tmp_invoices (id, number, total) SELECT id, number, total FROM invoices;
        DROP TABLE invoices;
        ALTER TABLE _tmp_invoices RENAME TO invoices;

        """
    }

    static func surrogate(in dir: TempDir, birth: String, rollback: String) throws -> URL {
        let url = dir.file("s")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try "name: counter\nschema: schema.sql\nprofile: profile.yaml\nbirth: birth.sql\nrollback: rollback.sql\nseed: 3\nscale: 1\n"
            .write(to: url.appendingPathComponent("manifest.yaml"), atomically: true, encoding: .utf8)
        try replace("schema.sql", in: url, with: "CREATE TABLE invoices (id INTEGER PRIMARY KEY AUTOINCREMENT, number TEXT NOT NULL, total INTEGER NOT NULL);\n")
        try replace("profile.yaml", in: url, with: "tables:\n  invoices: { rows: 20 }\n")
        try replace("birth.sql", in: url, with: birth)
        try replace("rollback.sql", in: url, with: rollback)
        return url
    }

    @Test func theGeneratedCounterRunsAheadOfTheRows() throws {
        let dir = TempDir()
        let url = try Self.surrogate(in: dir, birth: "CREATE INDEX i ON invoices (total);\n", rollback: "DROP INDEX i;\n")
        _ = try SurrogateGenerator.generate(SurrogateSource(directory: url), to: dir.file("g.sqlite"))
        let db = try SQLiteConnection(path: dir.file("g.sqlite").path)
        #expect(try db.int("SELECT seq FROM sqlite_sequence WHERE name = 'invoices'") == (try db.int("SELECT max(id) FROM invoices")) + SurrogatePlan.currentCounterGap)
    }

    @Test func aRebuildThatResetsTheCounterFails() throws {
        let dir = TempDir()
        let url = try Self.surrogate(in: dir, birth: Self.rebuild(", currency TEXT NOT NULL DEFAULT 'EUR'"), rollback: Self.rebuild(""))
        let result = try rehearse(url, in: dir)
        #expect(result.record.verdict == .fail)
        #expect(result.validation.isValid, "\(result.validation.findings)")
        #expect(result.record.drift.map { "\($0)" }?.contains("sqlite_sequence") == true, "\(String(describing: result.record.drift))")
    }

    /// PostgreSQL: a rollback that recreates the table and sets its sequence
    /// from max(id) leaves the sequence behind the production-like gap.
    @Test(.enabled(if: PostgresServer.found(.test), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"))
    func aSequenceSetFromMaxIdFails() throws {
        let dir = TempDir()
        let url = dir.file("p")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try "name: seq\nschema: schema.sql\nprofile: profile.yaml\nbirth: birth.sql\nrollback: rollback.sql\nseed: 3\nscale: 1\n"
            .write(to: url.appendingPathComponent("manifest.yaml"), atomically: true, encoding: .utf8)
        try replace("schema.sql", in: url, with: "CREATE TABLE invoices (id bigserial PRIMARY KEY, total integer NOT NULL);\n")
        try replace("profile.yaml", in: url, with: "tables:\n  invoices: { rows: 20 }\n")
        try replace("birth.sql", in: url, with: "ALTER TABLE invoices ADD COLUMN currency text NOT NULL DEFAULT 'EUR';\n")
        try replace("rollback.sql", in: url, with: "ALTER TABLE invoices DROP COLUMN currency;\nSELECT setval('invoices_id_seq', (SELECT max(id) FROM invoices));\n")
        let result = try rehearsePostgres(url, in: dir)
        #expect(result.record.verdict == .fail, "\(String(describing: result.record.drift))")
        #expect(result.validation.isValid, "\(result.validation.findings)")
    }
}
