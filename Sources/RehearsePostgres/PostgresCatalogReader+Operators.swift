import Foundation
import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

/// Text search configurations, dictionaries, parsers and templates;
/// collations and conversions; casts, operators, operator classes and families.
extension PostgresCatalogReader {
    package func textSearch(_ r: inout Result) throws(PGError) {
        for row in try db.rows("""
            SELECT n.nspname, c.cfgname, pn.nspname || '.' || p.prsname,
                   (SELECT string_agg(tt.alias || ' = ' || m.dicts, '; ' ORDER BY tt.alias)
                      FROM (SELECT mm.maptokentype, string_agg(mm.mapdict::regdictionary::text, ', ' ORDER BY mm.mapseqno) AS dicts
                              FROM pg_catalog.pg_ts_config_map mm WHERE mm.mapcfg = c.oid GROUP BY mm.maptokentype) m
                      JOIN pg_catalog.ts_token_type(c.cfgparser) tt ON tt.tokid = m.maptokentype),
                   pg_catalog.pg_get_userbyid(c.cfgowner), pg_catalog.obj_description(c.oid, 'pg_ts_config')
            FROM pg_catalog.pg_ts_config c JOIN pg_catalog.pg_namespace n ON n.oid = c.cfgnamespace
            JOIN pg_catalog.pg_ts_parser p ON p.oid = c.cfgparser JOIN pg_catalog.pg_namespace pn ON pn.oid = p.prsnamespace
            WHERE \(user) AND \(noExt("c.oid", "pg_ts_config"))
            """) {
            r.objects["text-search-configuration \(name(row[0], row[1]))"] = [
                "parser": text(row[2]), "mapping": text(row[3]), "owner": role(row[4]), "comment": text(row[5]),
            ]
        }
        for row in try db.rows("""
            SELECT n.nspname, dc.dictname, tn.nspname || '.' || t.tmplname, dc.dictinitoption,
                   pg_catalog.pg_get_userbyid(dc.dictowner), pg_catalog.obj_description(dc.oid, 'pg_ts_dict')
            FROM pg_catalog.pg_ts_dict dc JOIN pg_catalog.pg_namespace n ON n.oid = dc.dictnamespace
            JOIN pg_catalog.pg_ts_template t ON t.oid = dc.dicttemplate JOIN pg_catalog.pg_namespace tn ON tn.oid = t.tmplnamespace
            WHERE \(user) AND \(noExt("dc.oid", "pg_ts_dict"))
            """) {
            r.objects["text-search-dictionary \(name(row[0], row[1]))"] = [
                "template": text(row[2]), "options": text(row[3]), "owner": role(row[4]), "comment": text(row[5]),
            ]
        }
        for row in try db.rows("""
            SELECT n.nspname, p.prsname, concat_ws(' ', p.prsstart::regprocedure, p.prstoken::regprocedure, p.prsend::regprocedure,
                   nullif(p.prsheadline, 0)::regprocedure, p.prslextype::regprocedure), pg_catalog.obj_description(p.oid, 'pg_ts_parser')
            FROM pg_catalog.pg_ts_parser p JOIN pg_catalog.pg_namespace n ON n.oid = p.prsnamespace
            WHERE \(user) AND \(noExt("p.oid", "pg_ts_parser"))
            """) {
            r.objects["text-search-parser \(name(row[0], row[1]))"] = ["functions": text(row[2]), "comment": text(row[3])]
        }
        for row in try db.rows("""
            SELECT n.nspname, t.tmplname, concat_ws(' ', nullif(t.tmplinit, 0)::regprocedure, t.tmpllexize::regprocedure),
                   pg_catalog.obj_description(t.oid, 'pg_ts_template')
            FROM pg_catalog.pg_ts_template t JOIN pg_catalog.pg_namespace n ON n.oid = t.tmplnamespace
            WHERE \(user) AND \(noExt("t.oid", "pg_ts_template"))
            """) {
            r.objects["text-search-template \(name(row[0], row[1]))"] = ["functions": text(row[2]), "comment": text(row[3])]
        }
    }

    package func collationsAndConversions(_ r: inout Result) throws(PGError) {
        // to_jsonb of the row, less OIDs and the library's version string:
        // the provider and locale columns differ between server versions.
        for row in try db.rows("""
            SELECT n.nspname, co.collname,
                   (pg_catalog.to_jsonb(co) - 'oid' - 'collnamespace' - 'collowner' - 'collversion' - 'collname')::text,
                   pg_catalog.pg_get_userbyid(co.collowner), pg_catalog.obj_description(co.oid, 'pg_collation')
            FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace n ON n.oid = co.collnamespace
            WHERE \(user) AND \(noExt("co.oid", "pg_collation"))
            """) {
            r.objects["collation \(name(row[0], row[1]))"] = ["definition": text(row[2]), "owner": role(row[3]), "comment": text(row[4])]
        }
        for row in try db.rows("""
            SELECT n.nspname, c.conname, pg_catalog.pg_encoding_to_char(c.conforencoding), pg_catalog.pg_encoding_to_char(c.contoencoding),
                   c.conproc::regprocedure::text, c.condefault, pg_catalog.pg_get_userbyid(c.conowner), pg_catalog.obj_description(c.oid, 'pg_conversion')
            FROM pg_catalog.pg_conversion c JOIN pg_catalog.pg_namespace n ON n.oid = c.connamespace
            WHERE \(user) AND \(noExt("c.oid", "pg_conversion"))
            """) {
            r.objects["conversion \(name(row[0], row[1]))"] = [
                "from": text(row[2]), "to": text(row[3]), "function": text(row[4]), "default": flag(row[5]),
                "owner": role(row[6]), "comment": text(row[7]),
            ]
        }
    }

