import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

/// After a load, sets every sequence a column uses past the values loaded,
/// as a restore does, so the first INSERT after the load does not collide:
/// sequences a column owns (serial, identity) and sequences a column
/// DEFAULT calls through `nextval` without owning them (pg_dump's
/// `CREATE SEQUENCE …; … DEFAULT nextval('s'::regclass)` with no `OWNED BY`,
/// or one sequence shared by several tables). A sequence used by several
/// columns goes past the largest value of all of them.
package enum PostgresSequences {
    /// Per sequence oid, the columns that use it.
    package static func uses(_ db: PGConnection) throws(PGError) -> [String: Use] {
        // Column defaults depend on the sequences they call (deptype 'n');
        // owned and identity sequences depend on their column ('a', 'i').
        let uses = try db.rows("""
            SELECT DISTINCT sn.nspname, s.relname, tn.nspname, t.relname, a.attname, s.oid::text, sq.seqincrement::text
            FROM (
              SELECT d.refobjid AS seq, ad.adrelid AS rel, ad.adnum AS att
              FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_attrdef ad ON ad.oid = d.objid
              WHERE d.classid = 'pg_catalog.pg_attrdef'::pg_catalog.regclass AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
              UNION
              SELECT d.objid, d.refobjid, d.refobjsubid
              FROM pg_catalog.pg_depend d
              WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
                AND d.deptype IN ('a', 'i') AND d.refobjsubid > 0
            ) u
            JOIN pg_catalog.pg_class s ON s.oid = u.seq AND s.relkind = 'S'
            JOIN pg_catalog.pg_sequence sq ON sq.seqrelid = s.oid
            JOIN pg_catalog.pg_namespace sn ON sn.oid = s.relnamespace
            JOIN pg_catalog.pg_class t ON t.oid = u.rel AND t.relkind IN ('r', 'p')
            JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
            JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid AND a.attnum = u.att AND NOT a.attisdropped
            JOIN pg_catalog.pg_type ty ON ty.oid = a.atttypid
            WHERE ty.typname IN ('int2', 'int4', 'int8', 'numeric')
              AND NOT (t.relispartition)
            ORDER BY 1, 2, 3, 4, 5
            """)
        var columns: [String: Use] = [:]
        for u in uses {
            let table = PostgresCatalog.qualified(schema: u[2]!, name: u[3]!)
            let read = "SELECT max(\(PGConnection.quoteIdentifier(u[4]!)))::numeric AS m, min(\(PGConnection.quoteIdentifier(u[4]!)))::numeric AS l FROM \(table)"
            columns[u[5]!, default: Use(sequence: PostgresCatalog.qualified(schema: u[0]!, name: u[1]!),
                                        display: PostgresCatalog.displayName(schema: u[0]!, name: u[1]!),
                                        increment: Int64(u[6] ?? "1") ?? 1, reads: [])].reads.append(read)
        }
        return columns
    }

    package struct Use {
        package var sequence: String
        package var display: String
        package var increment: Int64
        /// One `SELECT max(col) AS m, min(col) AS l FROM table` per column that uses it.
        package var reads: [String]
    }

    /// `gap` (SurrogatePlan.counterGap) steps past the loaded values, as a
    /// production sequence runs ahead of its rows; never past the sequence's range.
    package static func reset(_ db: PGConnection, gap: Int64 = 0) throws(PGError) {
        let columns = try uses(db)
        for oid in columns.keys.sorted() {
            let use = columns[oid]!
            let (sequence, increment, reads) = (use.sequence, use.increment, use.reads)
            // Ascending sequences go past the largest value, descending ones
            // below the smallest; a value outside the sequence's own range
            // (a generator's, not the sequence's) leaves it where it is.
            let target = increment > 0 ? "max(m)" : "min(l)"
            let step = "(\(gap)::numeric * \(increment)::numeric)"
            try db.execute("""
                SELECT pg_catalog.setval(\(PGConnection.quoteLiteral(sequence))::regclass,
                       CASE WHEN v + \(step) BETWEEN s.seqmin AND s.seqmax THEN v + \(step) ELSE v END::bigint, true)
                FROM (SELECT \(target) AS v FROM (\(reads.joined(separator: " UNION ALL "))) x) y
                JOIN pg_catalog.pg_sequence s ON s.seqrelid = \(oid)
                WHERE v IS NOT NULL AND v >= s.seqmin AND v <= s.seqmax
                """)
        }
    }

    /// For the fidelity report: per sequence, the largest loaded value of
    /// its columns, the value its next call would return, and whether that
    /// is past every loaded value.
    package static func positions(_ db: PGConnection) throws(PGError) -> [(sequence: String, loaded: String, next: String, past: Bool)] {
        let columns = try uses(db)
        var out: [(sequence: String, loaded: String, next: String, past: Bool)] = []
        for oid in columns.keys.sorted() {
            let use = columns[oid]!
            let target = use.increment > 0 ? "max(m)" : "min(l)"
            guard let row = try db.rows("""
                SELECT (SELECT \(target) FROM (\(use.reads.joined(separator: " UNION ALL "))) x)::text,
                       (SELECT CASE WHEN is_called THEN last_value + \(use.increment) ELSE last_value END FROM \(use.sequence))::text
                """).first, let loaded = row[0], let next = row[1] else { continue }
            let past = use.increment > 0 ? (Double(next) ?? 0) > (Double(loaded) ?? 0) : (Double(next) ?? 0) < (Double(loaded) ?? 0)
            out.append((use.display, loaded, next, past))
        }
        return out
    }
}
