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

/// The SQLite fingerprint against SQLite's own grammar: the syntax diagrams of
/// CREATE TABLE (column-def, column-constraint, conflict-clause,
/// foreign-key-clause, table-constraint, table-options), CREATE INDEX
/// (indexed-column), CREATE VIEW and CREATE TRIGGER, plus the database header
/// and the tables SQLite keeps for itself. Each clause is changed alone; the
/// fingerprint must change and the drift must name the object. Each spelling
/// SQLite reads alike must leave the fingerprint exactly as it was.
@Suite struct SQLiteFingerprintCoverageTests {
    /// The schema every variant edits: one of each clause the diagrams allow.
    static let base = """
        CREATE TABLE parent (id INTEGER PRIMARY KEY, code TEXT UNIQUE);
        CREATE TABLE t (
            id INTEGER PRIMARY KEY,
            a TEXT NOT NULL,
            b INTEGER UNIQUE,
            c TEXT DEFAULT 'x' COLLATE NOCASE,
            d INTEGER CHECK (d > 0),
            p INTEGER REFERENCES parent (id),
            g INTEGER AS (d * 2),
            e VARCHAR(10),
            f BLOB,
            CONSTRAINT ck CHECK (length(a) > 0),
            UNIQUE (a, e)
        );
        CREATE TABLE s (id INTEGER PRIMARY KEY, v TEXT);
        CREATE INDEX ix ON t (a, b);
        CREATE INDEX ixc ON t (c);
        CREATE VIEW v AS SELECT id, a FROM t WHERE d > 1;
        CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET e = 'new' WHERE id = NEW.id; END;
        INSERT INTO parent VALUES (1, 'p1'), (2, 'p2');
        INSERT INTO t (id, a, b, c, d, p, e, f) VALUES (1, 'one', 10, 'X', 3, 1, 'e1', x'00'), (2, 'two', 20, 'y', 5, 2, 'e2', NULL);
        INSERT INTO s (id, v) VALUES (1, 'v');
        """

    /// One clause changed: `find` replaced by `replace` in the base schema,
    /// or `extra` run after it. `object` is the fingerprint key that must
    /// change.
    struct Variant: CustomTestStringConvertible, Sendable {
        var clause: String
        var find = ""
        var replace = ""
        var extra = ""
        var object: String
        var testDescription: String { clause }
    }

    static func v(_ clause: String, _ find: String, _ replace: String, _ object: String = "table t") -> Variant {
        Variant(clause: clause, find: find, replace: replace, object: object)
    }

