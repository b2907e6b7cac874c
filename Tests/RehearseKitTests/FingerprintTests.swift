import Testing
@testable import RehearseCore
@testable import RehearseEngine
@testable import RehearseEvidence
@testable import RehearseKit
@testable import RehearsePostgres
@testable import RehearseSQLite
@testable import RehearseSurrogate
@testable import RehearseValidator

@Suite struct FingerprintTests {
    func database(_ dir: TempDir, _ name: String = "f.sqlite", _ sql: String) throws -> SQLiteConnection {
        let db = try SQLiteConnection(path: dir.file(name).path)
        try db.execute(sql)
        return db
    }

    func fingerprint(_ db: SQLiteConnection) throws -> Fingerprint { try SQLiteFingerprinter(db: db).fingerprint() }

    @Test(arguments: ["1", "1.0", "'1'", "x'31'", "NULL"])
    func eachStorageClassDigestsDifferently(literal: String) throws {
        let dir = TempDir()
        let others = ["1", "1.0", "'1'", "x'31'", "NULL"].filter { $0 != literal }
        let a = try fingerprint(database(dir, "a.sqlite", "CREATE TABLE t (v); INSERT INTO t VALUES (\(literal));"))
        for other in others {
            let b = try fingerprint(database(dir, "b-\(other.hashValue).sqlite", "CREATE TABLE t (v); INSERT INTO t VALUES (\(other));"))
            #expect(a.tables["t"]?.digest != b.tables["t"]?.digest, "\(literal) and \(other) must not collide")
            #expect(a.tables["t"]?.rows == 1)
        }
    }

    @Test func rowOrderDoesNotMatterButDuplicatesDo() throws {
        let dir = TempDir()
        let a = try fingerprint(database(dir, "a.sqlite", "CREATE TABLE t (v); INSERT INTO t VALUES (1),(2),(3);"))
        let b = try fingerprint(database(dir, "b.sqlite", "CREATE TABLE t (v); INSERT INTO t VALUES (3),(1),(2);"))
        let c = try fingerprint(database(dir, "c.sqlite", "CREATE TABLE t (v); INSERT INTO t VALUES (1),(2),(3),(3);"))
        let d = try fingerprint(database(dir, "d.sqlite", "CREATE TABLE t (v); INSERT INTO t VALUES (1),(2),(3),(1),(2),(3);"))
        #expect(a == b)
        #expect(a.tables["t"] != c.tables["t"])
        #expect(a.tables["t"]?.digest != d.tables["t"]?.digest)
    }

    @Test func negativeZeroEqualsZeroAsSQLiteHoldsThem() throws {
        let dir = TempDir()
        let a = try fingerprint(database(dir, "a.sqlite", "CREATE TABLE t (v REAL); INSERT INTO t VALUES (0.0);"))
        let b = try fingerprint(database(dir, "b.sqlite", "CREATE TABLE t (v REAL); INSERT INTO t VALUES (-0.0);"))
        #expect(a == b)
    }

    @Test func layoutQuotingAndCaseOfDefinitionsAreNotDrift() throws {
        let dir = TempDir()
        let a = try fingerprint(database(dir, "a.sqlite", """
            CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT CHECK (length(v) > 2));
            CREATE INDEX ix ON t (v);
            CREATE VIEW w AS SELECT id FROM t WHERE v = 'Abc';
            """))
        let b = try fingerprint(database(dir, "b.sqlite", """
            create table "t" (
                id integer primary key,   -- the key
                v text check(length("v")>2)
            );
            CREATE INDEX "ix" ON t(v);
            create view [w] as select   id from T where v = 'Abc';
            """))
        #expect(a.objects == b.objects)
        #expect(a.schemaDigest == b.schemaDigest)
    }

    @Test(arguments: [
        ("column moved", "CREATE TABLE t (id INTEGER PRIMARY KEY, b TEXT, a TEXT);", "column a moved: position 1 → 2"),
        ("type changed", "CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT);", "column a: type TEXT → INTEGER"),
        ("default changed", "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT DEFAULT 'y', b TEXT);", "column a: default 'x' → 'y'"),
        ("collation changed", "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT DEFAULT 'x' COLLATE NOCASE, b TEXT);", "column a: collation BINARY → NOCASE"),
        ("nullability changed", "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT NOT NULL DEFAULT 'x', b TEXT);", "column a: not_null false → true"),
        ("check added", "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT DEFAULT 'x', b TEXT CHECK (b <> ''));", "checks: added check ( b <> '' )"),
    ])
    func schemaChangesAreNamed(label: String, changed: String, detail: String) throws {
        let dir = TempDir()
        let a = try fingerprint(database(dir, "a.sqlite", "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT DEFAULT 'x', b TEXT);"))
        let b = try fingerprint(database(dir, "b.sqlite", changed))
        let drift = Drift(from: a, to: b)
        #expect(drift.schema.count == 1, "\(label)")
        #expect(drift.schema.first?.details.contains(detail) == true, "\(label): \(drift.schema.first?.details ?? [])")
    }

    @Test func indexesViewsAndTriggersAreFingerprinted() throws {
        let dir = TempDir()
        let base = "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);"
        let a = try fingerprint(database(dir, "a.sqlite", base + "CREATE INDEX ix ON t (v); CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END;"))
        let noIndex = try fingerprint(database(dir, "b.sqlite", base + "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END;"))
        let descIndex = try fingerprint(database(dir, "c.sqlite", base + "CREATE INDEX ix ON t (v DESC); CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END;"))
        let otherTrigger = try fingerprint(database(dir, "d.sqlite", base + "CREATE INDEX ix ON t (v); CREATE TRIGGER tr AFTER UPDATE ON t BEGIN SELECT 1; END;"))
        #expect(Drift(from: a, to: noIndex).schema.map(\.name) == ["ix"])
        #expect(Drift(from: a, to: noIndex).schema.first?.change == .removed)
        #expect(Drift(from: a, to: descIndex).schema.map(\.name) == ["ix"])
        #expect(Drift(from: a, to: otherTrigger).schema.map(\.kind) == ["trigger"])
    }

    /// Issue 17: the planner reads sqlite_stat1, so statistics ANALYZE left
    /// behind are drift, of their own kind, and never table data.
    @Test func plannerStatisticsAreDriftOfTheirOwnKind() throws {
        let dir = TempDir()
        let db = try database(dir, "a.sqlite", "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); CREATE INDEX ix ON t (v); INSERT INTO t (v) VALUES ('a'), ('b');")
        let before = try fingerprint(db)
        try db.execute("ANALYZE")
        let after = try fingerprint(db)
        #expect(after != before)
        #expect(after.tables == before.tables)
        let drift = Drift(from: before, to: after)
        #expect(drift.schema.map { "\($0.kind) \($0.name) \($0.change)" } == ["statistics sqlite_stat1 added"])
        #expect(drift.schema.first?.details == ["ANALYZE statistics left behind (1 rows)"])
    }

    @Test func aColumnThatOnlyMovedKeepsTheDataDigest() throws {
        let dir = TempDir()
        let a = try fingerprint(database(dir, "a.sqlite", "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT); INSERT INTO t VALUES (1, 'x', 'y');"))
        let b = try fingerprint(database(dir, "b.sqlite", "CREATE TABLE t (id INTEGER PRIMARY KEY, b TEXT, a TEXT); INSERT INTO t VALUES (1, 'y', 'x');"))
        #expect(a.tables == b.tables)
        #expect(a.objects != b.objects)
    }
}
