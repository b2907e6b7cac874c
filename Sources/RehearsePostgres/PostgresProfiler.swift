import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

/// `rehearse profile --pg-url`: learns a value-free shape profile from a
/// database of a local PostgreSQL server, in pinned read-only sessions. The
/// same measures as the SQLite profiler (row counts, null fractions, distinct
/// counts, widths, numeric ranges rounded out to powers of ten, foreign-key
/// fan-out histograms) and never a value.
public enum PostgresProfiler {
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

    public static func learn(server: PostgresServerAddress) throws -> [LearnedProfile.Table] {
        guard let database = server.namedDatabase else {
            throw RehearseError.badInput("--pg-url names no database. Add dbname=... for the database to profile.")
        }
        let db = try PostgresScratch.open(server.parameters, database: database)
        do {
            try PostgresFingerprinter.pin(db)
            let (shapes, relations) = try PostgresCatalog.tableShapes(db)
            var tables: [LearnedProfile.Table] = []
            for shape in shapes where shape.name.lowercased() != SurrogateTag.provenanceTable {
                guard let rel = relations[shape.name] else { continue }
                let rows = Int64(try db.scalar("SELECT pg_catalog.count(*) FROM \(rel.qualified)") ?? "0") ?? 0
                // Partition key columns count as keys: the generator steers
                // them into the partitions' bounds, so no learned range may override that.
                let keyColumns = Set(shape.primaryKey.map { $0.lowercased() } + shape.foreignKeys.flatMap { $0.columns.map { $0.lowercased() } }
                                     + (shape.partitions?.keyColumns ?? []).map { $0.lowercased() })
                var columns: [LearnedProfile.Column] = []
                for c in shape.columns {
                    let col = PGConnection.quoteIdentifier(c.name)
                    let numeric = numericTypes.contains(c.declaredType) || c.declaredType.hasPrefix("numeric")
                    // Distinct over the text form: json, xml and geometric types have no equality operator.
                    let r = try db.rows("""
                        SELECT count(\(col))::text, count(DISTINCT \(col)::text)::text,
                               coalesce(avg(octet_length(\(col)::text)), 0)::float8::text, coalesce(max(octet_length(\(col)::text)), 0)::text,
                               \(numeric ? "min(\(col))::float8::text, max(\(col))::float8::text, bool_or(\(col)::numeric <> trunc(\(col)::numeric))::text" : "NULL, NULL, NULL")
                        FROM \(rel.qualified)
                        """)[0]
                    let nonNull = Int64(r[0] ?? "0") ?? 0
                    var range: (low: Int64, high: Int64, fractional: Bool)?
                    if let lo = r[4].flatMap(Double.init), let hi = r[5].flatMap(Double.init), lo.isFinite, hi.isFinite {
                        range = clamped((LearnedProfile.bucketDown(lo), LearnedProfile.bucketUp(hi), r[6] == "true"), to: c.pgType)
                    }
                    columns.append(LearnedProfile.Column(
                        name: c.name, notNull: c.notNull, isKey: keyColumns.contains(c.name.lowercased()), affinity: c.affinity,
                        nullFraction: rows == 0 ? 0 : Double(rows - nonNull) / Double(rows), distinct: Int64(r[1] ?? "0") ?? 0,
                        averageWidth: Double(r[2] ?? "0") ?? 0, maximumWidth: Int64(r[3] ?? "0") ?? 0, range: range, type: c.declaredType, typeDetail: c.pgType?.detail))
                }
                var fanOuts: [LearnedProfile.FanOut] = []
                for fk in shape.foreignKeys {
                    guard let parent = relations[fk.parentTable], fk.parentColumns.count == fk.columns.count else { continue }
                    let q = PGConnection.quoteIdentifier
                    let on = zip(fk.columns, fk.parentColumns).map { "c.\(q($0)) = p.\(q($1))" }.joined(separator: " AND ")
                    let perCount = try db.rows("""
                        SELECT n::text, count(*)::text FROM (SELECT count(c.\(q(fk.columns[0]))) AS n FROM \(parent.qualified) p
                              LEFT JOIN \(rel.qualified) c ON \(on) GROUP BY \(fk.parentColumns.map { "p." + q($0) }.joined(separator: ", "))) x
                        GROUP BY n ORDER BY n
                        """)
                    fanOuts.append(LearnedProfile.FanOut(columns: fk.columns, parent: fk.parentTable, histogram: LearnedProfile.histogram(
                        perCount.map { (Int64($0[0] ?? "0") ?? 0, Int64($0[1] ?? "0") ?? 0) })))
                }
                var table = LearnedProfile.Table(name: shape.name, rows: rows, columns: columns, fanOuts: fanOuts)
                if rel.kind == "p" {
                    // Leaf partitions, and how many hold rows: counts, not values.
                    let leaves = try db.rows("""
                        SELECT t.relid::regclass::text FROM pg_catalog.pg_partition_tree(\(rel.oid)::oid::regclass) t WHERE t.isleaf
                        """).compactMap { $0[0] }
                    var withRows: Int64 = 0
                    for leaf in leaves where try db.scalar("SELECT EXISTS (SELECT 1 FROM \(leaf))::text") == "true" { withRows += 1 }
                    table.partitions = (Int64(leaves.count), withRows)
                }
                tables.append(table)
            }
            return tables
        } catch {
            throw RehearseError.environment("Profiling the PostgreSQL database failed: \(error).")
        }
    }
}
