import Foundation
import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

/// Enums, domains, composite and range types; extensions with their members;
/// extended statistics; default privileges.
extension PostgresCatalogReader {
    package func types(_ r: inout Result) throws(PGError) {
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

    package func extensions(_ r: inout Result) throws(PGError) {
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

    package func statistics(_ r: inout Result) throws(PGError) {
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

    package func defaultPrivileges(_ r: inout Result) throws(PGError) {
        for row in try db.rows("""
            SELECT pg_catalog.pg_get_userbyid(d.defaclrole), coalesce(n.nspname, ''), d.defaclobjtype::text, d.defaclacl::text
            FROM pg_catalog.pg_default_acl d LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace
            """) {
            let who = row[0] == owner ? "$owner" : row[0]!
            r.objects["default-privileges \(who) \(row[1]!) \(row[2]!)"] = ["acl": acl(row[3])]
        }
    }
}
