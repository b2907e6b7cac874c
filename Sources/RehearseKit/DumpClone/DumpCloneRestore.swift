import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// What follows a dump clone's restore (``DumpClonePlainRestore`` restores
/// plain dumps and archives' renderings alike): no per-database setting may
/// be left, and the rows per table. Every object belongs to the scratch owner
/// role (no superuser: whatever the dump holds cannot run programs, read
/// server files or reach other servers); the mapping is recorded.
package enum DumpCloneRestore {
    /// The mapping recorded in the evidence.
    package static let ownership = "all objects created by and owned by the non-superuser scratch owner role rehearse_owner; the dump's owners and grants are not restored"

    /// After a restore: the dump may not have set anything per database or
    /// role (ALTER DATABASE … SET search_path could redirect later sessions,
    /// the superuser's included, to objects the dump defined).
    package static func checkNoSettings(_ scratch: PostgresScratch, shown: String) throws {
        let db = try scratch.connect()
        _ = try db.execute("SET search_path = ''")
        let n = try db.scalar("SELECT pg_catalog.count(*) FROM pg_catalog.pg_db_role_setting") ?? "0"
        guard n == "0" else {
            throw RehearseError.refused("Refused: restoring the dump \(RunFolder.display(shown)) set \(n) per-database or per-role setting(s) (ALTER DATABASE/ROLE … SET), which would change how later sessions resolve names. A dump clone may not; nothing was rehearsed.")
        }
    }

    /// Rows per table of the restored database (user schemas only), counted
    /// as the non-superuser owner with an empty search_path and pg_catalog's
    /// own count, so nothing the dump defined runs with more privilege.
    package static func rows(_ scratch: PostgresScratch) throws -> [String: Int64] {
        let db = try scratch.connectAsOwner()
        _ = try db.execute("SET search_path = ''")
        var out: [String: Int64] = [:]
        let tables = try db.rows("SELECT n.nspname, c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1, 2")
        for t in tables {
            guard let schema = t[0], let name = t[1] else { continue }
            let q = "SELECT pg_catalog.count(*) FROM \(PGConnection.quoteIdentifier(schema)).\(PGConnection.quoteIdentifier(name))"
            out[schema == "public" ? name : "\(schema).\(name)"] = Int64(try db.scalar(q) ?? "0") ?? 0
        }
        return out
    }
}

/// Restoring a checked plain SQL dump, or an archive's rendering (root's copy
/// of what `pg_restore --file` wrote, scanned and checked by the gate):
/// rehearse splits it itself (the same
/// ``DumpSQLGuard`` parse the gate ran, over the same private file), runs each
/// statement alone on one connection as the scratch owner inside one
/// transaction, and feeds each COPY … FROM stdin block through libpq's COPY
/// protocol. No psql, no meta-command, no second reader of the text.
package enum DumpClonePlainRestore {
    /// `ALTER … OWNER TO …`, GRANT, REVOKE, ALTER DEFAULT PRIVILEGES.
    package static func isOwnershipOrPrivilege(_ skeleton: String) -> Bool {
        skeleton.hasPrefix("GRANT ") || skeleton.hasPrefix("REVOKE ") || skeleton.hasPrefix("ALTER DEFAULT PRIVILEGES")
            || (skeleton.hasPrefix("ALTER ") && skeleton.contains(" OWNER TO "))
    }

    package static func restore(_ prepared: DumpCloneGate.Prepared, shown: String, into scratch: PostgresScratch) throws {
        guard scratch.isEphemeral else {
            throw RehearseError.refused("Refused: a dump clone restores only into an ephemeral cluster rehearse started itself, never into a named server.")
        }
        let db = try scratch.connectAsOwner()
        var failedAt = 0
        func fail(_ error: Error) -> RehearseError {
            // The primary message only: DETAIL and CONTEXT can quote row values.
            let message = (error as? PGError)?.message ?? "\(error)"
            return RehearseError.rehearsalFailed("Restoring the \(prepared.format.rawValue) dump \(RunFolder.display(shown)) failed at line \(failedAt)\(prepared.format == .plain ? "" : " of pg_restore's rendering"): \(message). Nothing was rehearsed.")
        }
        var guardian = DumpSQLGuard(shown: shown)
        var copying = false
        guardian.onStatement = { sql, line, skeleton in
            failedAt = line
            // Owners and privileges map onto the one scratch owner, as
            // pg_restore --no-owner --no-privileges does for archives.
            if Self.isOwnershipOrPrivilege(skeleton) { return }
            do {
                // The guard's own reading decides what is a COPY, so its data
                // block is exactly what the server receives as data.
                if skeleton.hasPrefix("COPY ") {
                    try db.beginCopyIn(sql)
                    copying = true
                } else {
                    try db.executeStatement(sql)
                }
            } catch { throw fail(error) }
        }
        guardian.onCopyLine = { bytes in
            do { try db.putCopyData(bytes) } catch { throw fail(error) }
        }
        guardian.onCopyEnd = {
            copying = false
            do { _ = try db.endCopyIn() } catch { throw fail(error) }
        }
        do {
            try db.execute("BEGIN")
            try DumpScan.read(prepared.script ?? prepared.copy, shown: shown) { try guardian.feed($0) }
            try guardian.finish()
            try db.execute("COMMIT")
        } catch let error as RehearseError {
            if copying { db.abortCopyIn("restore failed") }
            _ = try? db.execute("ROLLBACK")
            throw error
        } catch {
            _ = try? db.execute("ROLLBACK")
            throw fail(error)
        }
    }
}