    package func castsAndOperators(_ r: inout Result) throws(PGError) {
        for row in try db.rows("""
            SELECT pg_catalog.format_type(c.castsource, NULL), pg_catalog.format_type(c.casttarget, NULL),
                   nullif(c.castfunc, 0)::regprocedure::text, c.castcontext::text, c.castmethod::text, pg_catalog.obj_description(c.oid, 'pg_cast')
            FROM pg_catalog.pg_cast c WHERE \(userOID("c.oid")) AND \(noExt("c.oid", "pg_cast"))
            """) {
            r.objects["cast (\(row[0]!) AS \(row[1]!))"] = [
                "function": text(row[2]), "context": text(row[3]), "method": text(row[4]), "comment": text(row[5]),
            ]
        }
        for row in try db.rows("""
            SELECT n.nspname, o.oprname, pg_catalog.format_type(nullif(o.oprleft, 0), NULL), pg_catalog.format_type(o.oprright, NULL),
                   o.oprcode::regprocedure::text, pg_catalog.format_type(o.oprresult, NULL), o.oprcanmerge, o.oprcanhash,
                   nullif(o.oprcom, 0)::regoperator::text, nullif(o.oprnegate, 0)::regoperator::text,
                   nullif(o.oprrest, 0)::regprocedure::text, nullif(o.oprjoin, 0)::regprocedure::text,
                   pg_catalog.pg_get_userbyid(o.oprowner), pg_catalog.obj_description(o.oid, 'pg_operator')
            FROM pg_catalog.pg_operator o JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace
            WHERE \(user) AND \(noExt("o.oid", "pg_operator"))
            """) {
            r.objects["operator \(name(row[0], row[1]))(\(row[2] ?? "NONE"), \(row[3] ?? "NONE"))"] = [
                "function": text(row[4]), "result": text(row[5]), "merges": flag(row[6]), "hashes": flag(row[7]),
                "commutator": text(row[8]), "negator": text(row[9]), "restrict": text(row[10]), "join": text(row[11]),
                "owner": role(row[12]), "comment": text(row[13]),
            ]
        }
        // Members of a family: operators and support functions by strategy and number.
        let members = """
            (SELECT string_agg(x, '; ' ORDER BY x) FROM (
               SELECT 'operator ' || ao.amopstrategy || ' ' || ao.amopopr::regoperator::text
                      || coalesce(' for order by ' || (SELECT sf.opfname FROM pg_catalog.pg_opfamily sf WHERE sf.oid = ao.amopsortfamily), '') AS x
                 FROM pg_catalog.pg_amop ao WHERE ao.amopfamily = f.oid
               UNION ALL
               SELECT 'function ' || ap.amprocnum || ' (' || pg_catalog.format_type(ap.amproclefttype, NULL) || ', '
                      || pg_catalog.format_type(ap.amprocrighttype, NULL) || ') ' || ap.amproc::regprocedure::text
                 FROM pg_catalog.pg_amproc ap WHERE ap.amprocfamily = f.oid) m)
            """
        for row in try db.rows("""
            SELECT n.nspname, f.opfname, am.amname, \(members), pg_catalog.pg_get_userbyid(f.opfowner), pg_catalog.obj_description(f.oid, 'pg_opfamily')
            FROM pg_catalog.pg_opfamily f JOIN pg_catalog.pg_namespace n ON n.oid = f.opfnamespace JOIN pg_catalog.pg_am am ON am.oid = f.opfmethod
            WHERE \(user) AND \(noExt("f.oid", "pg_opfamily"))
            """) {
            r.objects["operator-family \(name(row[0], row[1])) USING \(row[2]!)"] = ["members": text(row[3]), "owner": role(row[4]), "comment": text(row[5])]
        }
        for row in try db.rows("""
            SELECT n.nspname, c.opcname, am.amname, pg_catalog.format_type(c.opcintype, NULL), c.opcdefault,
                   pg_catalog.format_type(nullif(c.opckeytype, 0), NULL), fn.nspname || '.' || f.opfname,
                   pg_catalog.pg_get_userbyid(c.opcowner), pg_catalog.obj_description(c.oid, 'pg_opclass')
            FROM pg_catalog.pg_opclass c JOIN pg_catalog.pg_namespace n ON n.oid = c.opcnamespace JOIN pg_catalog.pg_am am ON am.oid = c.opcmethod
            JOIN pg_catalog.pg_opfamily f ON f.oid = c.opcfamily JOIN pg_catalog.pg_namespace fn ON fn.oid = f.opfnamespace
            WHERE \(user) AND \(noExt("c.oid", "pg_opclass"))
            """) {
            r.objects["operator-class \(name(row[0], row[1])) USING \(row[2]!)"] = [
                "type": text(row[3]), "default": flag(row[4]), "storage": text(row[5]), "family": text(row[6]),
                "owner": role(row[7]), "comment": text(row[8]),
            ]
        }
    }
}
