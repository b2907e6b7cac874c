import CSQLite3
import Crypto

/// Fingerprints an SQLite database: a canonical description of the catalog
/// and a typed, order-independent digest of every table's rows.
///
/// Planner statistics (`sqlite_stat*`), rowids of tables without a declared
/// key, page layout and the text layout of `CREATE` statements carry no
/// meaning and are left out.
struct SQLiteFingerprinter {
    let db: SQLiteConnection

    func fingerprint() throws -> Fingerprint {
        let catalog = try db.rows("SELECT type, name, tbl_name, sql FROM main.sqlite_schema ORDER BY type, name")
        var objects: [String: JSONValue] = [:]
        var tableNames: [String] = []
        for row in catalog {
            guard case .text(let type) = row[0], case .text(let name) = row[1] else { continue }
            let tableName: String = if case .text(let t) = row[2] { t } else { "" }
            let sql: String? = if case .text(let s) = row[3] { s } else { nil }
            if Self.isPhysicalOnly(name) { continue }
            switch type {
            case "table":
                tableNames.append(name)
                objects["table \(name)"] = try describeTable(name, sql: sql ?? "")
            case "index":
                guard let sql else { continue }  // automatic indexes belong to their table's constraints
                objects["index \(name)"] = try describeIndex(name, table: tableName, sql: sql)
            case "view", "trigger":
                objects["\(type) \(name)"] = ["table": .string(tableName), "definition": .string(SQLNormalizer.normalize(sql ?? ""))]
            default:
                objects["\(type) \(name)"] = ["definition": .string(SQLNormalizer.normalize(sql ?? ""))]
            }
        }
        var tables: [String: TableFingerprint] = [:]
        for name in tableNames {
            tables[name] = try dataFingerprint(of: name)
        }
        return Fingerprint(objects: objects, tables: tables)
    }

    static func isPhysicalOnly(_ name: String) -> Bool {
        name.hasPrefix("sqlite_stat")
    }

