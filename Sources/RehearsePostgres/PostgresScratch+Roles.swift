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
