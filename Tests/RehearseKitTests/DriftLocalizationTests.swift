import Foundation
import Testing
@testable import RehearseCore
@testable import RehearseEngine
@testable import RehearseEvidence
@testable import RehearseKit
@testable import RehearseSQLite
@testable import RehearseSurrogate

/// Drift localization is one pipeline for both engines (issue 10): SQLite
/// reports key ranges like PostgreSQL, and a locator failure is a note on
/// the drifted table, never an aborted run and never hidden drift.
@Suite struct DriftLocalizationTests {
    /// A locator whose every question fails, as an engine's would on a broken table.
    struct BrokenLocator: DriftLocatorHooks {
        struct Failure: Error, CustomStringConvertible { var description: String { "the engine said no" } }
        func columns(of table: String) throws -> (reference: [DriftColumn], current: Set<String>)? { throw Failure() }
        func wholeRowDifference(_ table: String, columns: [String]) throws -> (added: Int64, removed: Int64) { throw Failure() }
        func removedCount(_ table: String, key: [String]) throws -> Int64 { throw Failure() }
        func addedCount(_ table: String, key: [String]) throws -> Int64 { throw Failure() }
        func changedCounts(_ table: String, key: [String], compared: [String]) throws -> (perColumn: [Int64], changed: Int64) { throw Failure() }
        func changedKeys(_ table: String, key: [String], compared: [String], limit: Int) throws -> [String] { throw Failure() }
        func removedKeys(_ table: String, key: [String], limit: Int) throws -> [String] { throw Failure() }
        func keyRange(_ table: String, key: [String], compared: [String]) throws -> (low: String, high: String)? { throw Failure() }
    }

    static func keyedSurrogate(in dir: TempDir) -> URL {
        dir.write("s/manifest.yaml", "name: keys\nschema: schema.sql\nprofile: profile.yaml\nbirth: birth.sql\nrollback: rollback.sql\nseed: 2\n")
        dir.write("s/schema.sql", """
            CREATE TABLE by_int (id INTEGER PRIMARY KEY, v INTEGER NOT NULL);
            CREATE TABLE by_text (code TEXT PRIMARY KEY, v INTEGER NOT NULL);
            CREATE TABLE by_pair (a INTEGER NOT NULL, b INTEGER NOT NULL, v INTEGER NOT NULL, PRIMARY KEY (a, b));
            CREATE TABLE no_key (v INTEGER NOT NULL);
            """)
        dir.write("s/profile.yaml", """
            tables:
              by_int: { rows: 20, columns: { v: { generator: uniform, min: 1, max: 9 } } }
              by_text: { rows: 20, columns: { code: { generator: sku }, v: { generator: uniform, min: 1, max: 9 } } }
              by_pair: { rows: 20, columns: { v: { generator: uniform, min: 1, max: 9 } } }
              no_key: { rows: 20, columns: { v: { generator: uniform, min: 1, max: 9 } } }
            """)
        dir.write("s/birth.sql", """
            UPDATE by_int SET v = v + 100 WHERE id IN (SELECT id FROM by_int ORDER BY id LIMIT 3);
            UPDATE by_text SET v = v + 100 WHERE code IN (SELECT code FROM by_text ORDER BY code LIMIT 2);
            DELETE FROM by_pair WHERE (a, b) IN (SELECT a, b FROM by_pair ORDER BY a, b LIMIT 1);
            DELETE FROM no_key WHERE rowid = (SELECT min(rowid) FROM no_key);
            """)
        dir.write("s/rollback.sql", "SELECT 1;\n")
        return dir.file("s")
    }

