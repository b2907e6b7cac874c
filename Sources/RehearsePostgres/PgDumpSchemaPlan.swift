import Foundation
import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

/// The order and form in which the loader runs a PostgreSQL schema file, so
/// that a `pg_dump --schema-only` (any PostgreSQL 13+, with or without owners
/// and privileges) loads as pg_dump wrote it, with no hand edit.
///
/// The loader creates tables, loads rows, then builds what depends on rows or
/// would slow the load: indexes, views, materialized views, triggers, rules,
/// policies (`deferred`). Moving those later breaks pg_dump's own dependency
/// order unless every statement that *targets* a deferred object moves with
/// it: `COMMENT ON VIEW`, `ALTER TABLE v OWNER TO`, `ALTER INDEX … ATTACH
/// PARTITION`, `GRANT … ON v`, a view column's `SET DEFAULT`. Deferred
/// statements keep the file's order, which pg_dump already sorted by
/// dependency (an `ON ONLY` parent index before the ATTACH, a materialized
/// view before its index).
///
/// Roles are the scratch cluster's, not the dump's. Grantees stay what the
/// file says when the scratch cluster has them (`grantees(of:)`: an
/// ephemeral cluster creates each one NOLOGIN NOSUPERUSER first, so a
/// rollback that forgets a grant back is still drift); every other role the
/// file names in `OWNER TO`, a grantee list, `GRANTED BY` or `FOR ROLE`
/// (other than PUBLIC, the `CURRENT_*` keywords and the predefined `pg_*`
/// roles) is mapped to the scratch owner: the object stays the scratch
/// owner's, and a grant to a mapped role is dropped (the owner already holds
/// every privilege). Role membership (`GRANT role TO role`) is cluster state
/// and is skipped. Both lists are recorded in the evidence (`source.roles`).
package struct PgDumpSchemaPlan {
    /// Statements run before the rows are loaded, in file order.
    package var now: [ScriptStatement] = []
    /// Statements run after the rows, in file order.
    package var deferred: [ScriptStatement] = []
    /// Roles mapped to the scratch owner, sorted.
    package var mappedRoles: [String] = []

    /// Kinds of `CREATE` that wait for the rows.
    package static let laterKinds: Set<String> = ["index", "view", "trigger", "rule", "materialized", "policy"]
    /// Statement heads that may target an existing object and so follow it.
    package static let targetingHeads: Set<String> = ["alter", "comment", "grant", "revoke", "security", "refresh", "cluster"]

    /// The roles GRANT and REVOKE statements name as grantees, sorted: the
    /// ones the scratch cluster may provide before the plan is made.
    package static func grantees(of statements: [ScriptStatement]) -> [String] {
        var named: Set<String> = []
        for statement in statements {
            let toks = SQLNormalizer.tokens(String(statement.sql.prefix(40)))
            if toks.first == "create" || toks.first == "alter", toks.dropFirst().first == "policy" {
                named.formUnion(policyRoles(statement.sql).filter(isMapped))
                continue
            }
            guard toks.first == "grant" || toks.first == "revoke" || toks.prefix(3) == ["alter", "default", "privileges"] else { continue }
            var found: Set<String> = []
            _ = mapRoles(statement.sql, mapped: &found, keep: [])
            named.formUnion(found)
        }
        return named.sorted()
    }

    /// `existing`: roles the scratch cluster has, kept as grantees.
    package init(_ statements: [ScriptStatement], existing: Set<String> = []) {
        var deferredNames: Set<String> = []
        var mapped: Set<String> = []
        for var statement in statements {
            let toks = SQLNormalizer.tokens(String(statement.sql.prefix(400)))
            guard let head = toks.first else { now.append(statement); continue }
            if head == "grant" || head == "revoke" || (head == "alter" && toks.dropFirst().prefix(2) == ["default", "privileges"]) {
                guard let rewritten = Self.mapRoles(statement.sql, mapped: &mapped, keep: existing) else { continue }
                statement.sql = rewritten
            } else if head == "alter" {
                // `ALTER … OWNER TO role`: the object stays the scratch owner's.
                let body = toks.last == ";" ? Array(toks.dropLast()) : toks
                if body.count >= 3, body[body.count - 3] == "owner", body[body.count - 2] == "to", Self.isMapped(body[body.count - 1]) {
                    mapped.insert(body[body.count - 1])
                    continue
                }
            }
            if head == "create", let kind = Self.createKind(toks), Self.laterKinds.contains(kind) {
                deferred.append(statement)
                if let created = Self.createdName(toks, kind: kind) { deferredNames.insert(created) }
            } else if Self.targetingHeads.contains(head), !Self.addsColumn(toks), Self.names(in: toks).contains(where: deferredNames.contains) {
                deferred.append(statement)
            } else {
                now.append(statement)
            }
        }
        mappedRoles = mapped.sorted()
        keepUniqueIndexesForForeignKeys(statements)
    }

    /// A foreign key needs a unique key on its parent, and pg_dump may give
    /// that key as a `CREATE UNIQUE INDEX` (gitlab's merge_requests): a
    /// unique index on a table some foreign key references runs before the
    /// rows, in the file's order, so the foreign key can be made.
    private mutating func keepUniqueIndexesForForeignKeys(_ statements: [ScriptStatement]) {
        var referenced: Set<String> = []
        for st in now {
            let toks = SQLNormalizer.tokens(String(st.sql.prefix(600)))
            guard toks.first == "alter" || toks.first == "create", var i = toks.firstIndex(of: "references") else { continue }
            while i + 1 < toks.count {
                i += 1
                if i + 1 < toks.count, toks[i + 1] == "." { i += 1; continue }
                referenced.insert(toks[i]); break
            }
        }
        guard !referenced.isEmpty else { return }
        let moving = deferred.filter { st in
            let toks = SQLNormalizer.tokens(String(st.sql.prefix(600)))
            guard toks.count > 2, toks[0] == "create", toks[1] == "unique", toks.contains("index"), !toks.contains("where"),
                  let on = toks.firstIndex(of: "on") else { return false }
            var j = on + 1
            if j < toks.count, toks[j] == "only" { j += 1 }
            while j + 2 < toks.count, toks[j + 1] == "." { j += 2 }
            return j < toks.count && referenced.contains(toks[j])
        }.map(\.startOffset)
        guard !moving.isEmpty else { return }
        let moved = Set(moving)
        now = (now + deferred.filter { moved.contains($0.startOffset) }).sorted { $0.startOffset < $1.startOffset }
        deferred.removeAll { moved.contains($0.startOffset) }
    }

    /// The kind a CREATE makes, past its modifiers: `create or replace
    /// materialized view` → `materialized`, `create unique index` → `index`.
    package static func createKind(_ toks: [String]) -> String? {
        let modifiers: Set<String> = ["or", "replace", "unique", "constraint", "recursive", "temp", "temporary", "unlogged", "global", "local"]
        return toks.dropFirst().first { !modifiers.contains($0) }
    }

    /// A role the file names that the scratch cluster must not be asked for.
    package static func isMapped(_ role: String) -> Bool {
        let r = role.lowercased()
        return !["public", "current_user", "current_role", "session_user", "pg_database_owner"].contains(r) && !r.hasPrefix("pg_")
    }

    /// `ALTER TABLE t ADD [COLUMN|CONSTRAINT] …` makes what the rows and the
    /// generator need (a column, a key): never deferred, unless it builds on
    /// an index (`… USING INDEX i`).
    private static func addsColumn(_ toks: [String]) -> Bool {
        toks.prefix(2) == ["alter", "table"] && toks.contains("add") && !(toks.contains("using") && toks.contains("index"))
    }

    /// The object a deferred CREATE makes, without its schema:
    /// `create [unique] index [concurrently] [if not exists] name on …`,
    /// `create [or replace] [materialized|recursive|temp] view name …`,
    /// `create [or replace] [constraint] trigger name …`, `create rule name`, `create policy name`.
    private static func createdName(_ toks: [String], kind: String) -> String? {
        guard let at = toks.firstIndex(of: kind == "materialized" ? "view" : kind) else { return nil }
        var i = at + 1
        if i < toks.count, toks[i] == "concurrently" { i += 1 }
        if i + 2 < toks.count, toks[i] == "if", toks[i + 1] == "not", toks[i + 2] == "exists" { i += 3 }
        guard i < toks.count, toks[i] != "on", toks[i] != "(" else { return nil }
        var name = toks[i]
        while i + 2 < toks.count, toks[i + 1] == "." { i += 2; name = toks[i] }
        return name
    }

    /// Identifier-like tokens of a statement (every part of a dotted name:
    /// `public.v.col` names the view `v`).
    private static func names(in toks: [String]) -> [String] {
        toks.filter { t in
            guard let c = t.unicodeScalars.first else { return false }
            return CharacterSet.letters.contains(c) || c == "_" || c == "\""
        }
    }

    /// The roles of a policy's `TO` list (`CREATE POLICY p ON t … TO a, b
    /// USING (…)`): an ephemeral cluster provides them like grantees.
    package static func policyRoles(_ sql: String) -> [String] {
        let pattern = #"\sTO\s+(\#(identifier)(?:\s*,\s*\#(identifier))*)(?=\s+(?:USING|WITH)\b|\s*;?\s*$)"#
        guard let re = try? NSRegularExpression(pattern: pattern, options: [.caseInsensitive]),
              let m = re.firstMatch(in: sql, range: NSRange(sql.startIndex..., in: sql)), let r = Range(m.range(at: 1), in: sql) else { return [] }
        return sql[r].split(separator: ",").map { part in
            let t = part.trimmingCharacters(in: .whitespacesAndNewlines)
            return t.hasPrefix("\"") ? String(t.dropFirst().dropLast()).replacingOccurrences(of: "\"\"", with: "\"") : t.lowercased()
        }
    }

    private static let identifier = #"(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)"#

    /// A GRANT, REVOKE or ALTER DEFAULT PRIVILEGES with mapped roles taken
    /// out; nil when nothing is left to run (every grantee mapped, or a role
    /// membership grant).
    package static func mapRoles(_ sql: String, mapped: inout Set<String>, keep: Set<String> = []) -> String? {
        var text = sql.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasSuffix(";") { text.removeLast() }
        let original = text
        let ns = { (s: String) in NSRange(s.startIndex..., in: s) }
        func unquote(_ s: String) -> String {
            s.hasPrefix("\"") ? String(s.dropFirst().dropLast()).replacingOccurrences(of: "\"\"", with: "\"") : s.lowercased()
        }
        // FOR ROLE r (default privileges): r is the scratch owner.
        let forRole = try! NSRegularExpression(pattern: #"\s+FOR\s+(?:ROLE|USER)\s+(\#(identifier)(?:\s*,\s*\#(identifier))*)"#, options: [.caseInsensitive])
        if let m = forRole.firstMatch(in: text, range: ns(text)), let listRange = Range(m.range(at: 1), in: text) {
            let roles = text[listRange].split(separator: ",").map { unquote($0.trimmingCharacters(in: .whitespaces)) }
            if roles.allSatisfy(isMapped) {
                roles.forEach { mapped.insert($0) }
                text.removeSubrange(Range(m.range, in: text)!)
            }
        }
        let tail = try! NSRegularExpression(pattern: #"\s(TO|FROM)\s+((?:GROUP\s+)?\#(identifier)(?:\s*,\s*(?:GROUP\s+)?\#(identifier))*)(\s+WITH\s+(?:GRANT|ADMIN|INHERIT|SET)\s+(?:OPTION|TRUE|FALSE))?(\s+GRANTED\s+BY\s+\#(identifier))?(\s+(?:CASCADE|RESTRICT))?\s*$"#, options: [.caseInsensitive])
        guard let m = tail.firstMatch(in: text, range: ns(text)), let listRange = Range(m.range(at: 2), in: text) else {
            return text == original ? sql : text
        }
        // No ON clause before the grantees: a role membership grant.
        let before = text[..<listRange.lowerBound]
        if before.range(of: #"\sON\s"#, options: [.regularExpression, .caseInsensitive]) == nil {
            let granted = text[..<listRange.lowerBound].split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\n" || $0 == "\t" })
                .dropFirst().dropLast().map { unquote(String($0)) }
            let roles = text[listRange].split(separator: ",").map { unquote($0.trimmingCharacters(in: .whitespaces)) }
            (granted + roles).filter(isMapped).forEach { mapped.insert($0) }
            return nil
        }
        let grantees = text[listRange].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let kept = grantees.filter { g in
            let role = unquote(g.replacingOccurrences(of: #"^GROUP\s+"#, with: "", options: [.regularExpression, .caseInsensitive]))
            if isMapped(role), !keep.contains(role) { mapped.insert(role); return false }
            return true
        }
        guard !kept.isEmpty else { return nil }
        var out = text
        if let by = Range(m.range(at: 4), in: text) {
            let role = unquote(text[by].trimmingCharacters(in: .whitespaces).split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).last.map(String.init) ?? "")
            if isMapped(role) {
                mapped.insert(role)
                out.removeSubrange(by)
            }
        }
        if kept.count != grantees.count {
            out.replaceSubrange(listRange, with: kept.joined(separator: ", "))
        }
        return out == original ? sql : out
    }
}
