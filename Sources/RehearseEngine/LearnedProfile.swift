import Foundation
import RehearseCore
import RehearseSurrogate

/// A shape profile learned from a database (`rehearse profile`), by either
/// engine's profiler: the model, the measures both share (fan-out buckets,
/// ranges rounded out to powers of ten) and the YAML the generator reads.
/// Value-free by construction: counts, fractions, widths and rounded bounds.
package enum LearnedProfile {
    package struct Column: Sendable {
        package var name: String
        package var notNull: Bool
        package var isKey: Bool
        package var affinity: ColumnShape.Affinity
        package var nullFraction: Double
        package var distinct: Int64
        package var averageWidth: Double
        package var maximumWidth: Int64
        /// Coarse bounds: the minimum rounded down and the maximum rounded up
        /// to a power of ten (with sign), never the values themselves.
        package var range: (low: Int64, high: Int64, fractional: Bool)?
        /// PostgreSQL: the column's type as the catalog spells it (a schema
        /// fact, for the fidelity report's type check).
        package var type: String? = nil
        /// PostgreSQL: every type-level fact (`PostgresTypeFact.detail`).
        package var typeDetail: String? = nil

        package init(name: String, notNull: Bool, isKey: Bool, affinity: ColumnShape.Affinity, nullFraction: Double, distinct: Int64, averageWidth: Double, maximumWidth: Int64, range: (low: Int64, high: Int64, fractional: Bool)? = nil, type: String? = nil, typeDetail: String? = nil) {
            self.name = name
            self.notNull = notNull
            self.isKey = isKey
            self.affinity = affinity
            self.nullFraction = nullFraction
            self.distinct = distinct
            self.averageWidth = averageWidth
            self.maximumWidth = maximumWidth
            self.range = range
            self.type = type
            self.typeDetail = typeDetail
        }
    }

    package struct FanOut: Sendable {
        package var columns: [String]
        package var parent: String
        /// Parents by number of children, in buckets 0, 1, 2-3, 4-7, ...
        package var histogram: [(bucket: String, parents: Int64)]

        package init(columns: [String], parent: String, histogram: [(bucket: String, parents: Int64)]) {
            self.columns = columns
            self.parent = parent
            self.histogram = histogram
        }
    }

    package struct Table: Sendable {
        package var name: String
        package var rows: Int64
        package var columns: [Column]
        package var fanOuts: [FanOut]
        /// PostgreSQL: partitions of a partitioned table, and how many held rows.
        package var partitions: (count: Int64, withRows: Int64)? = nil

        package init(name: String, rows: Int64, columns: [Column], fanOuts: [FanOut], partitions: (count: Int64, withRows: Int64)? = nil) {
            self.name = name
            self.rows = rows
            self.columns = columns
            self.fanOuts = fanOuts
            self.partitions = partitions
        }
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

    /// The profile as YAML the generator reads (schemas/profile.schema.json).
    package static func yaml(_ tables: [Table], source: String) -> String {
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
