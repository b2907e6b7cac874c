import CSQLite3
import Crypto
import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

/// Fingerprints an SQLite database: a canonical description of the catalog
/// and a digest of every table's typed rows in a canonical order.
///
/// Every schema object is described twice: by its canonical definition (the
/// `CREATE` text from `sqlite_schema`, read with the SQL lexer and folded only
/// where SQLite provably reads two spellings alike, see `SQLNormalizer`), so
/// no clause can go unseen, and by structured properties read from SQLite's
/// pragmas, so drift can say which property changed. The database header
/// (`user_version`, `application_id`, text encoding) is schema; ANALYZE
/// statistics (`sqlite_stat*`) and AUTOINCREMENT counters (`sqlite_sequence`)
/// are objects of their own kinds. Page size, auto-vacuum and journal mode
/// are physical and recorded as residue. Rowids of tables without a declared
/// key and the page layout carry no meaning and are left out.
package struct SQLiteFingerprinter {
    package let db: SQLiteConnection

    /// Key of the database header in `Fingerprint.objects`.
    package static let headerKey = "database header"

    package func fingerprint() throws -> Fingerprint {
        let catalog = try db.rows("SELECT type, name, tbl_name, sql FROM main.sqlite_schema ORDER BY type, name")
        var objects = NameKeyed<JSONValue>()
        objects[Self.headerKey] = try header()
        var tableNames: [String] = []
        for row in catalog {
            guard case .text(let type) = row[0], case .text(let name) = row[1] else { continue }
            let tableName: String = if case .text(let t) = row[2] { t } else { "" }
            let sql: String? = if case .text(let s) = row[3] { s } else { nil }
            if type == "table", Self.isStatistics(name) {
                objects["statistics \(name)"] = try statistics(name)
                continue
            }
            switch type {
            case "table":
                objects["table \(name)"] = try describeTable(name, sql: sql ?? "")
                if name == "sqlite_sequence" {
                    for (key, value) in try counters() { objects[key] = value }
                } else {
                    tableNames.append(name)
                }
            case "index":
                guard let sql else { continue }  // automatic indexes belong to their table's constraints
                objects["index \(name)"] = try describeIndex(name, table: tableName, sql: sql)
            case "trigger":
                objects["trigger \(name)"] = ["table": .string(tableName), "definition": .string(SQLNormalizer.canonicalTriggerOrView(sql ?? ""))]
            case "view":
                // The result column names, as SQLite reports them: their case
                // reaches every reader of the view, and the canonical text
                // folds the case of bare words. A view whose tables are gone
                // has no columns to report; its definition still counts.
                let columns = (try? db.rows("SELECT name FROM pragma_table_info(?)", [.text(name)]))?.compactMap { $0[0].textValue } ?? []
                objects["view \(name)"] = ["table": .string(tableName), "definition": .string(SQLNormalizer.canonicalTriggerOrView(sql ?? "")),
                                            "columns": .array(columns.map { .string($0) })]
            default:
                objects["\(type) \(name)"] = ["definition": .string(SQLNormalizer.normalize(sql ?? ""))]
            }
        }
        var tables = NameKeyed<TableFingerprint>()
        for name in tableNames {
            tables[name] = try dataFingerprint(of: name)
        }
        var result = Fingerprint(objects: try objects.checked(), tables: try tables.checked())
        result.residue = try physicalSettings()
        return result
    }

    /// ANALYZE's tables: `sqlite_stat1`, `sqlite_stat4` (and the older 2, 3).
    package static func isStatistics(_ name: String) -> Bool {
        name.hasPrefix("sqlite_stat")
    }

    /// The header fields a migration can set and that change what the
    /// database means to its users: migration tools keep their version in
    /// `user_version`, file-type tools their identity in `application_id`.
    package func header() throws -> JSONValue {
        func pragma(_ name: String) throws -> DatabaseValue { try db.rows("PRAGMA main.\(name)").first?.first ?? .null }
        return [
            "user_version": try pragma("user_version").jsonInteger,
            "application_id": try pragma("application_id").jsonInteger,
            "encoding": .string(try pragma("encoding").textValue ?? ""),
        ]
    }

    /// Page size, auto-vacuum and journal mode: how the file is laid out,
    /// not what it holds. Recorded as residue, never compared.
    package func physicalSettings() throws -> [String] {
        try ["page_size", "auto_vacuum", "journal_mode"].map { name in
            let value = try db.rows("PRAGMA main.\(name)").first?.first ?? .null
            var shown = value.textValue ?? value.description
            if name == "auto_vacuum", case .integer(let mode) = value, (0...2).contains(mode) { shown = ["none", "full", "incremental"][Int(mode)] }
            return "physical setting \(name) = \(shown) (page layout, not drift)"
        }
    }

    /// Planner statistics: the rows ANALYZE wrote, as a count and a multiset
    /// digest. The planner reads them, so their presence, absence or content
    /// changes query plans.
    package func statistics(_ name: String) throws -> JSONValue {
        let data = try dataFingerprint(of: name)
        return ["rows": .integer(data.rows), "digest": .string(data.digest)]
    }

    /// AUTOINCREMENT counters, one object per `sqlite_sequence` row, keyed by
    /// the table it counts for, so drift names that table.
    package func counters() throws -> [String: JSONValue] {
        var values: [String: [JSONValue]] = [:]
        for row in try db.rows("SELECT name, seq FROM main.sqlite_sequence") {
            let name = row[0].textValue ?? row[0].description
            // A counter is an integer unless someone patched it otherwise; any other
            // value is kept in its literal form so it still differs.
            values[name, default: []].append(row[1].jsonInteger == .null ? .string(row[1].description) : row[1].jsonInteger)
        }
        return Dictionary(uniqueKeysWithValues: values.map { name, seqs in
            ("counter \(name)", ["sqlite_sequence": seqs.count == 1 ? seqs[0] : .array(seqs.sorted { $0.canonicalString < $1.canonicalString })])
        })
    }

    package static func quote(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    package func describeTable(_ name: String, sql: String) throws -> JSONValue {
        let definition = SQLNormalizer.parseCreateTable(sql)
        let parsedColumns = Dictionary((definition?.columns ?? []).map { ($0.name, $0) }, uniquingKeysWith: { x, _ in x })
        var columns: [JSONValue] = []
        for row in try db.rows("SELECT cid, name, type, \"notnull\", dflt_value, pk, hidden FROM pragma_table_xinfo(?)", [.text(name)]) {
            guard case .text(let col) = row[1] else { continue }
            let meta = try? db.columnMetadata(table: name, column: col)
            let parsed = parsedColumns[SQLNormalizer.foldName(col)]
            // DEFAULT NULL is what a column without DEFAULT has: not a property.
            var defaultValue: JSONValue = .null
            if case .text(let d) = row[4] {
                let normalized = SQLNormalizer.normalize(d)
                if normalized != "null", normalized != "( null )" { defaultValue = .string(normalized) }
            }
            columns.append([
                "name": .string(col),
                "position": row[0].jsonInteger,
                "type": .string(row[2].textValue ?? ""),
                "not_null": .bool(row[3].jsonInteger != 0),
                "default": defaultValue,
                "collation": .string((meta?.collation ?? "BINARY").uppercased()),
                "primary_key_position": row[5].jsonInteger,
                "generated": row[6].jsonInteger,
                "expression": parsed?.expression.map { .string($0) } ?? .null,
                "autoincrement": .bool(parsed?.autoincrement ?? false),
                "on_conflict": .string(parsed?.onConflict.joined(separator: ", ") ?? ""),
                "definition": .string(parsed?.canonical ?? ""),
            ])
        }
        // Deferrability is not in pragma_foreign_key_list: it comes from the
        // definition, matched by child columns and parent table, in order.
        var deferredClauses = (definition?.foreignKeys ?? []).map { fk in (key: fk.columns.joined(separator: ",") + "→" + fk.table, deferred: fk.deferred) }
        var foreignKeys: [Int64: (table: String, from: [String], to: [String], onUpdate: String, onDelete: String, match: String)] = [:]
        for row in try db.rows("SELECT id, seq, \"table\", \"from\", \"to\", on_update, on_delete, \"match\" FROM pragma_foreign_key_list(?) ORDER BY id, seq", [.text(name)]) {
            guard case .integer(let id) = row[0] else { continue }
            var fk = foreignKeys[id] ?? (row[2].textValue ?? "", [], [], row[5].textValue ?? "", row[6].textValue ?? "", row[7].textValue ?? "")
            fk.from.append(row[3].textValue ?? "")
            fk.to.append(row[4].textValue ?? "")  // NULL means "the parent's primary key"
            foreignKeys[id] = fk
        }
        let fkJSON = foreignKeys.values.map { fk -> JSONValue in
            let key = fk.from.map(SQLNormalizer.foldName).joined(separator: ",") + "→" + SQLNormalizer.foldName(fk.table)
            var deferred = false
            if let i = deferredClauses.firstIndex(where: { $0.key == key }) { deferred = deferredClauses.remove(at: i).deferred }
            return ["columns": .array(fk.from.map { .string($0) }), "references": .string(SQLNormalizer.foldName(fk.table)),
                    "referenced_columns": .array(fk.to.map { .string($0) }), "on_update": .string(fk.onUpdate),
                    "on_delete": .string(fk.onDelete), "match": .string(fk.match), "deferred": .bool(deferred)]
        }.sorted { $0.canonicalString < $1.canonicalString }

        var uniques: [JSONValue] = []
        for row in try db.rows("SELECT name, \"unique\", origin, partial FROM pragma_index_list(?)", [.text(name)]) {
            guard let origin = row[2].textValue, origin != "c", let index = row[0].textValue else { continue }
            let cols = try db.rows("SELECT name, coll, \"desc\" FROM pragma_index_xinfo(?) WHERE key = 1 ORDER BY seqno", [.text(index)])
            uniques.append(["origin": .string(origin),
                            "columns": .array(cols.map { .string($0[0].textValue ?? "<expr>") }),
                            "collations": .array(cols.map { .string(($0[1].textValue ?? "BINARY").uppercased()) }),
                            "descending": .array(cols.map { .bool($0[2].jsonInteger == 1) })])
        }
        uniques.sort { $0.canonicalString < $1.canonicalString }

        let options = try db.rows("SELECT wr, strict FROM pragma_table_list WHERE schema = 'main' AND name = ?", [.text(name)]).first
        return [
            "columns": .array(columns),
            "foreign_keys": .array(fkJSON),
            "unique": .array(uniques),
            "checks": .array(SQLNormalizer.checkConstraints(ofCreateTable: sql).map { .string($0) }),
            "constraints": .array((definition?.constraints ?? []).map { .string($0) }),
            "without_rowid": .bool(options?[0].jsonInteger == 1),
            "strict": .bool(options?[1].jsonInteger == 1),
            // Everything the properties above do not name still changes this.
            "definition": .string(definition?.canonical ?? SQLNormalizer.normalize(sql)),
        ]
    }

    package func describeIndex(_ name: String, table: String, sql: String) throws -> JSONValue {
        let keys = try db.rows("SELECT name, \"desc\", coll FROM pragma_index_xinfo(?) WHERE key = 1 ORDER BY seqno", [.text(name)])
        let effective = keys.map { k in (column: k[0].textValue, collation: (k[2].textValue ?? "BINARY").uppercased(), descending: k[1].jsonInteger == 1) }
        return [
            "table": .string(table),
            "keys": .array(keys.map { k in
                ["column": .string(k[0].textValue ?? "<expr>"), "descending": .bool(k[1].jsonInteger == 1),
                 "collation": .string((k[2].textValue ?? "BINARY").uppercased())]
            }),
            "definition": .string(SQLNormalizer.canonicalIndex(sql, effective: effective)),
        ]
    }

    /// Streams the table once in a canonical order and hashes the rows'
    /// typed encodings in turn (``OrderedDigest``). No row is kept in memory.
    /// Columns are read in name order, so a column that only moved position
    /// shows as schema drift, not as every row changing.
    package func dataFingerprint(of table: String) throws -> TableFingerprint {
        let columns = try db.rows("SELECT name, pk FROM pragma_table_xinfo(?) WHERE hidden IN (0, 2, 3)", [.text(table)])
        let names = columns.compactMap { $0[0].textValue }.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        let list = names.isEmpty ? "*" : names.map(Self.quote).joined(separator: ", ")
        let statement = try db.prepare("SELECT \(list) FROM main.\(Self.quote(table))" + Self.canonicalOrder(names: names, columns: columns))
        let n = statement.columnCount
        var digest = OrderedDigest()
        var buffer = [UInt8]()
        buffer.reserveCapacity(256)
        while try statement.step() {
            buffer.removeAll(keepingCapacity: true)
            for i in 0..<n { RowEncoding.append(statement, column: i, to: &buffer) }
            digest.add(buffer)
        }
        return digest.fingerprint
    }

    /// An ORDER BY under which rows that tie are byte-identical in their
    /// encoding, so the order is a function of the rows alone: the primary
    /// key first (its index gives the order, so a keyed table is not sorted),
    /// then every column by bytes (`COLLATE BINARY`) with its storage class
    /// (1 and 1.0 compare equal in SQLite but encode apart). The rowid never
    /// counts: rowids of a table without a key are not drift.
    package static func canonicalOrder(names: [String], columns: [[DatabaseValue]]) -> String {
        guard !names.isEmpty else { return "" }
        func position(_ row: [DatabaseValue]) -> Int64 { if case .integer(let n) = row[1] { n } else { 0 } }
        let key = columns.filter { position($0) > 0 }.sorted { position($0) < position($1) }
            .compactMap { $0[0].textValue }.map(quote)
        let all = names.map(quote).flatMap { ["\($0) COLLATE BINARY", "typeof(\($0))"] }
        return " ORDER BY " + (key + all).joined(separator: ", ")
    }
}

/// The typed byte encoding of a row used for data digests: a storage-class tag
/// then the value, so 1, 1.0, '1', x'31' and NULL never collide. -0.0 is
/// encoded as 0.0 because SQLite itself holds them equal.
package enum RowEncoding {
    package static func append(_ statement: SQLiteStatement, column i: Int, to buffer: inout [UInt8]) {
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
    package static func appendUInt64(_ v: UInt64, to buffer: inout [UInt8]) {
        withUnsafeBytes(of: v.littleEndian) { buffer.append(contentsOf: $0) }
    }
}

extension DatabaseValue {
    package var textValue: String? { if case .text(let s) = self { s } else { nil } }
    package var jsonInteger: JSONValue { if case .integer(let i) = self { .integer(i) } else { .null } }
}

extension JSONValue {
    package static func != (lhs: JSONValue, rhs: Int64) -> Bool { lhs != .integer(rhs) }
    package static func == (lhs: JSONValue, rhs: Int64) -> Bool { lhs == .integer(rhs) }
}
