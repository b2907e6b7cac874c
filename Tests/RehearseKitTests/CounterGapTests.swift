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
        shapedSurrogate(dir, schema: "CREATE TABLE invoices (id INTEGER PRIMARY KEY AUTOINCREMENT, number TEXT NOT NULL, total INTEGER NOT NULL);\n", profile: "tables:\n  invoices: { rows: 20 }\n", name: "s",
                        birth: birth, rollback: rollback, seed: 3)
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
        let url = shapedSurrogate(dir, schema: "CREATE TABLE invoices (id bigserial PRIMARY KEY, total integer NOT NULL);\n", profile: "tables:\n  invoices: { rows: 20 }\n", name: "p",
                                  birth: "ALTER TABLE invoices ADD COLUMN currency text NOT NULL DEFAULT 'EUR';\n", rollback: "ALTER TABLE invoices DROP COLUMN currency;\nSELECT setval('invoices_id_seq', (SELECT max(id) FROM invoices));\n", seed: 3)
        let result = try rehearsePostgres(url, in: dir)
        #expect(result.record.verdict == .fail, "\(String(describing: result.record.drift))")
        #expect(result.validation.isValid, "\(result.validation.findings)")
    }
}