    static func quote(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    func describeTable(_ name: String, sql: String) throws -> JSONValue {
        var columns: [JSONValue] = []
        for row in try db.rows("SELECT cid, name, type, \"notnull\", dflt_value, pk, hidden FROM pragma_table_xinfo(?)", [.text(name)]) {
            guard case .text(let col) = row[1] else { continue }
            let meta = try? db.columnMetadata(table: name, column: col)
            let defaultValue: JSONValue = if case .text(let d) = row[4] { .string(SQLNormalizer.normalize(d)) } else { .null }
            columns.append([
                "name": .string(col),
                "position": row[0].jsonInteger,
                "type": .string(row[2].textValue ?? ""),
                "not_null": .bool(row[3].jsonInteger != 0),
                "default": defaultValue,
                "collation": .string((meta?.collation ?? "BINARY").uppercased()),
                "primary_key_position": row[5].jsonInteger,
                "generated": row[6].jsonInteger,
            ])
        }
        var foreignKeys: [Int64: (table: String, from: [String], to: [String], onUpdate: String, onDelete: String, match: String)] = [:]
        for row in try db.rows("SELECT id, seq, \"table\", \"from\", \"to\", on_update, on_delete, \"match\" FROM pragma_foreign_key_list(?) ORDER BY id, seq", [.text(name)]) {
            guard case .integer(let id) = row[0] else { continue }
            var fk = foreignKeys[id] ?? (row[2].textValue ?? "", [], [], row[5].textValue ?? "", row[6].textValue ?? "", row[7].textValue ?? "")
            fk.from.append(row[3].textValue ?? "")
            fk.to.append(row[4].textValue ?? "")  // NULL means "the parent's primary key"
            foreignKeys[id] = fk
        }
        let fkJSON = foreignKeys.values.map { fk -> JSONValue in
            ["columns": .array(fk.from.map { .string($0) }), "references": .string(fk.table.lowercased()),
             "referenced_columns": .array(fk.to.map { .string($0) }), "on_update": .string(fk.onUpdate),
             "on_delete": .string(fk.onDelete), "match": .string(fk.match)]
        }.sorted { $0.canonicalString < $1.canonicalString }

        var uniques: [JSONValue] = []
        for row in try db.rows("SELECT name, \"unique\", origin, partial FROM pragma_index_list(?)", [.text(name)]) {
            guard let origin = row[2].textValue, origin != "c", let index = row[0].textValue else { continue }
            let cols = try db.rows("SELECT name, coll FROM pragma_index_xinfo(?) WHERE key = 1 ORDER BY seqno", [.text(index)])
            uniques.append(["origin": .string(origin),
                            "columns": .array(cols.map { .string($0[0].textValue ?? "<expr>") }),
                            "collations": .array(cols.map { .string(($0[1].textValue ?? "BINARY").uppercased()) })])
        }
        uniques.sort { $0.canonicalString < $1.canonicalString }

        let options = try db.rows("SELECT wr, strict FROM pragma_table_list WHERE schema = 'main' AND name = ?", [.text(name)]).first
        return [
            "columns": .array(columns),
            "foreign_keys": .array(fkJSON),
            "unique": .array(uniques),
            "checks": .array(SQLNormalizer.checkConstraints(ofCreateTable: sql).map { .string($0) }),
            "without_rowid": .bool(options?[0].jsonInteger == 1),
            "strict": .bool(options?[1].jsonInteger == 1),
        ]
    }

    func describeIndex(_ name: String, table: String, sql: String) throws -> JSONValue {
        let keys = try db.rows("SELECT name, \"desc\", coll FROM pragma_index_xinfo(?) WHERE key = 1 ORDER BY seqno", [.text(name)])
        return [
            "table": .string(table),
            "keys": .array(keys.map { k in
                ["column": .string(k[0].textValue ?? "<expr>"), "descending": .bool(k[1].jsonInteger == 1),
                 "collation": .string((k[2].textValue ?? "BINARY").uppercased())]
            }),
            "definition": .string(SQLNormalizer.normalize(sql)),
        ]
    }

    /// Streams the table once; each row is encoded with its storage classes and
    /// hashed, and the row hashes are summed. No row is kept in memory.
    /// Columns are read in name order, so a column that only moved position
    /// shows as schema drift, not as every row changing.
    func dataFingerprint(of table: String) throws -> TableFingerprint {
        let names = try db.rows("SELECT name FROM pragma_table_xinfo(?) WHERE hidden IN (0, 2, 3)", [.text(table)])
            .compactMap { $0[0].textValue }.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        let list = names.isEmpty ? "*" : names.map(Self.quote).joined(separator: ", ")
        let statement = try db.prepare("SELECT \(list) FROM main.\(Self.quote(table))")
        let n = statement.columnCount
        var multiset = MultisetDigest()
        var buffer = [UInt8]()
        buffer.reserveCapacity(256)
        while try statement.step() {
            buffer.removeAll(keepingCapacity: true)
            for i in 0..<n { RowEncoding.append(statement, column: i, to: &buffer) }
            multiset.add(SHA256.hash(data: buffer))
        }
        return TableFingerprint(rows: multiset.count, digest: multiset.hex)
    }
}

/// The typed byte encoding of a row used for data digests: a storage-class tag
/// then the value, so 1, 1.0, '1', x'31' and NULL never collide. -0.0 is
/// encoded as 0.0 because SQLite itself holds them equal.
enum RowEncoding {
    static func append(_ statement: SQLiteStatement, column i: Int, to buffer: inout [UInt8]) {
        switch statement.columnType(at: i) {
        case SQLITE_INTEGER:
            buffer.append(1)
            appendUInt64(UInt64(bitPattern: statement.int64(at: i)), to: &buffer)
        case SQLITE_FLOAT:
            buffer.append(2)
            var d = sqlite3_column_double(statement.handle, Int32(i))
            if d == 0 { d = 0 }
            appendUInt64(d.bitPattern, to: &buffer)
        case SQLITE_TEXT, SQLITE_BLOB:
            buffer.append(statement.columnType(at: i) == SQLITE_TEXT ? 3 : 4)
            statement.withBytes(at: i) { raw in
                appendUInt64(UInt64(raw.count), to: &buffer)
                buffer.append(contentsOf: raw)
            }
        default:
            buffer.append(0)
        }
    }

    @inline(__always)
    static func appendUInt64(_ v: UInt64, to buffer: inout [UInt8]) {
        withUnsafeBytes(of: v.littleEndian) { buffer.append(contentsOf: $0) }
    }
}

extension DatabaseValue {
    var textValue: String? { if case .text(let s) = self { s } else { nil } }
    var jsonInteger: JSONValue { if case .integer(let i) = self { .integer(i) } else { .null } }
}

extension JSONValue {
    static func != (lhs: JSONValue, rhs: Int64) -> Bool { lhs != .integer(rhs) }
    static func == (lhs: JSONValue, rhs: Int64) -> Bool { lhs == .integer(rhs) }
}