    static let variants: [Variant] = [
        // column-def: type-name
        v("type name", "f BLOB", "f TEXT"),
        v("type size argument", "e VARCHAR(10)", "e VARCHAR(20)"),
        v("type with two arguments", "e VARCHAR(10)", "e DECIMAL(10, 2)"),
        v("no type", "f BLOB", "f"),
        // column-constraint: PRIMARY KEY
        v("primary key descending", "id INTEGER PRIMARY KEY,\n    a", "id INTEGER PRIMARY KEY DESC,\n    a"),
        v("primary key autoincrement", "id INTEGER PRIMARY KEY,\n    a", "id INTEGER PRIMARY KEY AUTOINCREMENT,\n    a"),
        v("primary key on conflict replace", "id INTEGER PRIMARY KEY,\n    a", "id INTEGER PRIMARY KEY ON CONFLICT REPLACE,\n    a"),
        v("primary key on conflict ignore", "id INTEGER PRIMARY KEY,\n    a", "id INTEGER PRIMARY KEY ON CONFLICT IGNORE,\n    a"),
        v("primary key on conflict fail", "id INTEGER PRIMARY KEY,\n    a", "id INTEGER PRIMARY KEY ON CONFLICT FAIL,\n    a"),
        v("primary key on conflict rollback", "id INTEGER PRIMARY KEY,\n    a", "id INTEGER PRIMARY KEY ON CONFLICT ROLLBACK,\n    a"),
        // column-constraint: NOT NULL
        v("not null removed", "a TEXT NOT NULL", "a TEXT"),
        v("not null on conflict ignore", "a TEXT NOT NULL", "a TEXT NOT NULL ON CONFLICT IGNORE"),
        v("not null on conflict replace", "a TEXT NOT NULL", "a TEXT NOT NULL ON CONFLICT REPLACE"),
        v("not null on conflict fail", "a TEXT NOT NULL", "a TEXT NOT NULL ON CONFLICT FAIL"),
        v("not null on conflict rollback", "a TEXT NOT NULL", "a TEXT NOT NULL ON CONFLICT ROLLBACK"),
        v("not null added", "b INTEGER UNIQUE", "b INTEGER UNIQUE NOT NULL"),
        // column-constraint: UNIQUE
        v("unique removed", "b INTEGER UNIQUE", "b INTEGER"),
        v("unique on conflict ignore", "b INTEGER UNIQUE", "b INTEGER UNIQUE ON CONFLICT IGNORE"),
        v("unique on conflict replace", "b INTEGER UNIQUE", "b INTEGER UNIQUE ON CONFLICT REPLACE"),
        v("unique on conflict fail", "b INTEGER UNIQUE", "b INTEGER UNIQUE ON CONFLICT FAIL"),
        v("unique on conflict rollback", "b INTEGER UNIQUE", "b INTEGER UNIQUE ON CONFLICT ROLLBACK"),
        // column-constraint: CHECK (a CHECK's name is in its error message)
        v("check expression", "CHECK (d > 0)", "CHECK (d >= 0)"),
        v("check named", "d INTEGER CHECK (d > 0)", "d INTEGER CONSTRAINT positive CHECK (d > 0)"),
        v("check removed", "d INTEGER CHECK (d > 0)", "d INTEGER"),
        // column-constraint: DEFAULT
        v("default literal", "DEFAULT 'x'", "DEFAULT 'y'"),
        v("default expression", "DEFAULT 'x'", "DEFAULT (lower('X'))"),
        v("default signed number", "DEFAULT 'x'", "DEFAULT -1"),
        v("default current time", "DEFAULT 'x'", "DEFAULT CURRENT_TIMESTAMP"),
        v("default removed", "DEFAULT 'x' ", ""),
        v("default added", "f BLOB", "f BLOB DEFAULT x'01'"),
        // column-constraint: COLLATE
        v("collation", "COLLATE NOCASE", "COLLATE RTRIM"),
        v("collation removed", " COLLATE NOCASE", ""),
        // foreign-key-clause
        v("references another column", "REFERENCES parent (id)", "REFERENCES parent (code)"),
        v("references another table", "REFERENCES parent (id)", "REFERENCES s (id)"),
        v("on delete cascade", "REFERENCES parent (id)", "REFERENCES parent (id) ON DELETE CASCADE"),
        v("on delete set null", "REFERENCES parent (id)", "REFERENCES parent (id) ON DELETE SET NULL"),
        v("on delete set default", "REFERENCES parent (id)", "REFERENCES parent (id) ON DELETE SET DEFAULT"),
        v("on delete restrict", "REFERENCES parent (id)", "REFERENCES parent (id) ON DELETE RESTRICT"),
        v("on update cascade", "REFERENCES parent (id)", "REFERENCES parent (id) ON UPDATE CASCADE"),
        v("match full", "REFERENCES parent (id)", "REFERENCES parent (id) MATCH FULL"),
        v("deferrable initially deferred", "REFERENCES parent (id)", "REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED"),
        v("foreign key removed", "p INTEGER REFERENCES parent (id)", "p INTEGER"),
        // column-constraint: GENERATED ALWAYS AS
        v("generated expression", "AS (d * 2)", "AS (d + d)"),
        v("generated stored", "AS (d * 2)", "AS (d * 2) STORED"),
        v("generated becomes stored data", "g INTEGER AS (d * 2)", "g INTEGER"),
        // table-constraint
        v("table check expression", "CHECK (length(a) > 0)", "CHECK (length(a) > 1)"),
        v("table check name", "CONSTRAINT ck CHECK", "CONSTRAINT ck2 CHECK"),
        v("table unique columns reordered", "UNIQUE (a, e)", "UNIQUE (e, a)"),
        v("table unique descending", "UNIQUE (a, e)", "UNIQUE (a, e DESC)"),
        v("table unique collation", "UNIQUE (a, e)", "UNIQUE (a COLLATE NOCASE, e)"),
        v("table unique on conflict", "UNIQUE (a, e)", "UNIQUE (a, e) ON CONFLICT REPLACE"),
        v("table unique removed", ",\n    UNIQUE (a, e)", ""),
        v("table foreign key added", "UNIQUE (a, e)", "UNIQUE (a, e), FOREIGN KEY (e) REFERENCES parent (code) DEFERRABLE INITIALLY DEFERRED"),
        v("table primary key on another column", "CREATE TABLE s (id INTEGER PRIMARY KEY, v TEXT);", "CREATE TABLE s (id INTEGER, v TEXT, PRIMARY KEY (v));", "table s"),
        v("table primary key autoincrement", "CREATE TABLE s (id INTEGER PRIMARY KEY, v TEXT);", "CREATE TABLE s (id INTEGER, v TEXT, PRIMARY KEY (id AUTOINCREMENT));", "table s"),
        v("table primary key on conflict", "CREATE TABLE s (id INTEGER PRIMARY KEY, v TEXT);", "CREATE TABLE s (id INTEGER, v TEXT, PRIMARY KEY (id) ON CONFLICT REPLACE);", "table s"),
        // table-options
        v("without rowid", "CREATE TABLE s (id INTEGER PRIMARY KEY, v TEXT);", "CREATE TABLE s (id INTEGER PRIMARY KEY, v TEXT) WITHOUT ROWID;", "table s"),
        v("strict", "CREATE TABLE s (id INTEGER PRIMARY KEY, v TEXT);", "CREATE TABLE s (id INTEGER PRIMARY KEY, v TEXT) STRICT;", "table s"),
        v("strict and without rowid", "CREATE TABLE s (id INTEGER PRIMARY KEY, v TEXT);", "CREATE TABLE s (id INTEGER PRIMARY KEY, v TEXT) STRICT, WITHOUT ROWID;", "table s"),
        v("column order", "CREATE TABLE s (id INTEGER PRIMARY KEY, v TEXT);", "CREATE TABLE s (v TEXT, id INTEGER PRIMARY KEY);", "table s"),
        v("column name case", "CREATE TABLE s (id INTEGER PRIMARY KEY, v TEXT);", "CREATE TABLE s (id INTEGER PRIMARY KEY, \"V\" TEXT);", "table s"),
        // CREATE INDEX / indexed-column
        v("index unique", "CREATE INDEX ix ON t (a, b);", "CREATE UNIQUE INDEX ix ON t (a, b);", "index ix"),
        v("index columns", "CREATE INDEX ix ON t (a, b);", "CREATE INDEX ix ON t (b, a);", "index ix"),
        v("index descending", "CREATE INDEX ix ON t (a, b);", "CREATE INDEX ix ON t (a, b DESC);", "index ix"),
        v("index collation", "CREATE INDEX ix ON t (a, b);", "CREATE INDEX ix ON t (a COLLATE NOCASE, b);", "index ix"),
        v("index binary on a nocase column", "CREATE INDEX ixc ON t (c);", "CREATE INDEX ixc ON t (c COLLATE BINARY);", "index ixc"),
        v("index expression", "CREATE INDEX ix ON t (a, b);", "CREATE INDEX ix ON t (lower(a), b);", "index ix"),
        v("index partial", "CREATE INDEX ix ON t (a, b);", "CREATE INDEX ix ON t (a, b) WHERE b > 0;", "index ix"),
        v("index table", "CREATE INDEX ixc ON t (c);", "CREATE INDEX ixc ON s (v);", "index ixc"),
        // CREATE VIEW
        v("view column names", "CREATE VIEW v AS", "CREATE VIEW v (x, y) AS", "view v"),
        v("view select", "WHERE d > 1;", "WHERE d > 2;", "view v"),
        v("view string literal", "CREATE VIEW v AS SELECT id, a FROM t WHERE d > 1;", "CREATE VIEW v AS SELECT id, a FROM t WHERE a = 'One';", "view v"),
        // CREATE TRIGGER
        v("trigger before", "AFTER INSERT ON t", "BEFORE INSERT ON t", "trigger tr"),
        v("trigger event delete", "AFTER INSERT ON t", "AFTER DELETE ON t", "trigger tr"),
        v("trigger update of columns", "AFTER INSERT ON t", "AFTER UPDATE OF a ON t", "trigger tr"),
        v("trigger when", "AFTER INSERT ON t BEGIN", "AFTER INSERT ON t WHEN NEW.d > 1 BEGIN", "trigger tr"),
        v("trigger body", "SET e = 'new'", "SET e = 'New'", "trigger tr"),
        v("trigger table", "AFTER INSERT ON t BEGIN UPDATE t", "AFTER INSERT ON s BEGIN UPDATE t", "trigger tr"),
        v("instead of trigger", "CREATE TRIGGER tr AFTER INSERT ON t BEGIN", "CREATE TRIGGER tr INSTEAD OF INSERT ON v BEGIN", "trigger tr"),
    ] + [
        // The database header, ANALYZE statistics and AUTOINCREMENT counters.
        Variant(clause: "column renamed", extra: "ALTER TABLE s RENAME COLUMN v TO w;", object: "table s"),
        Variant(clause: "user_version", extra: "PRAGMA user_version = 7;", object: "database header"),
        Variant(clause: "application_id", extra: "PRAGMA application_id = 1234;", object: "database header"),
        Variant(clause: "ANALYZE statistics", extra: "ANALYZE;", object: "statistics sqlite_stat1"),
        Variant(clause: "ANALYZE statistics emptied", extra: "ANALYZE; DELETE FROM sqlite_stat1;", object: "statistics sqlite_stat1"),
        Variant(clause: "AUTOINCREMENT counter", extra: "CREATE TABLE ai (id INTEGER PRIMARY KEY AUTOINCREMENT); INSERT INTO ai VALUES (5); DELETE FROM ai;", object: "counter ai"),
    ]

