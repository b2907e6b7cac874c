import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// Restoring a checked archive into the ephemeral cluster: pg_restore with an
/// environment built from nothing, connected over the cluster's Unix socket
/// as the scratch owner role (no superuser: whatever the archive holds cannot
/// run programs, read server files or reach other servers), owners and
/// privileges dropped so every object belongs to that one role (the mapping
/// is recorded), one transaction, stopping at the first error.
package enum DumpCloneRestore {
    /// The mapping recorded in the evidence.
    package static let ownership = "all objects created by and owned by the non-superuser scratch owner role rehearse_owner; the dump's owners and grants are not restored"

    package static func restore(_ prepared: DumpCloneGate.Prepared, shown: String, into scratch: PostgresScratch) throws {
        // The cluster's own database or its drift-localizing sibling; never a named server.
        guard scratch.isEphemeral else {
            throw RehearseError.refused("Refused: a dump clone restores only into an ephemeral cluster rehearse started itself, never into a named server.")
        }
        var params = scratch.scriptParameters
        params["dbname"] = scratch.database
        let conninfo = params.sorted { $0.key < $1.key }.map { "\($0.key)='\($0.value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'"))'" }.joined(separator: " ")
        let tool = try ArchiveTools.pgRestore(bindir: scratch.cluster?.bindir)
        let log = prepared.workspace.url.appendingPathComponent("pg_restore.log")
        defer { try? FileManager.default.removeItem(at: log) }
        // As the unprivileged reader the copy was handed to, never as root.
        let run = prepared.reader.command(tool, ["--format=\(ArchiveTools.flag(prepared.format))", "--dbname=\(conninfo)", "--exit-on-error",
                                                       "--single-transaction", "--no-owner", "--no-privileges", "--no-comments", "--no-tablespaces",
                                                       "--no-publications", "--no-subscriptions", "--no-security-labels", "--", prepared.copy.path])
        let outcome = try ChildProcess.run(run.executable, run.arguments, environment: ArchiveTools.environment, output: log)
        guard outcome.status == 0 else {
            // pg_restore's own lines name the object and PostgreSQL's message;
            // CONTEXT and "Command was" lines can quote row values, so they stay out.
            let lines = outcome.output.split(separator: "\n").map(String.init)
                .filter { !$0.hasPrefix("CONTEXT:") && !$0.hasPrefix("DETAIL:") && !$0.contains("Command was:") && !$0.hasPrefix("LINE ") && !$0.hasPrefix(" ") }
                .prefix(6).joined(separator: "\n")
            throw RehearseError.rehearsalFailed("Restoring the \(prepared.format.rawValue) dump \(RunFolder.display(shown)) into the scratch cluster failed (pg_restore exit \(outcome.status)), so nothing was rehearsed:\n\(lines)")
        }
    }

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

/// Restoring a checked plain SQL dump: rehearse splits it itself (the same
/// ``DumpSQLGuard`` parse the gate ran, over the same private copy), runs each
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
            return RehearseError.rehearsalFailed("Restoring the plain dump \(RunFolder.display(shown)) failed at line \(failedAt): \(message). Nothing was rehearsed.")
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
            try DumpScan.read(prepared.copy, shown: shown) { try guardian.feed($0) }
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
