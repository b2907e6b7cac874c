/// `rehearse profile --pg-url`: learns a value-free shape profile from a
/// database of a local PostgreSQL server, in pinned read-only sessions. The
/// same measures as the SQLite profiler (row counts, null fractions, distinct
/// counts, widths, numeric ranges rounded out to powers of ten, foreign-key
/// fan-out histograms) and never a value.
public enum PostgresProfiler {
    /// Types whose values are numbers: a range is learned only for these.
    static let numericTypes: Set<String> = ["smallint", "integer", "bigint", "real", "double precision"]

    public static func learn(server: PostgresServerAddress) throws -> [SQLiteProfiler.Table] {
        guard let database = server.namedDatabase else {
            throw RehearseError.badInput("--pg-url names no database. Add dbname=... for the database to profile.")
        }
        let db = try PostgresScratch.open(server.parameters, database: database)
        do {
            try PostgresFingerprinter.pin(db)
            let (shapes, relations) = try PostgresCatalog.tableShapes(db)
            var tables: [SQLiteProfiler.Table] = []
            for shape in shapes where shape.name.lowercased() != SurrogateTag.provenanceTable {
                guard let rel = relations[shape.name] else { continue }
                let rows = Int64(try db.scalar("SELECT count(*) FROM \(rel.qualified)") ?? "0") ?? 0
                let keyColumns = Set(shape.primaryKey.map { $0.lowercased() } + shape.foreignKeys.flatMap { $0.columns.map { $0.lowercased() } })
                var columns: [SQLiteProfiler.Column] = []
                for c in shape.columns {
                    let col = PGConnection.quoteIdentifier(c.name)
                    let numeric = numericTypes.contains(c.declaredType) || c.declaredType.hasPrefix("numeric")
                    let r = try db.rows("""
                        SELECT count(\(col))::text, count(DISTINCT \(col))::text,
                               coalesce(avg(octet_length(\(col)::text)), 0)::float8::text, coalesce(max(octet_length(\(col)::text)), 0)::text,
                               \(numeric ? "min(\(col))::float8::text, max(\(col))::float8::text, bool_or(\(col)::numeric <> trunc(\(col)::numeric))::text" : "NULL, NULL, NULL")
                        FROM \(rel.qualified)
                        """)[0]
                    let nonNull = Int64(r[0] ?? "0") ?? 0
                    var range: (low: Int64, high: Int64, fractional: Bool)?
                    if let lo = r[4].flatMap(Double.init), let hi = r[5].flatMap(Double.init), lo.isFinite, hi.isFinite {
                        range = (SQLiteProfiler.bucketDown(lo), SQLiteProfiler.bucketUp(hi), r[6] == "true")
                    }
                    columns.append(SQLiteProfiler.Column(
                        name: c.name, notNull: c.notNull, isKey: keyColumns.contains(c.name.lowercased()), affinity: c.affinity,
                        nullFraction: rows == 0 ? 0 : Double(rows - nonNull) / Double(rows), distinct: Int64(r[1] ?? "0") ?? 0,
                        averageWidth: Double(r[2] ?? "0") ?? 0, maximumWidth: Int64(r[3] ?? "0") ?? 0, range: range))
                }
                var fanOuts: [SQLiteProfiler.FanOut] = []
                for fk in shape.foreignKeys {
                    guard let parent = relations[fk.parentTable], fk.parentColumns.count == fk.columns.count else { continue }
                    let q = PGConnection.quoteIdentifier
                    let on = zip(fk.columns, fk.parentColumns).map { "c.\(q($0)) = p.\(q($1))" }.joined(separator: " AND ")
                    let perCount = try db.rows("""
                        SELECT n::text, count(*)::text FROM (SELECT count(c.\(q(fk.columns[0]))) AS n FROM \(parent.qualified) p
                              LEFT JOIN \(rel.qualified) c ON \(on) GROUP BY \(fk.parentColumns.map { "p." + q($0) }.joined(separator: ", "))) x
                        GROUP BY n ORDER BY n
                        """)
                    fanOuts.append(SQLiteProfiler.FanOut(columns: fk.columns, parent: fk.parentTable, histogram: SQLiteProfiler.histogram(
                        perCount.map { (Int64($0[0] ?? "0") ?? 0, Int64($0[1] ?? "0") ?? 0) })))
                }
                tables.append(SQLiteProfiler.Table(name: shape.name, rows: rows, columns: columns, fanOuts: fanOuts))
            }
            return tables
        } catch {
            throw RehearseError.environment("Profiling the PostgreSQL database failed: \(error).")
        }
    }
}
