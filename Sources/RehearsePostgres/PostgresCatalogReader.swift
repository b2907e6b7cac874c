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

    private func schemas(_ r: inout Result) throws(PGError) {
        for row in try db.rows("""
            SELECT n.nspname, pg_catalog.pg_get_userbyid(n.nspowner), coalesce(n.nspacl, pg_catalog.acldefault('n', n.nspowner))::text, pg_catalog.obj_description(n.oid, 'pg_namespace')
            FROM pg_catalog.pg_namespace n WHERE \(user) AND \(noExt("n.oid", "pg_namespace"))
            """) {
            r.objects["schema \(row[0]!)"] = ["name": .string(row[0]!), "owner": role(row[1]), "acl": acl(row[2]), "comment": text(row[3])]
        }
    }

    private func tables(_ r: inout Result) throws(PGError) {
        var columns: [String: [JSONValue]] = [:]
        for row in try db.rows("""
            SELECT n.nspname, c.relname, a.attname,
                   row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum),
                   pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull,
                   pg_catalog.pg_get_expr(ad.adbin, ad.adrelid),
                   CASE WHEN a.attcollation <> 0 THEN co.collname END,
                   a.attidentity::text, a.attgenerated::text, a.attstorage::text, a.attcompression::text, a.attstattarget::text,
                   a.attacl::text, pg_catalog.col_description(a.attrelid, a.attnum),
                   array_to_string(a.attoptions, ','), a.attndims::text, array_to_string(a.attfdwoptions, ',')
            FROM pg_catalog.pg_attribute a
            JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
            LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
            WHERE c.relkind IN ('r', 'p', 'f') AND a.attnum > 0 AND NOT a.attisdropped AND \(user)
              AND \(noExt("c.oid", "pg_class"))
            ORDER BY n.nspname, c.relname, a.attnum
            """) {
            // Position is the column's place among live columns: a column
            // re-added elsewhere moves, a dropped one leaves no gap.
            columns[name(row[0], row[1]), default: []].append([
                "name": .string(row[2]!), "position": .integer(Int64(row[3]!) ?? 0), "type": .string(row[4]!),
                "not_null": flag(row[5]), "default": text(row[6]), "collation": text(row[7]),
                "identity": .string(row[8] ?? ""), "generated": .string(row[9] ?? ""),
                "storage": .string(row[10] ?? ""), "compression": .string(row[11] ?? ""), "statistics_target": .string(row[12] ?? ""),
                "acl": acl(row[13]), "comment": text(row[14]),
                "options": text(row[15]), "array_dimensions": .string(row[16] ?? "0"), "fdw_options": text(row[17]),
            ])
        }
        for row in try db.rows("""
            SELECT n.nspname, c.relname, c.relkind::text, c.relpersistence::text,
                   CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END,
                   (SELECT pn.nspname || '.' || p.relname FROM pg_catalog.pg_inherits i
                      JOIN pg_catalog.pg_class p ON p.oid = i.inhparent JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace
                     WHERE i.inhrelid = c.oid AND c.relispartition),
                   pg_catalog.pg_get_expr(c.relpartbound, c.oid),
                   array_to_string(c.reloptions, ','), c.relrowsecurity, c.relforcerowsecurity, am.amname,
                   (SELECT count(*) FROM pg_catalog.pg_attribute d WHERE d.attrelid = c.oid AND d.attisdropped),
                   pg_catalog.pg_get_userbyid(c.relowner), coalesce(c.relacl, pg_catalog.acldefault('r', c.relowner))::text, pg_catalog.obj_description(c.oid, 'pg_class'), c.relreplident::text,
                   (SELECT string_agg(pn.nspname || '.' || p.relname, ', ' ORDER BY i.inhseqno) FROM pg_catalog.pg_inherits i
                      JOIN pg_catalog.pg_class p ON p.oid = i.inhparent JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace
                     WHERE i.inhrelid = c.oid AND NOT c.relispartition),
                   (SELECT array_to_string(t.reloptions, ',') FROM pg_catalog.pg_class t WHERE t.oid = c.reltoastrelid)
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
            WHERE c.relkind IN ('r', 'p', 'f') AND \(user) AND \(noExt("c.oid", "pg_class"))
            """) {
            let key = name(row[0], row[1])
            let kind = switch row[2] { case "p": "partitioned table"; case "f": "foreign table"; default: "table" }
            r.objects["table \(key)"] = [
                "kind": .string(kind), "unlogged": .bool(row[3] == "u"), "columns": .array(columns[key] ?? []),
                "partition_key": text(row[4]), "partition_of": text(row[5]), "partition_bound": text(row[6]),
                "options": text(row[7]), "row_security": flag(row[8]), "force_row_security": flag(row[9]),
                "access_method": text(row[10]), "owner": role(row[12]), "acl": acl(row[13]), "comment": text(row[14]),
                "replica_identity": text(row[15]), "inherits": text(row[16]), "toast_options": text(row[17]),
            ]
            if let dropped = Int(row[11] ?? "0"), dropped > 0 {
                r.residue.append("table \(key): \(dropped) dropped column\(dropped == 1 ? "" : "s") left in the catalog (attisdropped; invisible, reclaimed only by a table rewrite)")
            }
        }
    }

    private func constraints(_ r: inout Result) throws(PGError) {
        for row in try db.rows("""
            SELECT n.nspname, c.relname, con.conname, con.contype::text, pg_catalog.pg_get_constraintdef(con.oid, true),
                   con.condeferrable, con.condeferred, con.convalidated, con.connoinherit,
                   pg_catalog.obj_description(con.oid, 'pg_constraint')
            FROM pg_catalog.pg_constraint con
            JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE \(user)
            """) {
            let kind = switch row[3] {
            case "p": "primary key"; case "f": "foreign key"; case "u": "unique"; case "c": "check"
            case "x": "exclude"; case "t": "constraint trigger"; default: row[3] ?? "?"
            }
            r.objects["constraint \(name(row[0], row[1])).\(row[2]!)"] = [
                "type": .string(kind), "definition": .string(row[4]!), "deferrable": flag(row[5]),
                "initially_deferred": flag(row[6]), "validated": flag(row[7]), "no_inherit": flag(row[8]), "comment": text(row[9]),
            ]
        }
    }

    private func indexes(_ r: inout Result) throws(PGError) {
        for row in try db.rows("""
            SELECT n.nspname, ic.relname, pg_catalog.pg_get_indexdef(i.indexrelid), i.indisclustered, i.indisvalid,
                   i.indisreplident, array_to_string(ic.reloptions, ','), pg_catalog.obj_description(ic.oid, 'pg_class')
            FROM pg_catalog.pg_index i
            JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
            JOIN pg_catalog.pg_namespace n ON n.oid = ic.relnamespace
            WHERE \(user) AND \(noExt("i.indrelid", "pg_class"))
            """) {
            r.objects["index \(name(row[0], row[1]))"] = [
                "definition": .string(row[2]!), "clustered": flag(row[3]), "valid": flag(row[4]),
                "replica_identity": flag(row[5]), "options": text(row[6]), "comment": text(row[7]),
            ]
        }
    }

    private func views(_ r: inout Result) throws(PGError) {
        for row in try db.rows("""
            SELECT n.nspname, c.relname, c.relkind::text, pg_catalog.pg_get_viewdef(c.oid, true),
                   array_to_string(c.reloptions, ','), c.relispopulated,
                   pg_catalog.pg_get_userbyid(c.relowner), coalesce(c.relacl, pg_catalog.acldefault('r', c.relowner))::text, pg_catalog.obj_description(c.oid, 'pg_class')
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('v', 'm') AND \(user) AND \(noExt("c.oid", "pg_class"))
            """) {
            let kind = row[2] == "m" ? "matview" : "view"
            var description: [String: JSONValue] = ["definition": .string(row[3] ?? ""), "options": text(row[4]),
                                                     "owner": role(row[6]), "acl": acl(row[7]), "comment": text(row[8])]
            if row[2] == "m" { description["populated"] = flag(row[5]) }
            r.objects["\(kind) \(name(row[0], row[1]))"] = .object(description)
        }
    }

    private func sequences(_ r: inout Result) throws(PGError) {
        for row in try db.rows("""
            SELECT n.nspname, c.relname, pg_catalog.format_type(s.seqtypid, NULL), s.seqstart::text, s.seqincrement::text,
                   s.seqmax::text, s.seqmin::text, s.seqcache::text, s.seqcycle,
                   (SELECT tn.nspname || '.' || t.relname || '.' || a.attname
                      FROM pg_catalog.pg_depend d
                      JOIN pg_catalog.pg_class t ON t.oid = d.refobjid
                      JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
                      JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
                     WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i')
                     LIMIT 1),
                   c.relpersistence::text,
                   pg_catalog.pg_get_userbyid(c.relowner), coalesce(c.relacl, pg_catalog.acldefault('s', c.relowner))::text, pg_catalog.obj_description(c.oid, 'pg_class')
            FROM pg_catalog.pg_sequence s
            JOIN pg_catalog.pg_class c ON c.oid = s.seqrelid
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE \(user) AND \(noExt("c.oid", "pg_class"))
            """) {
            let key = name(row[0], row[1])
            r.objects["sequence \(key)"] = [
                "type": .string(row[2]!), "start": .string(row[3]!), "increment": .string(row[4]!), "max": .string(row[5]!),
                "min": .string(row[6]!), "cache": .string(row[7]!), "cycle": flag(row[8]), "owned_by": text(row[9]),
                "unlogged": .bool(row[10] == "u"), "owner": role(row[11]), "acl": acl(row[12]), "comment": text(row[13]),
            ]
            // Sequences ignore transactions: the current value is its own
            // object, so a value left advanced shows as exactly that.
            let state = try db.rows("SELECT last_value::text, is_called FROM \(PostgresCatalog.qualified(schema: row[0]!, name: row[1]!))")
            if let s = state.first {
                r.objects["sequence-value \(key)"] = ["last_value": .string(s[0] ?? ""), "is_called": flag(s[1])]
            }
        }
    }

    private func functions(_ r: inout Result) throws(PGError) {
        for row in try db.rows("""
            SELECT n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid), p.prokind::text,
                   CASE WHEN p.prokind <> 'a' THEN pg_catalog.pg_get_functiondef(p.oid) END,
                   CASE WHEN p.prokind = 'a' THEN (
                     SELECT concat_ws(' ', 'kind=' || ag.aggkind::text, 'direct_args=' || ag.aggnumdirectargs::text, 'sfunc=' || ag.aggtransfn::regprocedure,
                              'finalfunc=' || nullif(ag.aggfinalfn, 0)::regprocedure, 'finalfunc_extra=' || ag.aggfinalextra::text,
                              'finalfunc_modify=' || ag.aggfinalmodify::text, 'combinefunc=' || nullif(ag.aggcombinefn, 0)::regprocedure,
                              'serialfunc=' || nullif(ag.aggserialfn, 0)::regprocedure, 'deserialfunc=' || nullif(ag.aggdeserialfn, 0)::regprocedure,
                              'msfunc=' || nullif(ag.aggmtransfn, 0)::regprocedure, 'minvfunc=' || nullif(ag.aggminvtransfn, 0)::regprocedure,
                              'mfinalfunc=' || nullif(ag.aggmfinalfn, 0)::regprocedure, 'mfinalfunc_extra=' || ag.aggmfinalextra::text,
                              'mfinalfunc_modify=' || ag.aggmfinalmodify::text, 'sortop=' || nullif(ag.aggsortop, 0)::regoperator,
                              'stype=' || pg_catalog.format_type(ag.aggtranstype, NULL), 'sspace=' || ag.aggtransspace::text,
                              'mstype=' || pg_catalog.format_type(nullif(ag.aggmtranstype, 0), NULL), 'msspace=' || ag.aggmtransspace::text,
                              'initcond=' || quote_literal(ag.agginitval), 'minitcond=' || quote_literal(ag.aggminitval),
                              'parallel=' || p.proparallel::text, 'strict=' || p.proisstrict::text, 'returns=' || pg_catalog.format_type(p.prorettype, NULL))
                     FROM pg_catalog.pg_aggregate ag WHERE ag.aggfnoid = p.oid) END,
                   pg_catalog.pg_get_userbyid(p.proowner), coalesce(p.proacl, pg_catalog.acldefault('f', p.proowner))::text, pg_catalog.obj_description(p.oid, 'pg_proc')
            FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
            WHERE \(user) AND \(noExt("p.oid", "pg_proc"))
            """) {
            let kind = switch row[3] { case "p": "procedure"; case "a": "aggregate"; case "w": "window function"; default: "function" }
            r.objects["function \(name(row[0], row[1]))(\(row[2] ?? ""))"] = [
                "kind": .string(kind), "definition": .string(row[4] ?? row[5] ?? ""),
                "owner": role(row[6]), "acl": acl(row[7]), "comment": text(row[8]),
            ]
        }
    }

    private func triggers(_ r: inout Result) throws(PGError) {
        for row in try db.rows("""
            SELECT n.nspname, c.relname, t.tgname, pg_catalog.pg_get_triggerdef(t.oid, true), t.tgenabled::text,
                   pg_catalog.obj_description(t.oid, 'pg_trigger')
            FROM pg_catalog.pg_trigger t
            JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE NOT t.tgisinternal AND \(user)
            """) {
            let enabled = switch row[4] { case "O": "origin"; case "D": "disabled"; case "R": "replica"; case "A": "always"; default: row[4] ?? "?" }
            r.objects["trigger \(name(row[0], row[1])).\(row[2]!)"] = ["definition": .string(row[3]!), "enabled": .string(enabled), "comment": text(row[5])]
        }
        for row in try db.rows("""
            SELECT e.evtname, e.evtevent, e.evtenabled::text, e.evtfoid::regproc::text, array_to_string(e.evttags, ',')
            FROM pg_catalog.pg_event_trigger e WHERE \(noExt("e.oid", "pg_event_trigger"))
            """) {
            r.objects["event-trigger \(row[0]!)"] = ["event": .string(row[1]!), "enabled": .string(row[2]!),
                                                    "function": .string(row[3]!), "tags": text(row[4])]
        }
    }

    private func rulesAndPolicies(_ r: inout Result) throws(PGError) {
        for row in try db.rows("""
            SELECT n.nspname, c.relname, w.rulename, pg_catalog.pg_get_ruledef(w.oid, true), w.ev_enabled::text
            FROM pg_catalog.pg_rewrite w
            JOIN pg_catalog.pg_class c ON c.oid = w.ev_class
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE w.rulename <> '_RETURN' AND \(user)
            """) {
            r.objects["rule \(name(row[0], row[1])).\(row[2]!)"] = ["definition": .string(row[3]!), "enabled": .string(row[4]!)]
        }
        for row in try db.rows("""
            SELECT n.nspname, c.relname, p.polname, p.polcmd::text, p.polpermissive,
                   ARRAY(SELECT CASE WHEN x = 0 THEN 'public' ELSE pg_catalog.pg_get_userbyid(x) END FROM unnest(p.polroles) x ORDER BY 1)::text,
                   pg_catalog.pg_get_expr(p.polqual, p.polrelid), pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid)
            FROM pg_catalog.pg_policy p
            JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE \(user)
            """) {
            r.objects["policy \(name(row[0], row[1])).\(row[2]!)"] = [
                "command": .string(row[3]!), "permissive": flag(row[4]), "roles": .string(row[5]!),
                "using": text(row[6]), "with_check": text(row[7]),
            ]
        }
    }

    private func types(_ r: inout Result) throws(PGError) {
        for row in try db.rows("""
            SELECT n.nspname, t.typname, t.typtype::text,
                   CASE t.typtype
                     WHEN 'e' THEN (SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder)
                                    FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid)
                     WHEN 'd' THEN pg_catalog.format_type(t.typbasetype, t.typtypmod)
                     WHEN 'r' THEN (SELECT pg_catalog.format_type(rg.rngsubtype, NULL) FROM pg_catalog.pg_range rg WHERE rg.rngtypid = t.oid)
                     WHEN 'c' THEN (SELECT string_agg(quote_ident(a.attname) || ' ' || pg_catalog.format_type(a.atttypid, a.atttypmod)
                                                      || coalesce(' COLLATE ' || (SELECT quote_ident(co.collname) FROM pg_catalog.pg_collation co
                                                                                  WHERE co.oid = a.attcollation AND a.attcollation <> 0
                                                                                    AND a.attcollation <> (SELECT bt.typcollation FROM pg_catalog.pg_type bt WHERE bt.oid = a.atttypid)), '')
                                                      || coalesce(' COMMENT ' || quote_literal(pg_catalog.col_description(a.attrelid, a.attnum)), ''),
                                                      ', ' ORDER BY a.attnum)
                                    FROM pg_catalog.pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped)
                   END,
                   t.typnotnull, t.typdefault,
                   (SELECT string_agg(con.conname || ': ' || pg_catalog.pg_get_constraintdef(con.oid, true)
                                      || CASE WHEN NOT con.convalidated THEN ' NOT VALID' ELSE '' END
                                      || coalesce(' COMMENT ' || quote_literal(pg_catalog.obj_description(con.oid, 'pg_constraint')), ''),
                                      '; ' ORDER BY con.conname)
                      FROM pg_catalog.pg_constraint con WHERE con.contypid = t.oid),
                   (SELECT co.collname FROM pg_catalog.pg_collation co WHERE co.oid = t.typcollation AND t.typtype = 'd'),
                   pg_catalog.pg_get_userbyid(t.typowner), coalesce(t.typacl, pg_catalog.acldefault('T', t.typowner))::text, pg_catalog.obj_description(t.oid, 'pg_type')
            FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
            WHERE t.typtype IN ('e', 'd', 'r', 'c') AND \(user) AND \(noExt("t.oid", "pg_type"))
              AND (t.typtype <> 'c' OR (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid) = 'c')
            """) {
            let kind = switch row[2] { case "e": "enum"; case "d": "domain"; case "r": "range"; default: "composite" }
            var description: [String: JSONValue] = ["kind": .string(kind), "owner": role(row[8]), "acl": acl(row[9]), "comment": text(row[10])]
            switch row[2] {
            case "e": description["labels"] = text(row[3])
            case "d":
                description["base"] = text(row[3])
                description["not_null"] = flag(row[4])
                description["default"] = text(row[5])
                description["constraints"] = text(row[6])
                description["collation"] = text(row[7])
            case "r": description["subtype"] = text(row[3])
            default: description["attributes"] = text(row[3])
            }
            r.objects["type \(name(row[0], row[1]))"] = .object(description)
        }
    }

    private func extensions(_ r: inout Result) throws(PGError) {
        for row in try db.rows("""
            SELECT e.extname, e.extversion, n.nspname, pg_catalog.obj_description(e.oid, 'pg_extension'),
                   array_to_string(e.extcondition, ','),
                   (SELECT string_agg(m.line, E'\n' ORDER BY m.line) FROM (
                      SELECT pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid)
                             || coalesce(' ' || CASE
                                  WHEN d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass
                                       AND (SELECT p.prokind FROM pg_catalog.pg_proc p WHERE p.oid = d.objid) <> 'a'
                                    THEN encode(sha256(convert_to(pg_catalog.pg_get_functiondef(d.objid), 'UTF8')), 'hex')
                                  WHEN d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                                       AND (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = d.objid) IN ('v', 'm')
                                    THEN encode(sha256(convert_to(pg_catalog.pg_get_viewdef(d.objid), 'UTF8')), 'hex')
                                END, '') AS line
                        FROM pg_catalog.pg_depend d
                       WHERE d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass AND d.refobjid = e.oid AND d.deptype = 'e') m)
            FROM pg_catalog.pg_extension e
            JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
            """) {
            // Its members, each with a digest of its definition where it has
            // one (functions, views): what ALTER EXTENSION … ADD hides, or a
            // member redefined, is drift of the extension.
            r.objects["extension \(row[0]!)"] = ["version": .string(row[1]!), "schema": .string(row[2]!), "comment": text(row[3]),
                                                 "config_conditions": text(row[4]), "members": text(row[5])]
        }
    }

    private func statistics(_ r: inout Result) throws(PGError) {
        for row in try db.rows("""
            SELECT n.nspname, s.stxname, pg_catalog.pg_get_statisticsobjdef(s.oid), s.stxstattarget::text,
                   pg_catalog.obj_description(s.oid, 'pg_statistic_ext'), pg_catalog.pg_get_userbyid(s.stxowner)
            FROM pg_catalog.pg_statistic_ext s JOIN pg_catalog.pg_namespace n ON n.oid = s.stxnamespace
            WHERE \(user)
            """) {
            r.objects["statistics \(name(row[0], row[1]))"] = ["definition": .string(row[2]!), "target": text(row[3]),
                                                               "comment": text(row[4]), "owner": role(row[5])]
        }
    }

    private func defaultPrivileges(_ r: inout Result) throws(PGError) {
        for row in try db.rows("""
            SELECT pg_catalog.pg_get_userbyid(d.defaclrole), coalesce(n.nspname, ''), d.defaclobjtype::text, d.defaclacl::text
            FROM pg_catalog.pg_default_acl d LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace
            """) {
            let who = row[0] == owner ? "$owner" : row[0]!
            r.objects["default-privileges \(who) \(row[1]!) \(row[2]!)"] = ["acl": acl(row[3])]
        }
    }
}
