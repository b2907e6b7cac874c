import Crypto
import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

/// Narrows a table's drift to rows and columns by comparing the current
/// database (`main`) with a rebuilt pre-birth copy attached as `ref`: the
/// engine hooks of `DriftLocalization`, in SQLite's SQL.
/// Values are compared exactly: same storage class and same bytes (BINARY
/// collation), so 1 vs 1.0 or 'a' vs 'A' under NOCASE still count as changed.
package struct SQLiteDriftLocator: DriftLocatorHooks {
    package let db: SQLiteConnection
    private let q = SQLiteFingerprinter.quote

    package init(db: SQLiteConnection) {
        self.db = db
    }

    package func columns(of table: String) throws -> (reference: [DriftColumn], current: Set<String>)? {
        (try columns(table, schema: "ref"), Set(try columns(table, schema: "main").map(\.name)))
    }

    private func columns(_ table: String, schema: String) throws -> [DriftColumn] {
        // table_xinfo, not table_info: generated columns (hidden 2 and 3) are
        // compared too, so a changed generated value names its column.
        try db.rows("SELECT name, pk FROM pragma_table_xinfo(?, ?) WHERE hidden IN (0, 2, 3) ORDER BY cid", [.text(table), .text(schema)]).compactMap { row in
            guard let name = row[0].textValue, case .integer(let pk) = row[1] else { return nil }
            return DriftColumn(name: name, keyPosition: pk > 0 ? Int(pk) : nil)
        }
    }

    private func on(_ key: [String]) -> String { key.map { "b.\(q($0)) = a.\(q($0))" }.joined(separator: " AND ") }
    private func keyList(_ key: [String]) -> String { key.map { "a.\(q($0))" }.joined(separator: ", ") }
    private func keyText(_ row: [DatabaseValue]) -> String { row.map(\.description).joined(separator: ", ") }
    private func differs(_ compared: [String]) -> [String] {
        compared.map { "NOT (a.\(q($0)) IS b.\(q($0)) COLLATE BINARY AND typeof(a.\(q($0))) = typeof(b.\(q($0))))" }
    }
    private func gone(_ table: String, _ key: [String]) -> String {
        "ref.\(q(table)) a WHERE NOT EXISTS (SELECT 1 FROM main.\(q(table)) b WHERE \(on(key)))"
    }
    private func joined(_ table: String, _ key: [String]) -> String {
        "ref.\(q(table)) a JOIN main.\(q(table)) b ON \(on(key))"
    }

    private func count(_ sql: String) throws -> Int64 {
        if case .integer(let n) = try db.rows(sql)[0][0] { return n }
        return 0
    }

    package func removedCount(_ table: String, key: [String]) throws -> Int64 {
        try count("SELECT count(*) FROM \(gone(table, key))")
    }

    package func addedCount(_ table: String, key: [String]) throws -> Int64 {
        try count("SELECT count(*) FROM main.\(q(table)) b WHERE NOT EXISTS (SELECT 1 FROM ref.\(q(table)) a WHERE \(on(key)))")
    }

    package func changedCounts(_ table: String, key: [String], compared: [String]) throws -> (perColumn: [Int64], changed: Int64) {
        let differs = differs(compared)
        let sums = differs.map { "coalesce(sum(\($0)), 0)" }.joined(separator: ", ")
        let row = try db.rows("SELECT \(sums), coalesce(sum(\(differs.joined(separator: " OR "))), 0) FROM \(joined(table, key))")[0]
        let counts = row.map { value -> Int64 in
            if case .integer(let n) = value { return n }
            return 0
        }
        return (Array(counts.dropLast()), counts.last ?? 0)
    }

    package func changedKeys(_ table: String, key: [String], compared: [String], limit: Int) throws -> [String] {
        try db.rows("SELECT \(keyList(key)) FROM \(joined(table, key)) WHERE \(differs(compared).joined(separator: " OR ")) ORDER BY \(keyList(key)) LIMIT \(limit)").map(keyText)
    }

    package func removedKeys(_ table: String, key: [String], limit: Int) throws -> [String] {
        try db.rows("SELECT \(keyList(key)) FROM \(gone(table, key)) ORDER BY \(keyList(key)) LIMIT \(limit)").map(keyText)
    }

    package func keyRange(_ table: String, key: [String], compared: [String]) throws -> (low: String, high: String)? {
        let select = key.map { "a.\(q($0)) AS \(q($0))" }.joined(separator: ", ")
        let any = compared.isEmpty ? "0" : differs(compared).joined(separator: " OR ")
        let differing = """
            SELECT \(select) FROM \(joined(table, key)) WHERE \(any)
            UNION ALL SELECT \(select) FROM \(gone(table, key))
            """
        let list = key.map { "d.\(q($0))" }
        let lo = try db.rows("SELECT \(list.joined(separator: ", ")) FROM (\(differing)) d ORDER BY \(list.joined(separator: ", ")) LIMIT 1").first
        let hi = try db.rows("SELECT \(list.joined(separator: ", ")) FROM (\(differing)) d ORDER BY \(list.map { $0 + " DESC" }.joined(separator: ", ")) LIMIT 1").first
        guard let lo, let hi else { return nil }
        return (keyText(lo), keyText(hi))
    }

    /// Tables without a usable key: compare the multisets of whole rows.
    package func wholeRowDifference(_ table: String, columns: [String]) throws -> (added: Int64, removed: Int64) {
        func multiset(_ schema: String) throws -> [SHA256.Digest: Int64] {
            let list = columns.isEmpty ? "*" : columns.map(q).joined(separator: ", ")
            let statement = try db.prepare("SELECT \(list) FROM \(schema).\(q(table))")
            var counts: [SHA256.Digest: Int64] = [:]
            var buffer: [UInt8] = []
            while try statement.step() {
                buffer.removeAll(keepingCapacity: true)
                for i in 0..<statement.columnCount { RowEncoding.append(statement, column: i, to: &buffer) }
                counts[SHA256.hash(data: buffer), default: 0] += 1
            }
            return counts
        }
        let a = try multiset("ref"), b = try multiset("main")
        var added: Int64 = 0, removed: Int64 = 0
        for (k, n) in a { removed += max(0, n - (b[k] ?? 0)) }
        for (k, n) in b { added += max(0, n - (a[k] ?? 0)) }
        return (added, removed)
    }
}
