import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

/// Watches what a birth or rollback script does to a PostgreSQL database,
/// from the script's own session: which tables it rewrote (their relfilenode
/// changed), the strongest lock it took on each relation (held until the
/// transaction ends, so visible in pg_locks just before COMMIT), and the rows
/// it inserted, updated and deleted per table (pg_stat_xact_user_tables).
package final class BirthObserver {
    package let db: PGConnection
    /// oid → (display name, relfilenode) of tables and materialized views before the script.
    private var before: [String: (name: String, filenode: String, kind: String)] = [:]

    package init(db: PGConnection) { self.db = db }

    /// PostgreSQL's table lock modes, weakest first.
    package static let lockOrder = ["AccessShareLock", "RowShareLock", "RowExclusiveLock", "ShareUpdateExclusiveLock",
                            "ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock"]

    private func relations() throws(PGError) -> [String: (name: String, filenode: String, kind: String)] {
        var out: [String: (String, String, String)] = [:]
        for row in try db.rows("""
            SELECT c.oid::text, n.nspname, c.relname, c.relfilenode::text, c.relkind::text
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'm', 'p', 'i', 'S', 'v') AND \(PostgresCatalog.userSchema)
            """) {
            out[row[0]!] = (PostgresCatalog.displayName(schema: row[1]!, name: row[2]!), row[3]!, row[4]!)
        }
        return out
    }

    package func snapshot() throws(PGError) {
        before = try relations()
    }

    /// Call inside the script's transaction, after its last statement.
    package func observe(transactional: Bool) throws(PGError) -> ScriptObservation {
        let after = try relations()
        var rewritten: [String] = []
        for (oid, now) in after {
            // relfilenode 0 marks relations without storage of their own (views,
            // partitioned parents, mapped catalogs).
            if now.kind == "r" || now.kind == "m", let was = before[oid], was.filenode != "0", now.filenode != "0", was.filenode != now.filenode {
                rewritten.append(now.name)
            }
        }
        var locks: [String: String] = [:]
        var rows: [ScriptObservation.Rows] = []
        if transactional {
            for row in try db.rows("""
                SELECT l.relation::text, l.mode FROM pg_catalog.pg_locks l
                WHERE l.pid = pg_catalog.pg_backend_pid() AND l.locktype = 'relation' AND l.granted
                """) {
                guard let oid = row[0], let mode = row[1], let name = after[oid]?.name ?? before[oid]?.name else { continue }
                let rank = Self.lockOrder.firstIndex(of: mode) ?? -1
                if let held = locks[name], (Self.lockOrder.firstIndex(of: held) ?? -1) >= rank { continue }
                locks[name] = mode
            }
            for row in try db.rows("""
                SELECT schemaname, relname, n_tup_ins::text, n_tup_upd::text, n_tup_del::text
                FROM pg_catalog.pg_stat_xact_user_tables WHERE n_tup_ins + n_tup_upd + n_tup_del > 0
                """) {
                rows.append(ScriptObservation.Rows(table: PostgresCatalog.displayName(schema: row[0]!, name: row[1]!),
                                                   inserted: Int64(row[2]!) ?? 0, updated: Int64(row[3]!) ?? 0, deleted: Int64(row[4]!) ?? 0))
            }
        }
        return ScriptObservation(transactional: transactional, rewritten: rewritten,
                                 locks: locks.map { (relation: $0.key, mode: $0.value) }, rows: rows)
    }
}
