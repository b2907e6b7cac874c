import Foundation
import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

/// The object kinds pg_dump can emit beyond tables, views, routines and
/// types, so a rollback that leaves any of them behind is drift: view
/// columns (comments, defaults, column grants), text search configurations,
/// dictionaries, parsers and templates, collations, conversions, casts,
/// operators with their classes and families, access methods, languages,
/// transforms, foreign-data wrappers, servers, user mappings and foreign
/// table options, publications and subscriptions, large objects (owner,
/// privileges and a digest of their bytes), user-defined base types, the
/// database's own settings (`ALTER DATABASE … SET`), privileges and connection limit,
/// and security labels. Every name is spelled through `regprocedure`,
/// `regtype` or `pg_describe_object`, never an OID, so a reproduction in
/// another cluster reads the same text. `PostgresCatalogCoverageTests`
/// fails when a catalog holding definitions is not listed here or in the
/// main reader.
extension PostgresCatalogReader {
    /// `oid` of a user object, not the system's (FirstNormalObjectId).
    package func userOID(_ oid: String) -> String { "\(oid) >= 16384" }

    package func otherKinds(_ r: inout Result) throws(PGError) {
        try viewColumns(&r)
        try textSearch(&r)
        try collationsAndConversions(&r)
        try castsAndOperators(&r)
        try foreignData(&r)
        try publications(&r)
        try largeObjects(&r)
        try database(&r)
        try misc(&r)
        try systemSchemas(&r)
    }

    /// What a superuser script can leave in the system's own schemas: objects
    /// made in pg_catalog or information_schema (an OID at or above
    /// FirstNormalObjectId: initdb made none there), which shadow or join the
    /// built-ins on every search path; and privileges on built-in objects
    /// that differ from what initdb gave them (pg_init_privs, else the
    /// default for their kind).
    private func systemSchemas(_ r: inout Result) throws(PGError) {
        let system = "(SELECT oid FROM pg_catalog.pg_namespace WHERE nspname IN ('pg_catalog', 'information_schema'))"
        for row in try db.rows("""
            SELECT pg_catalog.pg_describe_object('pg_catalog.pg_class'::pg_catalog.regclass, c.oid, 0) FROM pg_catalog.pg_class c
             WHERE c.relnamespace IN \(system) AND c.oid >= 16384 AND c.relkind NOT IN ('t')
            UNION ALL SELECT pg_catalog.pg_describe_object('pg_catalog.pg_proc'::pg_catalog.regclass, p.oid, 0) FROM pg_catalog.pg_proc p
             WHERE p.pronamespace IN \(system) AND p.oid >= 16384
            UNION ALL SELECT pg_catalog.pg_describe_object('pg_catalog.pg_type'::pg_catalog.regclass, t.oid, 0) FROM pg_catalog.pg_type t
             WHERE t.typnamespace IN \(system) AND t.oid >= 16384 AND t.typrelid = 0
            UNION ALL SELECT pg_catalog.pg_describe_object('pg_catalog.pg_operator'::pg_catalog.regclass, o.oid, 0) FROM pg_catalog.pg_operator o
             WHERE o.oprnamespace IN \(system) AND o.oid >= 16384
            """) {
            r.objects["system-schema-object \(row[0]!)"] = ["made_in_a_system_schema": .bool(true)]
        }
        let builtIns: [(catalog: String, acl: String, owner: String, kind: String, filter: String)] = [
            ("pg_proc", "proacl", "proowner", "'f'", "true"),
            ("pg_class", "relacl", "relowner", "CASE relkind WHEN 'S' THEN 's' ELSE 'r' END::\"char\"", "relkind <> 't'"),
            ("pg_type", "typacl", "typowner", "'T'", "true"),
            ("pg_namespace", "nspacl", "nspowner", "'n'", "true"),
            ("pg_language", "lanacl", "lanowner", "'l'", "true"),
        ]
        for b in builtIns {
            for row in try db.rows("""
                SELECT pg_catalog.pg_describe_object('pg_catalog.\(b.catalog)'::pg_catalog.regclass, x.oid, 0),
                       coalesce(x.\(b.acl), pg_catalog.acldefault(\(b.kind), x.\(b.owner)))::text
                FROM pg_catalog.\(b.catalog) x
                LEFT JOIN pg_catalog.pg_init_privs ip
                  ON ip.objoid = x.oid AND ip.classoid = 'pg_catalog.\(b.catalog)'::pg_catalog.regclass AND ip.objsubid = 0
                WHERE x.oid < 16384 AND \(b.filter)
                  AND coalesce(x.\(b.acl), pg_catalog.acldefault(\(b.kind), x.\(b.owner)))
                      IS DISTINCT FROM coalesce(ip.initprivs, pg_catalog.acldefault(\(b.kind), x.\(b.owner)))
                """) {
                r.objects["system-privileges \(row[0]!)"] = ["acl": acl(row[1], asIs: true)]
            }
        }
    }

