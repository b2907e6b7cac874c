import Foundation

/// Learns a shape profile from an SQLite database without reading a single
/// value into the output: row counts, null fractions, distinct counts,
/// average and maximum widths, numeric ranges rounded out to powers of ten,
/// and foreign-key fan-out histograms. No most-common values, no histogram
/// bounds, no sample rows.
public enum SQLiteProfiler {
    public struct Column: Sendable {
        public var name: String
        public var notNull: Bool
        public var isKey: Bool
        public var affinity: ColumnShape.Affinity
        public var nullFraction: Double
        public var distinct: Int64
        public var averageWidth: Double
        public var maximumWidth: Int64
        /// Coarse bounds: the minimum rounded down and the maximum rounded up
        /// to a power of ten (with sign), never the values themselves.
        public var range: (low: Int64, high: Int64, fractional: Bool)?
        /// PostgreSQL: the column's type as the catalog spells it (a schema
        /// fact, for the fidelity report's type check).
        public var type: String? = nil
        /// PostgreSQL: every type-level fact (`PostgresTypeFact.detail`).
        public var typeDetail: String? = nil
    }

    public struct FanOut: Sendable {
        public var columns: [String]
        public var parent: String
        /// Parents by number of children, in buckets 0, 1, 2-3, 4-7, ...
        public var histogram: [(bucket: String, parents: Int64)]
    }

    public struct Table: Sendable {
        public var name: String
        public var rows: Int64
        public var columns: [Column]
        public var fanOuts: [FanOut]
        /// PostgreSQL: partitions of a partitioned table, and how many held rows.
        public var partitions: (count: Int64, withRows: Int64)? = nil
    }

    public static func learn(file: URL) throws -> [Table] {
        let db = try SQLiteFingerprint.open(file: file)
        let reader = SQLiteSchemaReader(db: db)
        let q = SQLiteFingerprinter.quote
        var tables: [Table] = []
        for shape in try reader.tables() where shape.name.lowercased() != SurrogateTag.provenanceTable {
            let rows = try count(db, "SELECT count(*) FROM main.\(q(shape.name))")
            let keyColumns = Set(shape.primaryKey.map { $0.lowercased() } + shape.foreignKeys.flatMap { $0.columns.map { $0.lowercased() } })
            var columns: [Column] = []
            for c in shape.columns {
                let col = q(c.name)
                let r = try db.rows("""
                    SELECT count(\(col)), count(DISTINCT \(col)), coalesce(avg(length(\(col))), 0), coalesce(max(length(\(col))), 0),
                           min(CASE WHEN typeof(\(col)) IN ('integer', 'real') THEN \(col) END),
                           max(CASE WHEN typeof(\(col)) IN ('integer', 'real') THEN \(col) END),
                           coalesce(sum(typeof(\(col)) = 'real' AND \(col) <> CAST(\(col) AS INTEGER)), 0),
                           coalesce(sum(typeof(\(col)) IN ('integer', 'real')), 0)
                    FROM main.\(q(shape.name))
                    """)[0]
                let nonNull = r[0].int64 ?? 0
                var range: (Int64, Int64, Bool)?
                if let lo = r[4].double, let hi = r[5].double, (r[7].int64 ?? 0) == nonNull, nonNull > 0 {
                    range = (bucketDown(lo), bucketUp(hi), (r[6].int64 ?? 0) > 0)
                }
                columns.append(Column(name: c.name, notNull: c.notNull, isKey: keyColumns.contains(c.name.lowercased()), affinity: c.affinity,
                                      nullFraction: rows == 0 ? 0 : Double(rows - nonNull) / Double(rows),
                                      distinct: r[1].int64 ?? 0, averageWidth: r[2].double ?? 0, maximumWidth: r[3].int64 ?? 0, range: range))
            }
            var fanOuts: [FanOut] = []
            for fk in shape.foreignKeys {
                let parentKey = fk.parentColumns.isEmpty ? try reader.table(fk.parentTable).primaryKey : fk.parentColumns
                guard parentKey.count == fk.columns.count else { continue }
                let on = zip(fk.columns, parentKey).map { "c.\(q($0)) = p.\(q($1))" }.joined(separator: " AND ")
                let perCount = try db.rows("""
                    SELECT n, count(*) FROM (SELECT count(c.\(q(fk.columns[0]))) AS n FROM main.\(q(fk.parentTable)) p
                          LEFT JOIN main.\(q(shape.name)) c ON \(on) GROUP BY \(parentKey.map { "p." + q($0) }.joined(separator: ", ")))
                    GROUP BY n ORDER BY n
                    """)
                fanOuts.append(FanOut(columns: fk.columns, parent: fk.parentTable,
                                      histogram: histogram(perCount.map { ($0[0].int64 ?? 0, $0[1].int64 ?? 0) })))
            }
            tables.append(Table(name: shape.name, rows: rows, columns: columns, fanOuts: fanOuts))
        }
        return tables
    }

    package static func count(_ db: SQLiteConnection, _ sql: String) throws -> Int64 {
        try db.rows(sql)[0][0].int64 ?? 0
    }

