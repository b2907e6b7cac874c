import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

/// Narrows a PostgreSQL table's drift to rows and columns. The rebuilt
/// pre-birth table is streamed from the reference database into a temporary
/// table of the scratch session (COPY out, COPY in), then compared by key in
/// SQL. Values are compared by their text form under the pinned session
/// (extra_float_digits = 3), so -0 vs 0 or a truncated string count as changed.
package struct PostgresDriftLocator {
    package let current: PGConnection
    package let reference: PGConnection
    package static let sampleLimit = 5
    private var relations: [PostgresFingerprinter.DataRelation]?

    package init(current: PGConnection, reference: PGConnection) {
        self.current = current
        self.reference = reference
    }

    private struct Column { var name: String; var type: String; var key: Int? }

    private func columns(_ db: PGConnection, _ table: String) throws(PGError) -> [Column] {
        try db.rows("""
            SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),
                   (SELECT k.i FROM pg_catalog.pg_constraint con, unnest(con.conkey) WITH ORDINALITY k(attnum, i)
                     WHERE con.conrelid = a.attrelid AND con.contype = 'p' AND k.attnum = a.attnum)
            FROM pg_catalog.pg_attribute a
            WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum
            """, [table]).map { Column(name: $0[0]!, type: $0[1]!, key: $0[2].flatMap { Int($0) }) }
    }

    /// `table` is the fingerprint's display name (bare in public).
    package mutating func localize(_ change: inout TableChange) throws {
        let q = PGConnection.quoteIdentifier
        try PostgresFingerprinter.pin(current)
        // The display name back to the relation, as the fingerprint named it
        // (the catalog is read once for all the drifted tables).
        // The current side is a superuser session too: pinned like the
        // reference (search_path ''), so no operator or function a restored
        // dump defined can be picked by name resolution and run as superuser.
        if relations == nil {
            try PostgresFingerprinter.pin(current)
            relations = try PostgresFingerprinter.dataRelations(current)
        }
        guard let relation = relations?.first(where: { $0.display == change.table }) else {
            change.note = "the table could not be found again to localize its rows"
            return
        }
        let qualified = relation.qualified
        try PostgresFingerprinter.pin(reference)
        try current.execute("SET default_transaction_read_only = off")
        let before = try columns(reference, qualified)
        let after = Set(try columns(current, qualified).map(\.name))
        let common = before.filter { after.contains($0.name) }
        guard !common.isEmpty else { return }

        // The reference rows, into a temporary table of this session.
        try current.execute("DROP TABLE IF EXISTS pg_temp.rehearse_reference")
        try current.execute("CREATE TEMPORARY TABLE rehearse_reference (\(common.map { "\(q($0.name)) \($0.type)" }.joined(separator: ", ")))")
        let list = common.map { q($0.name) }.joined(separator: ", ")
        try current.beginCopyIn("COPY pg_temp.rehearse_reference (\(list)) FROM STDIN")
        var copyError: PGError?
        do {
            try reference.copyOut("COPY (SELECT \(list) FROM ONLY \(qualified)) TO STDOUT") { line in
                if copyError == nil {
                    do throws(PGError) { try current.putCopyData(line) } catch { copyError = error }
                }
            }
        } catch {
            current.abortCopyIn("the reference stream failed")
            throw error
        }
        if let copyError {
            current.abortCopyIn("sending the reference rows failed")
            throw copyError
        }
        _ = try current.endCopyIn()
        defer { _ = try? current.execute("DROP TABLE IF EXISTS pg_temp.rehearse_reference") }

        let key = before.filter { $0.key != nil }.sorted { $0.key! < $1.key! }.map(\.name)
        guard !key.isEmpty, key.allSatisfy(after.contains) else {
            change.matchedBy = "whole row (no primary key)"
            let row = "ROW(\(common.map { "x.\(q($0.name))" }.joined(separator: ", ")))::text"
            change.removed = Int64(try current.scalar("SELECT count(*) FROM (SELECT \(row) FROM pg_temp.rehearse_reference x EXCEPT ALL SELECT \(row) FROM ONLY \(qualified) x) d") ?? "0")
            change.added = Int64(try current.scalar("SELECT count(*) FROM (SELECT \(row) FROM ONLY \(qualified) x EXCEPT ALL SELECT \(row) FROM pg_temp.rehearse_reference x) d") ?? "0")
            return
        }
        change.matchedBy = "primary key (\(key.joined(separator: ", ")))"
        let on = key.map { "b.\(q($0)) = a.\(q($0))" }.joined(separator: " AND ")
        let keyList = key.map { "a.\(q($0))" }.joined(separator: ", ")
        let keyText = key.map { "coalesce(a.\(q($0))::text, 'NULL')" }.joined(separator: " || ', ' || ")
        let ref = "pg_temp.rehearse_reference a"
        let cur = "ONLY \(qualified) b"
        change.removed = Int64(try current.scalar("SELECT count(*) FROM \(ref) WHERE NOT EXISTS (SELECT 1 FROM \(cur) WHERE \(on))") ?? "0")
        change.added = Int64(try current.scalar("SELECT count(*) FROM \(cur) WHERE NOT EXISTS (SELECT 1 FROM \(ref) WHERE \(on))") ?? "0")
        let compared = common.map(\.name).filter { !key.contains($0) }
        let differs = compared.map { "(a.\(q($0)))::text IS DISTINCT FROM (b.\(q($0)))::text" }
        var changedKeys = "false"
        if differs.isEmpty {
            change.changed = 0
        } else {
            changedKeys = differs.joined(separator: " OR ")
            let sums = differs.map { "count(*) FILTER (WHERE \($0))::text" }.joined(separator: ", ")
            let row = try current.rows("SELECT \(sums), count(*) FILTER (WHERE \(changedKeys))::text FROM \(ref) JOIN \(cur) ON \(on)")[0]
            for (i, name) in compared.enumerated() {
                if let n = Int64(row[i] ?? "0"), n > 0 { change.columns[name] = n }
            }
            change.changed = Int64(row[compared.count] ?? "0")
            let samples = try current.rows("SELECT \(keyText) FROM \(ref) JOIN \(cur) ON \(on) WHERE \(changedKeys) ORDER BY \(keyList) LIMIT \(Self.sampleLimit)")
            change.sampleKeys = samples.map { $0[0] ?? "" }
        }
        if change.sampleKeys.count < Self.sampleLimit, (change.removed ?? 0) > 0 {
            let gone = try current.rows("SELECT \(keyText) FROM \(ref) WHERE NOT EXISTS (SELECT 1 FROM \(cur) WHERE \(on)) ORDER BY \(keyList) LIMIT \(Self.sampleLimit - change.sampleKeys.count)")
            change.sampleKeys += gone.map { "removed " + ($0[0] ?? "") }
        }
        // The key range the differing rows span: where to look first. Keys
        // are ordered by their type's own order (uuid has no min(), and text
        // must not sort digits as text), a composite key as a tuple.
        if (change.changed ?? 0) + (change.removed ?? 0) > 0 {
            let select = key.map { "a.\(q($0))" }.joined(separator: ", ")
            let differing = """
                SELECT \(select) FROM \(ref) JOIN \(cur) ON \(on) WHERE \(changedKeys)
                UNION ALL SELECT \(select) FROM \(ref) WHERE NOT EXISTS (SELECT 1 FROM \(cur) WHERE \(on))
                """
            let text = key.map { "coalesce(d.\(q($0))::text, 'NULL')" }.joined(separator: " || ', ' || ")
            let lo = try current.scalar("SELECT \(text) FROM (\(differing)) d ORDER BY \(key.map { "d.\(q($0))" }.joined(separator: ", ")) LIMIT 1")
            let hi = try current.scalar("SELECT \(text) FROM (\(differing)) d ORDER BY \(key.map { "d.\(q($0)) DESC" }.joined(separator: ", ")) LIMIT 1")
            if let lo, let hi { change.note = TableChange.keyRangeNote(key: key, low: lo, high: hi) }
        }
    }
}
