import Crypto
import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

/// Narrows a table's drift to rows and columns by comparing the current
/// database (`main`) with a rebuilt pre-birth copy attached as `ref`.
/// Values are compared exactly: same storage class and same bytes (BINARY
/// collation), so 1 vs 1.0 or 'a' vs 'A' under NOCASE still count as changed.
package struct SQLiteDriftLocator {
    package let db: SQLiteConnection
    package static let sampleLimit = 5

    package func localize(_ change: inout TableChange) throws {
        let q = SQLiteFingerprinter.quote
        let table = change.table
        let before = try columns(table, schema: "ref")
        let after = Set(try columns(table, schema: "main").map(\.name))
        let common = before.filter { after.contains($0.name) }
        let key = before.filter { $0.pk > 0 }.sorted { $0.pk < $1.pk }.map(\.name)
        guard !key.isEmpty, key.allSatisfy(after.contains) else {
            try localizeByWholeRow(&change, columns: common.map(\.name))
            return
        }
        change.matchedBy = "primary key (\(key.joined(separator: ", ")))"
        let on = key.map { "b.\(q($0)) = a.\(q($0))" }.joined(separator: " AND ")
        let keyList = key.map { "a.\(q($0))" }.joined(separator: ", ")
        change.removed = try count("SELECT count(*) FROM ref.\(q(table)) a WHERE NOT EXISTS (SELECT 1 FROM main.\(q(table)) b WHERE \(on))")
        change.added = try count("SELECT count(*) FROM main.\(q(table)) b WHERE NOT EXISTS (SELECT 1 FROM ref.\(q(table)) a WHERE \(on))")
        let compared = common.map(\.name).filter { !key.contains($0) }
        let differs = compared.map { "NOT (a.\(q($0)) IS b.\(q($0)) COLLATE BINARY AND typeof(a.\(q($0))) = typeof(b.\(q($0))))" }
        if differs.isEmpty {
            change.changed = 0
        } else {
            let sums = differs.map { "coalesce(sum(\($0)), 0)" }.joined(separator: ", ")
            let any = differs.joined(separator: " OR ")
            let row = try db.rows("SELECT \(sums), coalesce(sum(\(any)), 0) FROM ref.\(q(table)) a JOIN main.\(q(table)) b ON \(on)")[0]
            for (i, name) in compared.enumerated() {
                if case .integer(let n) = row[i], n > 0 { change.columns[name] = n }
            }
            if case .integer(let n) = row[compared.count] { change.changed = n }
            let samples = try db.rows("SELECT \(keyList) FROM ref.\(q(table)) a JOIN main.\(q(table)) b ON \(on) WHERE \(any) ORDER BY \(keyList) LIMIT \(Self.sampleLimit)")
            change.sampleKeys = samples.map { $0.map(\.description).joined(separator: ", ") }
        }
        if change.sampleKeys.count < Self.sampleLimit, (change.removed ?? 0) > 0 {
            let gone = try db.rows("SELECT \(keyList) FROM ref.\(q(table)) a WHERE NOT EXISTS (SELECT 1 FROM main.\(q(table)) b WHERE \(on)) ORDER BY \(keyList) LIMIT \(Self.sampleLimit - change.sampleKeys.count)")
            change.sampleKeys += gone.map { "removed " + $0.map(\.description).joined(separator: ", ") }
        }
        // The key range the differing rows span, as on PostgreSQL.
        if (change.changed ?? 0) + (change.removed ?? 0) > 0 {
            let select = key.map { "a.\(q($0)) AS \(q($0))" }.joined(separator: ", ")
            let any = differs.isEmpty ? "0" : differs.joined(separator: " OR ")
            let differing = """
                SELECT \(select) FROM ref.\(q(table)) a JOIN main.\(q(table)) b ON \(on) WHERE \(any)
                UNION ALL SELECT \(select) FROM ref.\(q(table)) a WHERE NOT EXISTS (SELECT 1 FROM main.\(q(table)) b WHERE \(on))
                """
            let list = key.map { "d.\(q($0))" }
            let lo = try db.rows("SELECT \(list.joined(separator: ", ")) FROM (\(differing)) d ORDER BY \(list.joined(separator: ", ")) LIMIT 1").first
            let hi = try db.rows("SELECT \(list.joined(separator: ", ")) FROM (\(differing)) d ORDER BY \(list.map { $0 + " DESC" }.joined(separator: ", ")) LIMIT 1").first
            if let lo, let hi {
                change.note = TableChange.keyRangeNote(key: key, low: lo.map(\.description).joined(separator: ", "),
                                                       high: hi.map(\.description).joined(separator: ", "))
            }
        }
    }

    private func columns(_ table: String, schema: String) throws -> [(name: String, pk: Int64)] {
        // table_xinfo, not table_info: generated columns (hidden 2 and 3) are
        // compared too, so a changed generated value names its column.
        try db.rows("SELECT name, pk FROM pragma_table_xinfo(?, ?) WHERE hidden IN (0, 2, 3) ORDER BY cid", [.text(table), .text(schema)]).compactMap { row in
            guard let name = row[0].textValue, case .integer(let pk) = row[1] else { return nil }
            return (name, pk)
        }
    }

    private func count(_ sql: String) throws -> Int64 {
        if case .integer(let n) = try db.rows(sql)[0][0] { return n }
        return 0
    }

    /// Tables without a usable key: compare the multisets of whole rows.
    private func localizeByWholeRow(_ change: inout TableChange, columns: [String]) throws {
        change.matchedBy = "whole row (no primary key)"
        func multiset(_ schema: String) throws -> [SHA256.Digest: Int64] {
            let list = columns.isEmpty ? "*" : columns.map(SQLiteFingerprinter.quote).joined(separator: ", ")
            let statement = try db.prepare("SELECT \(list) FROM \(schema).\(SQLiteFingerprinter.quote(change.table))")
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
        change.added = added
        change.removed = removed
    }
}
