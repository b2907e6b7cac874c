import Foundation
import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

/// Schemas, tables (with their columns), constraints, indexes, views and
/// materialized views, sequences (definition and current value).
extension PostgresCatalogReader {
    package func schemas(_ r: inout Result) throws(PGError) {
        for row in try db.rows("""
            SELECT n.nspname, pg_catalog.pg_get_userbyid(n.nspowner), coalesce(n.nspacl, pg_catalog.acldefault('n', n.nspowner))::text, pg_catalog.obj_description(n.oid, 'pg_namespace')
            FROM pg_catalog.pg_namespace n WHERE \(user) AND \(noExt("n.oid", "pg_namespace"))
            """) {
            r.objects["schema \(row[0]!)"] = ["name": .string(row[0]!), "owner": role(row[1]), "acl": acl(row[2]), "comment": text(row[3])]
        }
    }

    package func tables(_ r: inout Result) throws(PGError) {
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

    package func constraints(_ r: inout Result) throws(PGError) {
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

    package func indexes(_ r: inout Result) throws(PGError) {
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

    package func views(_ r: inout Result) throws(PGError) {
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

    package func sequences(_ r: inout Result) throws(PGError) {
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
}
