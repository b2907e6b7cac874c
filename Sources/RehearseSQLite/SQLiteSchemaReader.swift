import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

/// Reads the generator's view of the schema (``TableShape``) from SQLite's catalog.
package struct SQLiteSchemaReader {
    package let db: SQLiteConnection

    package func tables() throws -> [TableShape] {
        let names = try db.rows("SELECT name FROM main.sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")
            .compactMap { $0[0].textValue }
        return try names.map(table)
    }

    package func table(_ name: String) throws -> TableShape {
        var columns: [ColumnShape] = []
        var pk: [(Int64, String)] = []
        for row in try db.rows("SELECT name, type, \"notnull\", pk, hidden FROM pragma_table_xinfo(?) ORDER BY cid", [.text(name)]) {
            guard let col = row[0].textValue, row[4] == .integer(0) else { continue }  // generated columns fill themselves
            columns.append(ColumnShape(name: col, declaredType: row[1].textValue ?? "", notNull: row[2] == .integer(1)))
            if case .integer(let p) = row[3], p > 0 { pk.append((p, col)) }
        }
        var fks: [Int64: ForeignKeyShape] = [:]
        for row in try db.rows("SELECT id, \"table\", \"from\", \"to\" FROM pragma_foreign_key_list(?) ORDER BY id, seq", [.text(name)]) {
            guard case .integer(let id) = row[0] else { continue }
            var fk = fks[id] ?? ForeignKeyShape(columns: [], parentTable: row[1].textValue ?? "", parentColumns: [])
            fk.columns.append(row[2].textValue ?? "")
            if let to = row[3].textValue { fk.parentColumns.append(to) }
            fks[id] = fk
        }
        var uniques: [[String]] = []
        for row in try db.rows("SELECT name FROM pragma_index_list(?) WHERE \"unique\" = 1 AND partial = 0", [.text(name)]) {
            guard let index = row[0].textValue else { continue }
            let cols = try db.rows("SELECT name FROM pragma_index_info(?) ORDER BY seqno", [.text(index)]).map { $0[0].textValue ?? "" }
            if !cols.contains("") { uniques.append(cols) }
        }
        let primaryKey = pk.sorted { $0.0 < $1.0 }.map(\.1)
        if !primaryKey.isEmpty { uniques.append(primaryKey) }
        let sql = try db.rows("SELECT sql FROM main.sqlite_schema WHERE type = 'table' AND name = ?", [.text(name)]).first?.first?.textValue ?? ""
        return TableShape(name: name, columns: columns, primaryKey: primaryKey,
                          foreignKeys: fks.keys.sorted().map { fks[$0]! }, uniqueSets: uniques,
                          checks: CheckDomains.checks(inCreateTable: sql))
    }
}
