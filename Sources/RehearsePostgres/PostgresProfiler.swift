import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

/// `rehearse profile --pg-url`: learns a value-free shape profile from a
/// database of a local PostgreSQL server, in pinned read-only sessions. The
/// same measures as the SQLite profiler (row counts, null fractions, distinct
/// counts, widths, numeric ranges rounded out to powers of ten, foreign-key
/// fan-out histograms) and never a value.
package enum PostgresProfiler {
    /// Types whose values are numbers: a range is learned only for these.
    package static let numericTypes: Set<String> = ["smallint", "integer", "bigint", "real", "double precision"]

    /// A learned range rounded out to powers of ten, brought back inside
    /// what the column's type holds (smallint, numeric(p, s)): a bound the
    /// type cannot store would make every generated row fail.
    package static func clamped(_ range: (low: Int64, high: Int64, fractional: Bool), to fact: PostgresTypeFact?) -> (low: Int64, high: Int64, fractional: Bool) {
        var (lo, hi) = (range.low, range.high)
        if let (tlo, thi) = fact?.resolved.integerBounds {
            lo = max(lo, tlo)
            hi = min(hi, thi)
        } else if let m = fact?.resolved.numericMagnitude, m < 9e18 {
            let whole = Int64(m.rounded(.down))
            lo = max(lo, -whole)
            hi = min(hi, whole)
        }
        return (lo, hi, range.fractional)
    }

    package static func learn(server: PostgresServerAddress) throws -> [LearnedProfile.Table] {
        guard let database = server.namedDatabase else {
            throw RehearseError.badInput("--pg-url names no database. Add dbname=... for the database to profile.")
        }
        let db = try PostgresScratch.open(server.parameters, database: database)
        do {
            try PostgresFingerprinter.pin(db)
            return try LearnedProfile.learn(with: Hooks(db: db, catalog: try PostgresCatalog.tableShapes(db)))
        } catch {
            throw RehearseError.environment("Profiling the PostgreSQL database failed: \(error).")
        }
    }

    /// The profiler loop's questions, in PostgreSQL's SQL, in a pinned read-only session.
    private struct Hooks: ProfilerHooks {
        let db: PGConnection
        let catalog: (shapes: [TableShape], relations: [String: PostgresCatalog.Relation])
        let q = PGConnection.quoteIdentifier

        func tables() throws -> [(shape: TableShape, relation: PostgresCatalog.Relation)] {
            catalog.shapes.compactMap { shape in catalog.relations[shape.name].map { (shape, $0) } }
        }

        func rowCount(_ rel: PostgresCatalog.Relation) throws -> Int64 {
            Int64(try db.scalar("SELECT pg_catalog.count(*) FROM \(rel.qualified)") ?? "0") ?? 0
        }

        func measure(_ c: ColumnShape, of rel: PostgresCatalog.Relation) throws -> ColumnMeasure {
            let col = q(c.name)
            let numeric = PostgresProfiler.numericTypes.contains(c.declaredType) || c.declaredType.hasPrefix("numeric")
            // Distinct over the text form: json, xml and geometric types have no equality operator.
            let r = try db.rows("""
                SELECT count(\(col))::text, count(DISTINCT \(col)::text)::text,
                       coalesce(avg(octet_length(\(col)::text)), 0)::float8::text, coalesce(max(octet_length(\(col)::text)), 0)::text,
                       \(numeric ? "min(\(col))::float8::text, max(\(col))::float8::text, bool_or(\(col)::numeric <> trunc(\(col)::numeric))::text" : "NULL, NULL, NULL")
                FROM \(rel.qualified)
                """)[0]
            var range: (low: Double, high: Double, fractional: Bool)?
            if let lo = r[4].flatMap(Double.init), let hi = r[5].flatMap(Double.init), lo.isFinite, hi.isFinite {
                range = (lo, hi, r[6] == "true")
            }
            return ColumnMeasure(nonNull: Int64(r[0] ?? "0") ?? 0, distinct: Int64(r[1] ?? "0") ?? 0, averageWidth: Double(r[2] ?? "0") ?? 0,
                                 maximumWidth: Int64(r[3] ?? "0") ?? 0, numericRange: range, type: c.declaredType, typeDetail: c.pgType?.detail)
        }

        func fit(_ range: (low: Int64, high: Int64, fractional: Bool), to column: ColumnShape) -> (low: Int64, high: Int64, fractional: Bool) {
            PostgresProfiler.clamped(range, to: column.pgType)
        }

        func childrenPerParent(_ fk: ForeignKeyShape, child rel: PostgresCatalog.Relation) throws -> [(children: Int64, parents: Int64)]? {
            guard let parent = catalog.relations[fk.parentTable], fk.parentColumns.count == fk.columns.count else { return nil }
            let on = zip(fk.columns, fk.parentColumns).map { "c.\(q($0)) = p.\(q($1))" }.joined(separator: " AND ")
            return try db.rows("""
                SELECT n::text, count(*)::text FROM (SELECT count(c.\(q(fk.columns[0]))) AS n FROM \(parent.qualified) p
                      LEFT JOIN \(rel.qualified) c ON \(on) GROUP BY \(fk.parentColumns.map { "p." + q($0) }.joined(separator: ", "))) x
                GROUP BY n ORDER BY n
                """).map { (Int64($0[0] ?? "0") ?? 0, Int64($0[1] ?? "0") ?? 0) }
        }

        func partitions(_ rel: PostgresCatalog.Relation) throws -> (count: Int64, withRows: Int64)? {
            guard rel.kind == "p" else { return nil }
            // Leaf partitions, and how many hold rows: counts, not values.
            let leaves = try db.rows("""
                SELECT t.relid::regclass::text FROM pg_catalog.pg_partition_tree(\(rel.oid)::oid::regclass) t WHERE t.isleaf
                """).compactMap { $0[0] }
            var withRows: Int64 = 0
            for leaf in leaves where try db.scalar("SELECT EXISTS (SELECT 1 FROM \(leaf))::text") == "true" { withRows += 1 }
            return (Int64(leaves.count), withRows)
        }
    }
}