    /// The SQLite twin of `postgresLocalizesRowsByEveryKeyType`.
    @Test func sqliteLocalizesRowsWithKeyRangesLikePostgres() throws {
        let dir = TempDir()
        let result = try rehearse(Self.keyedSurrogate(in: dir), in: dir)
        #expect(result.record.verdict == .fail)
        #expect(result.validation.isValid, "\(result.validation.findings)")
        let data = Dictionary(uniqueKeysWithValues: (result.record.drift?.data ?? []).map { ($0.table, $0) })
        #expect(Set(data.keys) == ["by_int", "by_text", "by_pair", "no_key"])
        #expect(data["by_int"]?.changed == 3)
        #expect(data["by_int"]?.columns == ["v": 3])
        #expect(data["by_int"]?.note?.hasPrefix("differing rows span id ") == true, "\(String(describing: data["by_int"]?.note))")
        #expect(data["by_text"]?.changed == 2)
        #expect(data["by_text"]?.note?.hasPrefix("differing rows span code ") == true)
        #expect(data["by_pair"]?.removed == 1)
        #expect(data["by_pair"]?.sampleKeys.first?.hasPrefix("removed ") == true)
        #expect(data["by_pair"]?.note?.hasPrefix("differing rows span (a, b) (") == true, "\(String(describing: data["by_pair"]?.note))")
        #expect(data["no_key"]?.removed == 1)
        #expect(data["no_key"]?.matchedBy == "whole row (no primary key)")
    }

    /// A table SQLite cannot localize (its reference cannot be read) gets a
    /// note; the run goes on, the other tables are localized, the drift stays.
    @Test func aLocatorFailureOnSQLiteIsANoteNotAnAbortedRun() throws {
        let dir = TempDir()
        let scratch = try SQLiteScratch(keep: false, parent: dir.url)
        defer { scratch.tearDown(keep: false) }
        func build(_ db: SQLiteConnection) throws {
            try db.execute("""
                CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER);
                INSERT INTO t VALUES (1, 10), (2, 20), (3, 30), (4, 40);
                CREATE VIEW broken AS SELECT nosuchfn(v) AS x FROM t;
                """)
        }
        try build(scratch.connect())
        let pre = try scratch.fingerprint()
        try scratch.connect().execute("UPDATE t SET v = v + 1 WHERE id IN (2, 3)")
        var drift = Drift(from: pre, to: try scratch.fingerprint())
        #expect(drift.data.map(\.table) == ["t"])
        // A drifted relation the engine cannot read (its view calls a function
        // that does not exist): the locator's own query fails on it.
        drift.data.append(TableChange(table: "broken", rowsBefore: 4, rowsAfter: 4))
        let localized = try scratch.localize(drift, pre: pre) { reference in
            try build((reference as! SQLiteScratch).connect())
        }
        let data = Dictionary(uniqueKeysWithValues: localized.data.map { ($0.table, $0) })
        #expect(data["t"]?.changed == 2)
        #expect(data["t"]?.note == "differing rows span id 2 to 3")
        #expect(data["broken"]?.note?.hasPrefix("rows could not be localized: ") == true, "\(String(describing: data["broken"]?.note))")
        #expect(data["broken"]?.note?.contains("nosuchfn") == true)
        #expect(data["broken"]?.matchedBy == nil)
        #expect(!localized.isEmpty)
    }

    /// A failed localization keeps the drift (only its detail is missing),
    /// so the verdict stays FAIL and the evidence still names every table.
    @Test func aFailedLocalizationLeavesTheVerdictFail() throws {
        let dir = TempDir()
        let result = try rehearse(Self.keyedSurrogate(in: dir), in: dir)
        var record = result.record
        var drift = try #require(record.drift)
        for i in drift.data.indices {
            let table = drift.data[i].table
            drift.data[i] = TableChange(table: table, rowsBefore: drift.data[i].rowsBefore, rowsAfter: drift.data[i].rowsAfter)
        }
        DriftLocalization.localize(&drift) { BrokenLocator() }
        #expect(drift.data.count == 4)
        #expect(drift.data.allSatisfy { $0.note == "rows could not be localized: the engine said no" && $0.changed == nil && $0.matchedBy == nil })
        record.drift = drift
        #expect(!drift.isEmpty)
        #expect(record.verdict == .fail)

        // A locator that cannot even be made: every table says so.
        var unmade = drift
        DriftLocalization.localize(&unmade) { () throws -> BrokenLocator in throw BrokenLocator.Failure() }
        #expect(unmade.data.count == 4 && unmade.data.allSatisfy { $0.note == "rows could not be localized: the engine said no" })
    }
}
