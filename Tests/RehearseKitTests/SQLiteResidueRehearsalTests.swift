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

/// Each residue issue 17 found, left by a real rollback on the commerce
/// surrogate (or a variant of its schema): the rehearsal fails and the drift
/// names the object and the property, with before and after.
@Suite struct SQLiteResidueRehearsalTests {
    struct Residue: CustomTestStringConvertible, Sendable {
        var name: String
        /// Edits to schema.sql (the pre-birth state) and rollback.sql.
        var schema: [(String, String)] = []
        var rollback: [(String, String)] = []
        /// `kind name change` of every schema drift entry, in order.
        var objects: [String]
        /// Lines one of the drift entries must carry.
        var details: [String]
        /// Tables whose data must differ, with the columns that differ.
        var data: [String: [String]] = [:]
        var testDescription: String { name }
    }

    static let restoredID = "CREATE TABLE customers_restored (\n    id            INTEGER PRIMARY KEY,"
    static let productsAutoincrement = ("CREATE TABLE products (\n    id            INTEGER PRIMARY KEY,", "CREATE TABLE products (\n    id            INTEGER PRIMARY KEY AUTOINCREMENT,")
    static let priceEUR = ("    is_active     INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1))\n);",
                           "    is_active     INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),\n    price_eur     INTEGER AS (price_cents / 100)\n);")
    static let end = "END;\n"

    /// Rebuilds products (SQLite cannot alter a generated column) with
    /// another expression for price_eur.
    static func rebuildProducts(_ expression: String) -> (String, String) {
        (end, end + """

            CREATE TABLE products_rebuilt (
                id            INTEGER PRIMARY KEY,
                sku           TEXT    NOT NULL UNIQUE,
                name          TEXT    NOT NULL,
                description   TEXT,
                price_cents   INTEGER NOT NULL CHECK (price_cents > 0),
                weight_grams  REAL    CHECK (weight_grams IS NULL OR weight_grams > 0),
                is_active     INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
                price_eur     INTEGER AS (\(expression))
            );
            INSERT INTO products_rebuilt (id, sku, name, description, price_cents, weight_grams, is_active)
            SELECT id, sku, name, description, price_cents, weight_grams, is_active FROM products;
            DROP TABLE products;
            ALTER TABLE products_rebuilt RENAME TO products;
            CREATE INDEX idx_products_active_name ON products (name) WHERE is_active = 1;

            """)
    }

    static let residues: [Residue] = [
        Residue(name: "user_version left set", rollback: [(end, end + "PRAGMA user_version = 7;\n")],
                objects: ["database header changed"], details: ["user_version: 0 → 7"]),
        Residue(name: "application_id left set", rollback: [(end, end + "PRAGMA application_id = 1919252337;\n")],
                objects: ["database header changed"], details: ["application_id: 0 → 1919252337"]),
        Residue(name: "ANALYZE statistics left behind", rollback: [(end, end + "ANALYZE;\n")],
                objects: ["statistics sqlite_stat1 added"], details: ["ANALYZE statistics left behind (10 rows)"]),
        Residue(name: "ANALYZE statistics left behind, emptied", rollback: [(end, end + "ANALYZE;\nDELETE FROM sqlite_stat1;\n")],
                objects: ["statistics sqlite_stat1 added"], details: ["ANALYZE statistics left behind (0 rows)"]),
        Residue(name: "foreign key made DEFERRABLE INITIALLY DEFERRED",
                rollback: [("REFERENCES customers (id) ON DELETE SET NULL,", "REFERENCES customers (id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED,")],
                objects: ["table customers changed"], details: ["foreign key (referred_by) → customers (id): deferred false → true"]),
        Residue(name: "ON CONFLICT clauses on NOT NULL and UNIQUE",
                rollback: [("email         TEXT    NOT NULL UNIQUE COLLATE NOCASE,", "email         TEXT    NOT NULL ON CONFLICT IGNORE UNIQUE ON CONFLICT REPLACE COLLATE NOCASE,")],
                objects: ["table customers changed"], details: ["column email: on_conflict (none) → not null ignore, unique replace"]),
        Residue(name: "AUTOINCREMENT added, sqlite_sequence patched",
                schema: [productsAutoincrement],
                rollback: [(restoredID, restoredID.replacingOccurrences(of: "PRIMARY KEY,", with: "PRIMARY KEY AUTOINCREMENT,")),
                           (end, end + "DELETE FROM sqlite_sequence WHERE name = 'customers';\n")],
                objects: ["table customers changed"], details: ["column id: autoincrement false → true"]),
        Residue(name: "AUTOINCREMENT added, sqlite_sequence not patched",
                rollback: [(restoredID, restoredID.replacingOccurrences(of: "PRIMARY KEY,", with: "PRIMARY KEY AUTOINCREMENT,"))],
                objects: ["counter customers added", "table customers changed", "table sqlite_sequence added"],
                details: ["column id: autoincrement false → true", "AUTOINCREMENT counter left behind: sqlite_sequence 100",
                          "created by AUTOINCREMENT; SQLite never drops it once made"]),
        Residue(name: "AUTOINCREMENT removed, sqlite_sequence patched",
                schema: [("CREATE TABLE customers (\n    id            INTEGER PRIMARY KEY,", "CREATE TABLE customers (\n    id            INTEGER PRIMARY KEY AUTOINCREMENT,")],
                rollback: [(end, end + "INSERT INTO sqlite_sequence (name, seq) SELECT 'customers', max(id) FROM customers;\n")],
                // The patched counter is max(id), behind the surrogate's gap (CounterGapTests): drift too.
                objects: ["counter customers changed", "table customers changed"], details: ["column id: autoincrement true → false"]),
        Residue(name: "generated column expression changed, same values",
                schema: [priceEUR], rollback: [rebuildProducts("price_cents / 100 + 0")],
                objects: ["table products changed"], details: ["column price_eur: expression ( price_cents / 100 ) → ( price_cents / 100 + 0 )"]),
        Residue(name: "generated column expression changed, values differ",
                schema: [priceEUR], rollback: [rebuildProducts("price_cents / 10")],
                objects: ["table products changed"], details: ["column price_eur: expression ( price_cents / 100 ) → ( price_cents / 10 )"],
                data: ["products": ["price_eur"]]),
    ]

