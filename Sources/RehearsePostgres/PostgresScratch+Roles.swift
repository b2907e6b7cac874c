import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

/// The grantee roles a schema file names, in the scratch cluster: an
/// ephemeral cluster is private, so each missing role is created there
/// NOLOGIN NOSUPERUSER (no password, no membership, no privilege but what the
/// schema grants it) and grants to it are rehearsed as written. A server the
/// user named is shared: rehearse creates no role there; roles it already has
/// are used, the others are mapped to the scratch owner (PgDumpSchemaPlan).
extension PostgresScratch {
    package static func provideRoles(_ roles: [String], server: [String: String], create: Bool) throws -> [String: String] {
        let admin = try open(server, database: server["dbname"] ?? "postgres")
        var provided: [String: String] = [:]
        do {
            for role in roles {
                if try !admin.rows("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1", [role]).isEmpty {
                    provided[role] = "existing"
                } else if create {
                    try admin.execute("CREATE ROLE \(PGConnection.quoteIdentifier(role)) NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS")
                    provided[role] = "created NOLOGIN"
                }
            }
        } catch {
            throw RehearseError.environment("Creating the schema's grantee roles in the scratch cluster failed: \(error).")
        }
        return provided
    }
}

/// Roles are cluster-wide: a birth's `CREATE ROLE` is no object of the
/// scratch database, so a rollback that forgets `DROP ROLE` would leave the
/// catalog fingerprint equal. In an ephemeral cluster (private: every role in
/// it is this run's), each role beyond those that existed at the first
/// fingerprint (before birth; the cluster's bootstrap roles and the schema's
/// grantees) is an object `role NAME` of the fingerprint: its attributes,
/// its memberships and its settings (never a password). On a server the user
/// named, other sessions' roles would be noise, so roles are not read there.
extension PostgresScratch {
    package static func roles(_ db: PGConnection) throws(PGError) -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for row in try db.rows("""
            SELECT r.rolname, r.rolsuper::text, r.rolinherit::text, r.rolcreaterole::text, r.rolcreatedb::text, r.rolcanlogin::text,
                   r.rolreplication::text, r.rolbypassrls::text, r.rolconnlimit::text, coalesce(r.rolvaliduntil::text, ''),
                   coalesce((SELECT string_agg(g.rolname || CASE WHEN m.admin_option THEN ' WITH ADMIN' ELSE '' END, ', ' ORDER BY g.rolname)
                             FROM pg_catalog.pg_auth_members m JOIN pg_catalog.pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid), ''),
                   coalesce(pg_catalog.array_to_string(r.rolconfig, ', '), '')
            FROM pg_catalog.pg_roles r WHERE r.rolname !~ '^pg_' ORDER BY r.rolname
            """) {
            let names = ["superuser", "inherit", "createrole", "createdb", "login", "replication", "bypassrls", "connection_limit",
                         "valid_until", "member_of", "settings"]
            var o: [String: JSONValue] = ["kind": "role"]
            for (i, name) in names.enumerated() { o[name] = .string(row[i + 1] ?? "") }
            out[row[0]!] = .object(o)
        }
        return out
    }
}