    func database(_ dir: TempDir, _ sql: String, encoding: String? = nil) throws -> SQLiteConnection {
        let db = try SQLiteConnection(path: dir.file("\(UUID().uuidString).sqlite").path)
        if let encoding { try db.execute("PRAGMA encoding = '\(encoding)'") }
        try db.execute(sql)
        return db
    }

    func fingerprint(_ db: SQLiteConnection) throws -> Fingerprint { try SQLiteFingerprinter(db: db).fingerprint() }

    /// Every schema variant is accepted by SQLite, changes the fingerprint,
    /// and the drift names the object and says what changed.
    @Test(arguments: variants)
    func eachClauseChangesTheFingerprint(variant: Variant) throws {
        let dir = TempDir()
        let changed = Self.base.replacingOccurrences(of: variant.find, with: variant.replace) + variant.extra
        #expect(changed != Self.base, "the variant must edit the schema")
        if !variant.find.isEmpty { #expect(Self.base.contains(variant.find), "\(variant.find) is not in the base schema") }
        let before = try fingerprint(database(dir, Self.base))
        let after = try fingerprint(database(dir, changed))
        #expect(before != after)
        #expect(before.schemaDigest != after.schemaDigest)
        let drift = Drift(from: before, to: after)
        let change = try #require(drift.schema.first { "\($0.kind) \($0.name)" == variant.object }, "\(drift.schema)")
        if change.change == .changed { #expect(!change.details.isEmpty) }
    }

    @Test func textEncodingIsPartOfTheHeader() throws {
        let dir = TempDir()
        let a = try fingerprint(database(dir, Self.base))
        let b = try fingerprint(database(dir, Self.base, encoding: "UTF-16le"))
        let drift = Drift(from: a, to: b)
        #expect(drift.schema.first { $0.kind == "database" }?.details == ["encoding: UTF-8 → UTF-16le"])
    }

    /// Spellings SQLite reads alike: each keeps the fingerprint identical.
    static let equivalents: [Variant] = [
        v("layout and comments", "CREATE TABLE s (id INTEGER PRIMARY KEY, v TEXT);", "CREATE TABLE s (\n  id INTEGER PRIMARY KEY, -- key\n  v TEXT /* value */\n);", "table s"),
        v("keyword case", "CREATE TABLE s (id INTEGER PRIMARY KEY, v TEXT);", "create table s (id INTEGER primary key, v TEXT);", "table s"),
        v("identifier quoting", "CREATE TABLE s (id INTEGER PRIMARY KEY, v TEXT);", "CREATE TABLE \"s\" ([id] INTEGER PRIMARY KEY, `v` TEXT);", "table s"),
        v("if not exists", "CREATE INDEX ix ON t (a, b);", "CREATE INDEX IF NOT EXISTS ix ON t (a, b);", "index ix"),
        v("index ASC", "CREATE INDEX ix ON t (a, b);", "CREATE INDEX ix ON t (a ASC, b ASC);", "index ix"),
        v("index COLLATE BINARY on a binary column", "CREATE INDEX ix ON t (a, b);", "CREATE INDEX ix ON t (a COLLATE BINARY, b collate binary);", "index ix"),
        v("index the column's own collation", "CREATE INDEX ixc ON t (c);", "CREATE INDEX ixc ON t (c COLLATE NOCASE);", "index ixc"),
        v("primary key ASC", "id INTEGER PRIMARY KEY,\n    a", "id INTEGER PRIMARY KEY ASC,\n    a"),
        v("unique ASC", "UNIQUE (a, e)", "UNIQUE (a ASC, e ASC)"),
        v("column COLLATE BINARY", "f BLOB", "f BLOB COLLATE BINARY"),
        v("DEFAULT NULL", "f BLOB", "f BLOB DEFAULT NULL"),
        v("DEFAULT (NULL)", "f BLOB", "f BLOB DEFAULT (NULL)"),
        v("NULL constraint", "f BLOB", "f BLOB NULL"),
        v("ON CONFLICT ABORT", "a TEXT NOT NULL", "a TEXT NOT NULL ON CONFLICT ABORT"),
        v("unique ON CONFLICT ABORT", "b INTEGER UNIQUE", "b INTEGER UNIQUE ON CONFLICT ABORT"),
        v("NOT NULL constraint name", "a TEXT NOT NULL", "a TEXT CONSTRAINT a_present NOT NULL"),
        v("UNIQUE constraint name", "UNIQUE (a, e)", "CONSTRAINT t_a_e UNIQUE (a, e)"),
        v("foreign key constraint name", "p INTEGER REFERENCES parent (id)", "p INTEGER CONSTRAINT p_parent REFERENCES parent (id)"),
        v("ON DELETE NO ACTION", "REFERENCES parent (id)", "REFERENCES parent (id) ON DELETE NO ACTION ON UPDATE NO ACTION"),
        v("NOT DEFERRABLE", "REFERENCES parent (id)", "REFERENCES parent (id) NOT DEFERRABLE"),
        v("DEFERRABLE INITIALLY IMMEDIATE", "REFERENCES parent (id)", "REFERENCES parent (id) DEFERRABLE INITIALLY IMMEDIATE"),
        v("DEFERRABLE alone", "REFERENCES parent (id)", "REFERENCES parent (id) DEFERRABLE"),
        v("GENERATED ALWAYS ... VIRTUAL", "AS (d * 2)", "GENERATED ALWAYS AS (d * 2) VIRTUAL"),
        v("FOR EACH ROW", "AFTER INSERT ON t BEGIN", "AFTER INSERT ON t FOR EACH ROW BEGIN", "trigger tr"),
        v("quoted capitals naming a column", "CHECK (d > 0)", "CHECK (\"D\" > 0)"),
        v("quoted capitals naming a table", "CREATE INDEX ix ON t (a, b);", "CREATE INDEX ix ON \"T\" (\"A\", b);", "index ix"),
        v("view layout", "CREATE VIEW v AS SELECT id, a FROM t WHERE d > 1;", "CREATE VIEW \"v\" AS\n  select id,a from T where d>1;", "view v"),
    ]

    @Test(arguments: equivalents)
    func equivalentSpellingsKeepTheFingerprint(variant: Variant) throws {
        let dir = TempDir()
        let changed = Self.base.replacingOccurrences(of: variant.find, with: variant.replace)
        #expect(changed != Self.base, "the variant must edit the schema")
        let a = try fingerprint(database(dir, Self.base))
        let b = try fingerprint(database(dir, changed))
        #expect(a == b, "\(Drift(from: a, to: b).schema)")
        #expect(a.schemaDigest == b.schemaDigest)
        #expect(a.objects[variant.object] != nil)
    }

    @Test func tableOptionsInEitherOrderAreEqual() throws {
        let dir = TempDir()
        let a = try fingerprint(database(dir, "CREATE TABLE s (id INTEGER PRIMARY KEY, v TEXT) STRICT, WITHOUT ROWID;"))
        let b = try fingerprint(database(dir, "CREATE TABLE s (id INTEGER PRIMARY KEY, v TEXT) WITHOUT ROWID, STRICT;"))
        #expect(a == b, "\(Drift(from: a, to: b).schema)")
    }

    /// A quoted identifier that spells a keyword stays an identifier: a
    /// column named "null" with DEFAULT "asc" is not DEFAULT NULL.
    @Test func quotedKeywordsAreNotFoldedAway() throws {
        #expect(SQLNormalizer.normalize("SELECT \"null\", \"order\", \"plain\" FROM [t]") == "select \"null\" , \"order\" , plain from t")
        let table = try #require(SQLNormalizer.parseCreateTable("CREATE TABLE t (\"asc\" TEXT DEFAULT \"null\", x INTEGER PRIMARY KEY ASC)"))
        #expect(table.columns.map(\.canonical) == ["\"asc\" text default \"null\"", "x integer primary key"])
    }

    /// What SQLite tells apart must stay apart: a double-quoted word that
    /// names no column is a string literal to SQLite, so its case matters;
    /// identifiers fold case in ASCII only, so `É` and `é` are two tables.
    @Test(arguments: [
        ("double-quoted string case", "CREATE TABLE q (a TEXT CHECK (a <> \"Vip\"));", "CREATE TABLE q (a TEXT CHECK (a <> \"vip\"));"),
        ("non-ASCII identifier case", "CREATE TABLE \"É\" (x); CREATE TABLE \"é\" (x); CREATE VIEW w AS SELECT x FROM É;",
         "CREATE TABLE \"É\" (x); CREATE TABLE \"é\" (x); CREATE VIEW w AS SELECT x FROM é;"),
        ("key named asc", "CREATE TABLE q (asc INTEGER, b INTEGER, UNIQUE (asc));", "CREATE TABLE q (asc INTEGER, b INTEGER, UNIQUE (b));"),
        ("view column name case", "CREATE TABLE q (a); CREATE VIEW w AS SELECT a AS total FROM q;", "CREATE TABLE q (a); CREATE VIEW w AS SELECT a AS Total FROM q;"),
        ("check order", "CREATE TABLE q (a INTEGER, CHECK (a > 0), CHECK (a < 9));", "CREATE TABLE q (a INTEGER, CHECK (a < 9), CHECK (a > 0));"),
    ])
    func spellingsSQLiteTellsApartStayApart(label: String, first: String, second: String) throws {
        let dir = TempDir()
        let a = try fingerprint(database(dir, first))
        let b = try fingerprint(database(dir, second))
        #expect(a.schemaDigest != b.schemaDigest, "\(label)")
    }

    /// Text SQLite would never store still reads without a crash: the
    /// reader gives up (nil) or keeps the text whole.
    @Test(arguments: ["CREATE TABLE t (", "CREATE TABLE t", "CREATE TABLE t (a CHECK", "CREATE TABLE t (a, UNIQUE (", "CREATE TABLE t (a REFERENCES", "CREATE TABLE t (a AS (", ""])
    func truncatedDefinitionsDoNotCrash(sql: String) {
        _ = SQLNormalizer.parseCreateTable(sql)
        _ = SQLNormalizer.checkConstraints(ofCreateTable: sql)
        _ = SQLNormalizer.canonicalIndex(sql.replacingOccurrences(of: "TABLE", with: "INDEX"), effective: [])
        #expect(SQLNormalizer.canonicalTriggerOrView(sql) == SQLNormalizer.normalize(sql))
    }

    /// Page size, auto-vacuum and journal mode are residue: recorded, never
    /// compared.
    @Test func physicalSettingsAreResidueNotDrift() throws {
        let dir = TempDir()
        let a = try fingerprint(database(dir, Self.base))
        let db = try SQLiteConnection(path: dir.file("physical.sqlite").path)
        try db.execute("PRAGMA page_size = 8192; PRAGMA auto_vacuum = FULL; PRAGMA journal_mode = WAL;")
        try db.execute(Self.base)
        let b = try fingerprint(db)
        #expect(a == b)
        #expect(Drift(from: a, to: b).isEmpty)
        #expect(a.residue.contains("physical setting page_size = 4096 (page layout, not drift)"))
        #expect(b.residue.contains("physical setting page_size = 8192 (page layout, not drift)"))
        #expect(b.residue.contains("physical setting auto_vacuum = full (page layout, not drift)"))
        #expect(b.residue.contains("physical setting journal_mode = wal (page layout, not drift)"))
    }

    /// Rows of a table without a declared key are compared as a multiset:
    /// their rowids are deliberately not part of the fingerprint.
    @Test func rowidsOfKeylessTablesAreNotDrift() throws {
        let dir = TempDir()
        let a = try fingerprint(database(dir, "CREATE TABLE k (v TEXT); INSERT INTO k (rowid, v) VALUES (1, 'a'), (2, 'b');"))
        let b = try fingerprint(database(dir, "CREATE TABLE k (v TEXT); INSERT INTO k (rowid, v) VALUES (7, 'b'), (9, 'a');"))
        #expect(a == b)
    }
}
