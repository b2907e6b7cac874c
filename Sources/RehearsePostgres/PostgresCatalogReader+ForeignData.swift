import Foundation
import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

/// Foreign-data wrappers, servers, user mappings and foreign table options;
/// publications and subscriptions.
extension PostgresCatalogReader {
    package func foreignData(_ r: inout Result) throws(PGError) {
        for row in try db.rows("""
            SELECT w.fdwname, nullif(w.fdwhandler, 0)::regprocedure::text, nullif(w.fdwvalidator, 0)::regprocedure::text,
                   array_to_string(w.fdwoptions, ','), pg_catalog.pg_get_userbyid(w.fdwowner),
                   coalesce(w.fdwacl, pg_catalog.acldefault('F', w.fdwowner))::text, pg_catalog.obj_description(w.oid, 'pg_foreign_data_wrapper')
            FROM pg_catalog.pg_foreign_data_wrapper w WHERE \(noExt("w.oid", "pg_foreign_data_wrapper"))
            """) {
            r.objects["foreign-data-wrapper \(row[0]!)"] = [
                "handler": text(row[1]), "validator": text(row[2]), "options": text(row[3]), "owner": role(row[4]),
                "acl": acl(row[5]), "comment": text(row[6]),
            ]
        }
        for row in try db.rows("""
            SELECT s.srvname, w.fdwname, s.srvtype, s.srvversion, array_to_string(s.srvoptions, ','), pg_catalog.pg_get_userbyid(s.srvowner),
                   coalesce(s.srvacl, pg_catalog.acldefault('S', s.srvowner))::text, pg_catalog.obj_description(s.oid, 'pg_foreign_server')
            FROM pg_catalog.pg_foreign_server s JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid = s.srvfdw
            WHERE \(noExt("s.oid", "pg_foreign_server"))
            """) {
            r.objects["server \(row[0]!)"] = [
                "wrapper": text(row[1]), "type": text(row[2]), "version": text(row[3]), "options": text(row[4]),
                "owner": role(row[5]), "acl": acl(row[6]), "comment": text(row[7]),
            ]
        }
        // pg_user_mappings shows options only to whom may see them; the
        // mapping itself is always visible.
        for row in try db.rows("SELECT m.srvname, m.usename, array_to_string(m.umoptions, ',') FROM pg_catalog.pg_user_mappings m") {
            let who = row[1] == owner ? "$owner" : (row[1] ?? "public")
            r.objects["user-mapping \(who) SERVER \(row[0]!)"] = ["options": text(row[2])]
        }
        for row in try db.rows("""
            SELECT n.nspname, c.relname, s.srvname, array_to_string(f.ftoptions, ',')
            FROM pg_catalog.pg_foreign_table f JOIN pg_catalog.pg_class c ON c.oid = f.ftrelid
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace JOIN pg_catalog.pg_foreign_server s ON s.oid = f.ftserver
            WHERE \(user) AND \(noExt("c.oid", "pg_class"))
            """) {
            let key = "table \(name(row[0], row[1]))"
            guard case .object(var o)? = r.objects[key] else { continue }
            o["server"] = text(row[2])
            o["foreign_options"] = text(row[3])
            r.objects[key] = .object(o)
        }
    }

    package func publications(_ r: inout Result) throws(PGError) {
        for row in try db.rows("""
            SELECT p.pubname, p.puballtables, concat_ws(',', CASE WHEN p.pubinsert THEN 'insert' END, CASE WHEN p.pubupdate THEN 'update' END,
                   CASE WHEN p.pubdelete THEN 'delete' END, CASE WHEN p.pubtruncate THEN 'truncate' END), p.pubviaroot,
                   (SELECT string_agg(x, '; ' ORDER BY x) FROM (
                      SELECT pr.prrelid::regclass::text
                             || coalesce(' (' || (SELECT string_agg(a.attname, ', ' ORDER BY a.attnum) FROM pg_catalog.pg_attribute a
                                                   WHERE a.attrelid = pr.prrelid AND a.attnum = ANY (pr.prattrs)) || ')', '')
                             || coalesce(' WHERE ' || pg_catalog.pg_get_expr(pr.prqual, pr.prrelid), '') AS x
                        FROM pg_catalog.pg_publication_rel pr WHERE pr.prpubid = p.oid
                      UNION ALL
                      SELECT 'TABLES IN SCHEMA ' || pn.pnnspid::regnamespace::text FROM pg_catalog.pg_publication_namespace pn WHERE pn.pnpubid = p.oid) t),
                   pg_catalog.pg_get_userbyid(p.pubowner), pg_catalog.obj_description(p.oid, 'pg_publication')
            FROM pg_catalog.pg_publication p
            """) {
            r.objects["publication \(row[0]!)"] = [
                "all_tables": flag(row[1]), "publish": text(row[2]), "via_root": flag(row[3]), "members": text(row[4]),
                "owner": role(row[5]), "comment": text(row[6]),
            ]
        }
        // Subscriptions of this database; the connection string is for superusers only.
        for row in try db.rows("""
            SELECT s.subname, s.subenabled, array_to_string(s.subpublications, ','), pg_catalog.pg_get_userbyid(s.subowner)
            FROM pg_catalog.pg_subscription s WHERE s.subdbid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
            """) {
            r.objects["subscription \(row[0]!)"] = ["enabled": flag(row[1]), "publications": text(row[2]), "owner": role(row[3])]
        }
    }
}
