import Foundation
import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

/// Reads a PostgreSQL catalog into canonical object descriptions, keyed
/// `"<kind> <name>"` like the SQLite fingerprint: schemas, tables (partitioned
/// ones and partitions included) with their columns, constraints, indexes,
/// views and materialized views, sequences (definition, and the current value
/// as an object of its own), functions and procedures, triggers (with their
/// enabled state), rules, policies, enums, domains, composite and range
/// types, and extensions. Definitions come from the server's own `pg_get_*`
/// functions under `search_path = ''`, so names are schema-qualified and no
/// OID or relfilenode appears. The session must be pinned first.
package struct PostgresCatalogReader {
    package let db: PGConnection

    /// The scratch database's owner: objects it owns and privileges it holds
    /// are recorded as `$owner`, so a run on a server (owner `alice`) and its
    /// reproduction in an ephemeral cluster describe the same schema.
    package var owner: String

    package init(db: PGConnection) {
        self.db = db
        owner = ""
    }

    package struct Result {
        package var objects = NameKeyed<JSONValue>()
        /// Physical leftovers that are not drift (dropped columns).
        package var residue: [String] = []
    }

    package var user: String { PostgresCatalog.userSchema }
    package func noExt(_ oid: String, _ catalog: String) -> String { PostgresCatalog.notFromExtension(oid, catalog) }
    package func name(_ schema: String?, _ object: String?) -> String { PostgresCatalog.displayName(schema: schema!, name: object!) }
    package func text(_ v: String?) -> JSONValue { v.map { .string($0) } ?? .null }
    package func flag(_ v: String?) -> JSONValue { .bool(v == "t") }

    package func read() throws(PGError) -> Result {
        var reader = self
        reader.owner = try db.scalar("SELECT pg_catalog.pg_get_userbyid(datdba) FROM pg_catalog.pg_database WHERE datname = current_database()") ?? ""
        return try reader.readAll()
    }

    package func role(_ name: String?) -> JSONValue {
        guard let name else { return .null }
        return .string(name == owner ? "$owner" : name)
    }

    /// An aclitem[] in text form with the owner's name replaced, items sorted.
    /// Queries read a NULL ACL as `acldefault()` for the object's kind and
    /// owner (what it means), so privileges revoked and granted back, which
    /// leave an explicit but equal ACL, are no drift; an empty one is none.
    /// `asIs`: role names as the server gives them (built-ins, whose owner
    /// is the bootstrap superuser, not the scratch owner).
    package func acl(_ text: String?, asIs: Bool = false) -> JSONValue {
        guard let text, text != "{}" else { return .null }
        // aclitem[] text: elements double-quoted when they hold a quote,
        // comma or space (`"\"App Writer\"=r/alice"`), names inside an
        // item double-quoted as identifiers.
        func elements(_ s: String) -> [String] {
            var out: [String] = [], cur = "", inQuotes = false, escaped = false
            for ch in s.dropFirst().dropLast() {
                if escaped { cur.append(ch); escaped = false; continue }
                if inQuotes, ch == "\\" { escaped = true; continue }
                if ch == "\"" { inQuotes.toggle(); continue }
                if ch == ",", !inQuotes { out.append(cur); cur = ""; continue }
                cur.append(ch)
            }
            out.append(cur)
            return out
        }
        /// `name=privs/grantor` with either name possibly an identifier in quotes.
        func parts(_ item: String) -> (grantee: String, privileges: String, grantor: String) {
            var fields: [String] = [""], quoted = false
            var chars = Array(item), i = 0
            while i < chars.count {
                let ch = chars[i]
                if ch == "\"" {
                    if quoted, i + 1 < chars.count, chars[i + 1] == "\"" { fields[fields.count - 1].append("\""); i += 2; continue }
                    quoted.toggle()
                } else if !quoted, (ch == "=" && fields.count == 1) || (ch == "/" && fields.count == 2) {
                    fields.append("")
                } else {
                    fields[fields.count - 1].append(ch)
                }
                i += 1
            }
            chars = []
            while fields.count < 3 { fields.append("") }
            return (fields[0], fields[1], fields[2])
        }
        func who(_ name: String) -> String {
            if name == owner, !asIs { return "$owner" }
            let plain = !name.isEmpty && name.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "_" } && !(name.first?.isNumber ?? false)
            return plain || name.isEmpty ? name : PGConnection.quoteIdentifier(name)
        }
        let items = elements(text).map { item -> String in
            let p = parts(item)
            return who(p.grantee) + "=" + p.privileges + "/" + who(p.grantor)
        }
        return .string(items.sorted().joined(separator: ","))
    }

    private func readAll() throws(PGError) -> Result {
        var r = Result()
        try schemas(&r)
        try tables(&r)
        try constraints(&r)
        try indexes(&r)
        try views(&r)
        try sequences(&r)
        try functions(&r)
        try triggers(&r)
        try rulesAndPolicies(&r)
        try types(&r)
        try extensions(&r)
        try statistics(&r)
        try defaultPrivileges(&r)
        try otherKinds(&r)
        return r
    }
}