    func rehearseCommerce(schema: [(String, String)], rollback: [(String, String)], in dir: TempDir) throws -> RehearsalResult {
        let url = Repo.copy("commerce", into: dir)
        for (file, edits) in [("schema.sql", schema), ("rollback.sql", rollback)] where !edits.isEmpty {
            var text = try String(contentsOf: url.appendingPathComponent(file), encoding: .utf8)
            for (find, replacement) in edits {
                #expect(text.contains(find), "\(file) does not contain \(find)")
                text = text.replacingOccurrences(of: find, with: replacement)
            }
            try replace(file, in: url, with: text)
        }
        return try rehearse(url, in: dir, scale: 0.05)
    }

    @Test(arguments: residues)
    func residueFailsTheRehearsalNamingObjectAndProperty(residue: Residue) throws {
        let dir = TempDir()
        let result = try rehearseCommerce(schema: residue.schema, rollback: residue.rollback, in: dir)
        #expect(result.record.failure == nil, "\(String(describing: result.record.failure))")
        #expect(result.record.verdict == .fail)
        #expect(result.validation.isValid, "\(result.validation.findings)")
        #expect(result.validation.verdict == .fail)
        let drift = try #require(result.record.drift)
        #expect(drift.schema.map { "\($0.kind) \($0.name) \($0.change)" } == residue.objects)
        let details = drift.schema.flatMap(\.details)
        for line in residue.details { #expect(details.contains(line), "\(details)") }
        #expect(Dictionary(uniqueKeysWithValues: drift.data.map { ($0.table, $0.columns.keys.sorted()) }) == residue.data)
        for change in drift.data { #expect((change.changed ?? 0) > 0, "\(change.summaryLines)") }
    }

    /// Issue 17's false alarms: each end state is equivalent to the pre-birth
    /// one, so the rehearsal passes.
    @Test(arguments: [
        ("index recreated with ASC", "CREATE INDEX idx_customers_created ON customers (created_at);", "CREATE INDEX idx_customers_created ON customers (created_at ASC);"),
        ("index recreated with COLLATE BINARY", "CREATE INDEX idx_customers_created ON customers (created_at);", "CREATE INDEX idx_customers_created ON customers (created_at COLLATE BINARY);"),
        ("column rebuilt with DEFAULT NULL", "    updated_at    TEXT\n);", "    updated_at    TEXT DEFAULT NULL\n);"),
        ("constraint names SQLite ignores", "full_name     TEXT    NOT NULL,", "full_name     TEXT    CONSTRAINT full_name_present NOT NULL,"),
    ])
    func equivalentRollbackPasses(label: String, find: String, replacement: String) throws {
        let dir = TempDir()
        let result = try rehearseCommerce(schema: [], rollback: [(find, replacement)], in: dir)
        #expect(result.record.verdict == .pass, "\(label): \(result.record.drift?.schema.map(\.details) ?? [])")
        #expect(result.record.pre == result.record.post)
        #expect(result.validation.isValid)
    }
}
