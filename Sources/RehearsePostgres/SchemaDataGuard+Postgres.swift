import Foundation
import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

/// The schema guard's checks inside a PostgreSQL scratch database.
extension SchemaDataGuard {
    /// PostgreSQL: no user trigger and no rule on a table may exist when the
    /// rows go in. The loader makes the schema's triggers and rules after the
    /// data, so one that exists now was made by code (a DO block's EXECUTE,
    /// a function a SELECT called), and a BEFORE INSERT trigger could rewrite
    /// every generated value while the row count stays right.
    package static func verifyNoTriggers(_ db: PGConnection, schema: SQLScript) throws {
        do {
            if let row = try db.rows("""
                SELECT t.tgname, c.relname FROM pg_catalog.pg_trigger t
                JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                WHERE NOT t.tgisinternal AND \(PostgresCatalog.userSchema) AND \(PostgresCatalog.notFromExtension("c.oid", "pg_class"))
                ORDER BY 2, 1 LIMIT 1
                """).first {
                throw triggerBeforeData(schema, "the trigger \(row[0] ?? "?") on table \(row[1] ?? "?")")
            }
            if let row = try db.rows("SELECT evtname FROM pg_catalog.pg_event_trigger ORDER BY 1 LIMIT 1").first {
                throw triggerBeforeData(schema, "the event trigger \(row[0] ?? "?")")
            }
            // A CHECK (of a table or a domain) runs for every row COPY writes;
            // a volatile function of the user's in it could write to tables
            // already loaded. Built-in functions and non-volatile ones cannot
            // write (PostgreSQL runs a stable or immutable function read-only).
            if let row = try db.rows("""
                SELECT con.conname, coalesce(c.relname, t.typname), p.proname
                FROM pg_catalog.pg_constraint con
                JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_constraint'::pg_catalog.regclass AND d.objid = con.oid
                     AND d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass
                JOIN pg_catalog.pg_proc p ON p.oid = d.refobjid
                JOIN pg_catalog.pg_namespace pn ON pn.oid = p.pronamespace
                LEFT JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
                LEFT JOIN pg_catalog.pg_type t ON t.oid = con.contypid
                WHERE con.contype = 'c' AND p.provolatile = 'v' AND pn.nspname NOT IN ('pg_catalog', 'information_schema')
                ORDER BY 2, 1 LIMIT 1
                """).first {
                throw RehearseError.refused("\(schema.displayPath): the CHECK constraint \(row[0] ?? "?") on \(row[1] ?? "?") calls the volatile function \(row[2] ?? "?")(), which runs for every generated row and could write rows or rewrite values. A CHECK must not change data; declare the function IMMUTABLE or STABLE (PostgreSQL then runs it read-only).")
            }
            if let row = try db.rows("""
                SELECT r.rulename, c.relname FROM pg_catalog.pg_rewrite r
                JOIN pg_catalog.pg_class c ON c.oid = r.ev_class JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                WHERE r.rulename <> '_RETURN' AND \(PostgresCatalog.userSchema) AND \(PostgresCatalog.notFromExtension("c.oid", "pg_class"))
                ORDER BY 2, 1 LIMIT 1
                """).first {
                throw triggerBeforeData(schema, "the rule \(row[0] ?? "?") on table \(row[1] ?? "?")")
            }
        } catch let error as PGError {
            throw RehearseError.environment("Reading the PostgreSQL catalog failed: \(error).")
        }
    }

    /// PostgreSQL: every table of the user's schemas (extension-owned ones
    /// aside; materialized views are derived) holds exactly the generated rows:
    /// a partitioned table counts its partitions' rows, an ordinary table only
    /// its own (ONLY). Row security is off for the count, so a policy cannot
    /// hide rows (the server refuses the count instead). No large object may exist.
    package static func verifyRows(_ db: PGConnection, plan: SurrogatePlan, schema: SQLScript) throws {
        let expected = expectedRows(plan)
        do {
            _ = try db.execute("SET row_security = off")
            // The schema may have defined public.count or an operator and put
            // public first on the role's search_path: a count it answers could
            // hide rows. pg_catalog first, and count schema-qualified.
            _ = try db.execute("SET search_path = pg_catalog, pg_temp")
            defer { _ = try? db.execute("RESET row_security"); _ = try? db.execute("RESET search_path") }
            let relations = try db.rows("""
                SELECT n.nspname, c.relname, c.relkind::text, c.relispartition::text
                FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relkind IN ('r', 'p') AND \(PostgresCatalog.userSchema) AND \(PostgresCatalog.notFromExtension("c.oid", "pg_class"))
                ORDER BY n.nspname, c.relname
                """)
            for r in relations {
                guard let nsp = r[0], let name = r[1], r[3] != "true" else { continue }
                if nsp == "public" && name == SurrogateTag.provenanceTable { continue }
                let qualified = PostgresCatalog.qualified(schema: nsp, name: name)
                let holds = Int64(try db.scalar("SELECT pg_catalog.count(*) FROM \(r[2] == "r" ? "ONLY " : "")\(qualified)") ?? "") ?? -1
                let display = PostgresCatalog.displayName(schema: nsp, name: name)
                let wrote = expected[display] ?? 0
                if holds != wrote { throw unexpectedRows(schema, table: display, holds: holds, wrote: wrote) }
            }
            let objects = try db.scalar("SELECT pg_catalog.count(*) FROM pg_catalog.pg_largeobject_metadata") ?? "0"
            if objects != "0" {
                throw RehearseError.refused("\(schema.displayPath): after the load, the database holds \(objects) large objects, which the generator never writes. Something in the schema file created them; remove it.")
            }
        } catch let error as PGError {
            throw RehearseError.refused("\(schema.displayPath): counting the rows of the loaded surrogate failed: \(error). A schema that hides rows from the count (a row security policy, say) cannot be verified; remove what blocks the count.")
        }
    }
}
