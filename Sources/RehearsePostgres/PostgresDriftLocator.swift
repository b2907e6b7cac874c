import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

/// Narrows a PostgreSQL table's drift to rows and columns: the engine hooks
/// of `DriftLocalization`, in PostgreSQL's SQL. The rebuilt pre-birth table
/// is streamed from the reference database into a temporary table of the
/// scratch session (COPY out, COPY in), then compared by key in SQL. Values
/// are compared by their text form under the pinned session
/// (extra_float_digits = 3), so -0 vs 0 or a truncated string count as changed.
///
/// The staged copy holds every column as `text`, never as the column's own
/// type: this session is a superuser's, and rows written into a domain (or
/// a composite or array holding one) would run the domain's CHECK, a
/// function the schema or a restored dump chose, as superuser (red team
/// D-F0: `COPY … TO PROGRAM` from an unedited dump). Keys are read back in
/// their own type only to order them, and only for types whose input
/// function cannot be user code (built-in types, enums, arrays of those).
package struct PostgresDriftLocator: DriftLocatorHooks {
    package let current: PGConnection
    package let reference: PGConnection
    private var relations: [PostgresFingerprinter.DataRelation]?
    /// The relation of the table being localized (set by `columns(of:)`).
    private var qualified = ""
    /// A column's type when its keys may be cast back to it for ordering;
    /// "" when its input function could be user code (order as text).
    private var orderTypes: [String: String] = [:]
    private let q = PGConnection.quoteIdentifier

    package init(current: PGConnection, reference: PGConnection) {
        self.current = current
        self.reference = reference
    }

    private func columns(_ db: PGConnection, _ table: String) throws(PGError) -> [DriftColumn] {
        try db.rows("""
            SELECT a.attname,
                   CASE WHEN t.oid < 16384 OR t.typtype = 'e'
                             OR (e.oid IS NOT NULL AND t.typtype = 'b' AND (e.oid < 16384 OR e.typtype = 'e'))
                        THEN pg_catalog.format_type(a.atttypid, a.atttypmod) ELSE '' END,
                   (SELECT k.i FROM pg_catalog.pg_constraint con, pg_catalog.unnest(con.conkey) WITH ORDINALITY k(attnum, i)
                     WHERE con.conrelid = a.attrelid AND con.contype = 'p' AND k.attnum = a.attnum)
            FROM pg_catalog.pg_attribute a
            JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
            LEFT JOIN pg_catalog.pg_type e ON e.oid = t.typelem AND t.typelem <> 0
            WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum
            """, [table]).map { DriftColumn(name: $0[0]!, keyPosition: $0[2].flatMap { Int($0) }, type: $0[1]!) }
    }

    /// `table` is the fingerprint's display name (bare in public).
    package mutating func columns(of table: String) throws -> (reference: [DriftColumn], current: Set<String>)? {
        try PostgresFingerprinter.pin(current)
        // The display name back to the relation, as the fingerprint named it
        // (the catalog is read once for all the drifted tables).
        // The current side is the scratch owner's session (PostgresScratch),
        // so whatever function of the schema's it might still reach runs
        // without superuser, and pinned like the reference (search_path ''),
        // so no operator or function a restored dump defined is picked by
        // name resolution.
        if relations == nil {
            try PostgresFingerprinter.pin(current)
            relations = try PostgresFingerprinter.dataRelations(current)
        }
        guard let relation = relations?.first(where: { $0.display == table }) else { return nil }
        qualified = relation.qualified
        try PostgresFingerprinter.pin(reference)
        try current.execute("SET default_transaction_read_only = off")
        let before = try columns(reference, qualified)
        orderTypes = Dictionary(before.map { ($0.name, $0.type) }) { first, _ in first }
        return (before, Set(try columns(current, qualified).map(\.name)))
    }

    /// The reference rows, into a temporary table of this session.
    package mutating func stage(_ table: String, common: [DriftColumn]) throws {
        try current.execute("DROP TABLE IF EXISTS pg_temp.rehearse_reference")
        try current.execute("CREATE TEMPORARY TABLE rehearse_reference (\(common.map { "\(q($0.name)) pg_catalog.text" }.joined(separator: ", ")))")
        let list = common.map { q($0.name) }.joined(separator: ", ")
        try current.beginCopyIn("COPY pg_temp.rehearse_reference (\(list)) FROM STDIN")
        var copyError: PGError?
        let current = current
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
    }

    package mutating func unstage(_ table: String) {
        _ = try? current.execute("DROP TABLE IF EXISTS pg_temp.rehearse_reference")
    }

    private var ref: String { "pg_temp.rehearse_reference a" }
    private var cur: String { "ONLY \(qualified) b" }
    /// Staged columns are text: the current side is compared in its text form.
    private func on(_ key: [String]) -> String { key.map { "b.\(q($0))::pg_catalog.text = a.\(q($0))" }.joined(separator: " AND ") }
    /// Keys in their type's own order where that is safe (uuid has no min(),
    /// and 10 must sort after 9), else as text.
    private func keyList(_ key: [String], _ alias: String = "a", descending: Bool = false) -> String {
        key.map { c in
            let type = orderTypes[c] ?? ""
            return (type.isEmpty ? "\(alias).\(q(c))" : "(\(alias).\(q(c)))::\(type)") + (descending ? " DESC" : "")
        }.joined(separator: ", ")
    }
    private func keyText(_ key: [String], _ alias: String = "a") -> String {
        key.map { "coalesce(\(alias).\(q($0))::pg_catalog.text, 'NULL')" }.joined(separator: " || ', ' || ")
    }
    private func changedKeys(_ compared: [String]) -> String {
        compared.isEmpty ? "false" : compared.map { "(a.\(q($0)))::pg_catalog.text IS DISTINCT FROM (b.\(q($0)))::pg_catalog.text" }.joined(separator: " OR ")
    }

    package func wholeRowDifference(_ table: String, columns: [String]) throws -> (added: Int64, removed: Int64) {
        let row = "ROW(\(columns.map { "x.\(q($0))::pg_catalog.text" }.joined(separator: ", ")))::pg_catalog.text"
        let removed = Int64(try current.scalar("SELECT count(*) FROM (SELECT \(row) FROM pg_temp.rehearse_reference x EXCEPT ALL SELECT \(row) FROM ONLY \(qualified) x) d") ?? "0")
        let added = Int64(try current.scalar("SELECT count(*) FROM (SELECT \(row) FROM ONLY \(qualified) x EXCEPT ALL SELECT \(row) FROM pg_temp.rehearse_reference x) d") ?? "0")
        return (added ?? 0, removed ?? 0)
    }

    package func removedCount(_ table: String, key: [String]) throws -> Int64 {
        Int64(try current.scalar("SELECT count(*) FROM \(ref) WHERE NOT EXISTS (SELECT 1 FROM \(cur) WHERE \(on(key)))") ?? "0") ?? 0
    }

    package func addedCount(_ table: String, key: [String]) throws -> Int64 {
        Int64(try current.scalar("SELECT count(*) FROM \(cur) WHERE NOT EXISTS (SELECT 1 FROM \(ref) WHERE \(on(key)))") ?? "0") ?? 0
    }

    package func changedCounts(_ table: String, key: [String], compared: [String]) throws -> (perColumn: [Int64], changed: Int64) {
        let sums = compared.map { "count(*) FILTER (WHERE \(changedKeys([$0])))::text" }.joined(separator: ", ")
        let row = try current.rows("SELECT \(sums), count(*) FILTER (WHERE \(changedKeys(compared)))::text FROM \(ref) JOIN \(cur) ON \(on(key))")[0]
        let counts = row.map { Int64($0 ?? "0") ?? 0 }
        return (Array(counts.dropLast()), counts.last ?? 0)
    }

    package func changedKeys(_ table: String, key: [String], compared: [String], limit: Int) throws -> [String] {
        try current.rows("SELECT \(keyText(key)) FROM \(ref) JOIN \(cur) ON \(on(key)) WHERE \(changedKeys(compared)) ORDER BY \(keyList(key)) LIMIT \(limit)").map { $0[0] ?? "" }
    }

    package func removedKeys(_ table: String, key: [String], limit: Int) throws -> [String] {
        try current.rows("SELECT \(keyText(key)) FROM \(ref) WHERE NOT EXISTS (SELECT 1 FROM \(cur) WHERE \(on(key))) ORDER BY \(keyList(key)) LIMIT \(limit)").map { $0[0] ?? "" }
    }

    /// Keys are ordered by their type's own order where that is safe (see
    /// `keyList`), a composite key as a tuple.
    package func keyRange(_ table: String, key: [String], compared: [String]) throws -> (low: String, high: String)? {
        let select = key.map { "a.\(q($0))" }.joined(separator: ", ")
        let differing = """
            SELECT \(select) FROM \(ref) JOIN \(cur) ON \(on(key)) WHERE \(changedKeys(compared))
            UNION ALL SELECT \(select) FROM \(ref) WHERE NOT EXISTS (SELECT 1 FROM \(cur) WHERE \(on(key)))
            """
        let text = keyText(key, "d")
        let lo = try current.scalar("SELECT \(text) FROM (\(differing)) d ORDER BY \(keyList(key, "d")) LIMIT 1")
        let hi = try current.scalar("SELECT \(text) FROM (\(differing)) d ORDER BY \(keyList(key, "d", descending: true)) LIMIT 1")
        guard let lo, let hi else { return nil }
        return (lo, hi)
    }
}