    /// Parents per child count, folded into the power-of-two buckets below.
    package static func histogram(_ parentsPerCount: [(children: Int64, parents: Int64)]) -> [(bucket: String, parents: Int64)] {
        var buckets: [Int64: Int64] = [:]
        for (n, parents) in parentsPerCount {
            buckets[n == 0 ? 0 : Int64(64 - UInt64(n).leadingZeroBitCount), default: 0] += parents
        }
        return buckets.keys.sorted().map { (bucketLabel($0), buckets[$0]!) }
    }

    /// Bucket b holds parents with 0 children (b = 0) or 2^(b-1) ... 2^b - 1.
    package static func bucketLabel(_ b: Int64) -> String {
        if b == 0 { return "0" }
        let lo = Int64(1) << (b - 1), hi = (Int64(1) << b) - 1
        return lo == hi ? "\(lo)" : "\(lo)-\(hi)"
    }

    package static func bucketDown(_ x: Double) -> Int64 {
        if x == 0 { return 0 }
        if x < 0 { return -bucketUp(-x) }
        return Int64(pow(10, floor(log10(x))).rounded())
    }

    package static func bucketUp(_ x: Double) -> Int64 {
        if x == 0 { return 0 }
        if x < 0 { return -bucketDown(-x) }
        let p = pow(10, ceil(log10(x)))
        return p >= 9.2e18 ? Int64.max : Int64(p.rounded())
    }

    /// The database's DDL (tables first, then indexes, views and triggers),
    /// without rehearse's own provenance table.
    public static func schemaDDL(file: URL) throws -> String {
        let db = try SQLiteFingerprint.open(file: file)
        let rows = try db.rows("""
            SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> ?
            ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 WHEN 'view' THEN 2 ELSE 3 END, rowid
            """, [.text(SurrogateTag.provenanceTable)])
        return rows.compactMap { $0.first?.textValue }.map { $0 + ";\n\n" }.joined()
    }

    /// The profile as YAML the generator reads (schemas/profile.schema.json).
    public static func yaml(_ tables: [Table], source: String) -> String {
        func quoted(_ s: String) -> String {
            "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        func number(_ d: Double) -> String { String(format: "%.4f", d).replacingOccurrences(of: #"\.?0+$"#, with: "", options: .regularExpression) }
        var out = """
            # Shape profile learned by `rehearse profile` from \((source as NSString).lastPathComponent).
            # It holds no values: counts, fractions, widths, ranges rounded out to
            # powers of ten, and foreign-key fan-outs. `observed` blocks feed the
            # fidelity report; the generator reads rows, generators and distinct.
            tables:

            """
        for t in tables {
            out += "  \(quoted(t.name)):\n    rows: \(t.rows)\n"
            if let p = t.partitions { out += "    observed: { partitions: \(p.count), partitions_with_rows: \(p.withRows) }\n" }
            if !t.columns.isEmpty { out += "    columns:\n" }
            for c in t.columns {
                var fields: [String] = []
                if !c.isKey, let range = c.range, range.low < range.high {
                    if range.fractional || c.affinity == .real {
                        fields.append("generator: uniform_real, min: \(range.low), max: \(range.high)")
                    } else if c.affinity == .integer || c.affinity == .numeric {
                        fields.append("generator: uniform, min: \(range.low), max: \(range.high)")
                    }
                }
                if c.nullFraction > 0 && !c.notNull { fields.append("null_fraction: \(number(c.nullFraction))") }
                let nonNullRows = Int64((Double(t.rows) * (1 - c.nullFraction)).rounded())
                // Key columns keep their learned distinct count too (the
                // generator ignores it for a foreign key, which draws from its parent).
                if c.distinct > 0, c.distinct < nonNullRows, !(c.isKey && c.type == nil) { fields.append("distinct: \(c.distinct)") }
                let type = (c.type.map { ", type: \(quoted($0))" } ?? "") + (c.typeDetail.map { ", type_detail: \(quoted($0))" } ?? "")
                fields.append("observed: { distinct: \(c.distinct), null_fraction: \(number(c.nullFraction)), avg_width: \(number(c.averageWidth)), max_width: \(c.maximumWidth)\(type) }")
                out += "      \(quoted(c.name)): { \(fields.joined(separator: ", ")) }\n"
            }
            if !t.fanOuts.isEmpty { out += "    foreign_keys:\n" }
            for f in t.fanOuts {
                let histogram = f.histogram.map { "\(quoted($0.bucket)): \($0.parents)" }.joined(separator: ", ")
                out += "      - { columns: [\(f.columns.map(quoted).joined(separator: ", "))], references: \(quoted(f.parent)), fanout: { \(histogram) } }\n"
            }
        }
        return out
    }
}

extension DatabaseValue {
    package var int64: Int64? {
        switch self {
        case .integer(let i): i
        case .real(let d): Int64(exactly: d.rounded())
        default: nil
        }
    }

    package var double: Double? {
        switch self {
        case .integer(let i): Double(i)
        case .real(let d): d
        default: nil
        }
    }
}