    /// Columns of views and materialized views: comments, defaults
    /// (`ALTER VIEW … ALTER COLUMN … SET DEFAULT`), column grants, options.
    private func viewColumns(_ r: inout Result) throws(PGError) {
        var columns: [String: [JSONValue]] = [:]
        var kinds: [String: String] = [:]
        for row in try db.rows("""
            SELECT n.nspname, c.relname, c.relkind::text, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),
                   pg_catalog.pg_get_expr(ad.adbin, ad.adrelid), a.attacl::text, pg_catalog.col_description(a.attrelid, a.attnum),
                   array_to_string(a.attoptions, ','), a.attstattarget::text,
                   (SELECT co.collname FROM pg_catalog.pg_collation co WHERE co.oid = a.attcollation AND a.attcollation <> 0)
            FROM pg_catalog.pg_attribute a
            JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
            WHERE c.relkind IN ('v', 'm') AND a.attnum > 0 AND NOT a.attisdropped AND \(user) AND \(noExt("c.oid", "pg_class"))
            ORDER BY n.nspname, c.relname, a.attnum
            """) {
            let key = name(row[0], row[1])
            kinds[key] = row[2] == "m" ? "matview" : "view"
            columns[key, default: []].append([
                "name": .string(row[3]!), "type": .string(row[4]!), "default": text(row[5]), "acl": acl(row[6]),
                "comment": text(row[7]), "options": text(row[8]), "statistics_target": .string(row[9] ?? ""), "collation": text(row[10]),
            ])
        }
        for (key, cols) in columns {
            let objectKey = "\(kinds[key]!) \(key)"
            guard case .object(var o)? = r.objects[objectKey] else { continue }
            o["columns"] = .array(cols)
            r.objects[objectKey] = .object(o)
        }
    }

    /// Large objects live outside every table: each is an object of its own,
    /// keyed by its OID (what applications store), with owner, privileges,
    /// comment and a digest of its bytes where this session may read them.
    private func largeObjects(_ r: inout Result) throws(PGError) {
        for row in try db.rows("""
            SELECT m.oid::text, pg_catalog.pg_get_userbyid(m.lomowner),
                   coalesce(m.lomacl, pg_catalog.acldefault('L', m.lomowner))::text,
                   CASE WHEN pg_catalog.pg_has_role(m.lomowner, 'USAGE') THEN encode(sha256(lo_get(m.oid)), 'hex') END,
                   pg_catalog.obj_description(m.oid, 'pg_largeobject')
            FROM pg_catalog.pg_largeobject_metadata m
            """) {
            r.objects["large-object \(row[0]!)"] = ["owner": role(row[1]), "acl": acl(row[2]), "sha256": text(row[3]), "comment": text(row[4])]
        }
    }

    /// The database itself: `ALTER DATABASE … SET` and per-role settings in
    /// it, its privileges and connection limit.
    private func database(_ r: inout Result) throws(PGError) {
        for row in try db.rows("""
            SELECT coalesce(nullif(s.setrole, 0)::regrole::text, '*'),
                   (SELECT string_agg(x, ', ' ORDER BY x) FROM unnest(s.setconfig) x)
            FROM pg_catalog.pg_db_role_setting s
            WHERE s.setdatabase = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
            """) {
            let who = row[0] == owner ? "$owner" : row[0]!
            r.objects["database-setting \(who)"] = ["settings": text(row[1])]
        }
        for row in try db.rows("""
            SELECT coalesce(d.datacl, pg_catalog.acldefault('d', d.datdba))::text, d.datconnlimit::text, d.datistemplate,
                   pg_catalog.shobj_description(d.oid, 'pg_database')
            FROM pg_catalog.pg_database d WHERE d.datname = current_database()
            """) {
            // Not ALLOW_CONNECTIONS (closed while checks run); the comment
            // with rehearse's own scratch marker read as just that.
            let comment = row[3].map { $0.hasPrefix(PostgresScratch.commentPrefix) ? "(rehearse scratch marker)" : $0 }
            r.objects["database (current)"] = ["acl": acl(row[0]), "connection_limit": text(row[1]), "is_template": flag(row[2]),
                                              "comment": text(comment)]
        }
        // Settings of the roles that work here, for every database (ALTER
        // ROLE … SET without IN DATABASE): they shape every session on it.
        for row in try db.rows("""
            SELECT s.setrole::regrole::text, (SELECT string_agg(x, ', ' ORDER BY x) FROM unnest(s.setconfig) x)
            FROM pg_catalog.pg_db_role_setting s
            WHERE s.setdatabase = 0 AND s.setrole IN (
              (SELECT datdba FROM pg_catalog.pg_database WHERE datname = current_database()),
              (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user))
            """) {
            let who = row[0] == owner ? "$owner" : row[0]!
            r.objects["role-setting \(who)"] = ["settings": text(row[1])]
        }
    }

    private func misc(_ r: inout Result) throws(PGError) {
        for row in try db.rows("""
            SELECT a.amname, a.amtype::text, a.amhandler::regprocedure::text, pg_catalog.obj_description(a.oid, 'pg_am')
            FROM pg_catalog.pg_am a WHERE \(userOID("a.oid")) AND \(noExt("a.oid", "pg_am"))
            """) {
            r.objects["access-method \(row[0]!)"] = ["type": text(row[1]), "handler": text(row[2]), "comment": text(row[3])]
        }
        for row in try db.rows("""
            SELECT l.lanname, l.lanpltrusted, nullif(l.lanplcallfoid, 0)::regprocedure::text, nullif(l.laninline, 0)::regprocedure::text,
                   nullif(l.lanvalidator, 0)::regprocedure::text, pg_catalog.pg_get_userbyid(l.lanowner),
                   coalesce(l.lanacl, pg_catalog.acldefault('l', l.lanowner))::text, pg_catalog.obj_description(l.oid, 'pg_language')
            FROM pg_catalog.pg_language l WHERE \(userOID("l.oid")) AND \(noExt("l.oid", "pg_language"))
            """) {
            r.objects["language \(row[0]!)"] = [
                "trusted": flag(row[1]), "handler": text(row[2]), "inline": text(row[3]), "validator": text(row[4]),
                "owner": role(row[5]), "acl": acl(row[6]), "comment": text(row[7]),
            ]
        }
        for row in try db.rows("""
            SELECT pg_catalog.format_type(t.trftype, NULL), l.lanname, nullif(t.trffromsql, 0)::regprocedure::text, nullif(t.trftosql, 0)::regprocedure::text
            FROM pg_catalog.pg_transform t JOIN pg_catalog.pg_language l ON l.oid = t.trflang
            WHERE \(noExt("t.oid", "pg_transform"))
            """) {
            r.objects["transform FOR \(row[0]!) LANGUAGE \(row[1]!)"] = ["from_sql": text(row[2]), "to_sql": text(row[3])]
        }
        // User-defined base types (CREATE TYPE … (INPUT = …)), not the array
        // types the server makes for every type.
        for row in try db.rows("""
            SELECT n.nspname, t.typname, concat_ws(' ', 'input=' || t.typinput::regprocedure, 'output=' || t.typoutput::regprocedure,
                     'receive=' || nullif(t.typreceive, 0)::regprocedure, 'send=' || nullif(t.typsend, 0)::regprocedure,
                     'typmod_in=' || nullif(t.typmodin, 0)::regprocedure, 'typmod_out=' || nullif(t.typmodout, 0)::regprocedure,
                     'analyze=' || nullif(t.typanalyze, 0)::regprocedure, 'length=' || t.typlen::text, 'byval=' || t.typbyval::text,
                     'align=' || t.typalign::text, 'storage=' || t.typstorage::text, 'category=' || t.typcategory::text, 'preferred=' || t.typispreferred::text,
                     'element=' || pg_catalog.format_type(nullif(t.typelem, 0), NULL), 'delimiter=' || t.typdelim::text, 'default=' || t.typdefault),
                   t.typtype::text, pg_catalog.pg_get_userbyid(t.typowner), coalesce(t.typacl, pg_catalog.acldefault('T', t.typowner))::text,
                   pg_catalog.obj_description(t.oid, 'pg_type')
            FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
            WHERE t.typtype IN ('b', 'p') AND \(user) AND \(noExt("t.oid", "pg_type"))
              AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_type e WHERE e.typarray = t.oid)
            """) {
            r.objects["type \(name(row[0], row[1]))"] = [
                "kind": .string(row[3] == "p" ? "shell" : "base"), "definition": text(row[2]),
                "owner": role(row[4]), "acl": acl(row[5]), "comment": text(row[6]),
            ]
        }
        // Security labels on any object, named by pg_describe_object.
        for row in try db.rows("""
            SELECT pg_catalog.pg_describe_object(s.classoid, s.objoid, s.objsubid), s.provider, s.label FROM pg_catalog.pg_seclabel s
            UNION ALL
            SELECT 'database (current)', s.provider, s.label FROM pg_catalog.pg_shseclabel s
             WHERE s.classoid = 'pg_catalog.pg_database'::pg_catalog.regclass
               AND s.objoid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
            """) {
            r.objects["security-label \(row[1]!) ON \(row[0]!)"] = ["label": text(row[2])]
        }
    }
}
