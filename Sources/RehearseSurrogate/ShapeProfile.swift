import Foundation
import RehearseCore
import RehearseEvidence

/// The shape a surrogate should have: per table a row count, per column a
/// generator with parameters and a null fraction. Everything left out is
/// inferred from the schema (types, keys, constraints and names).
/// Field reference: `schemas/profile.schema.json`.
package struct ShapeProfile: Sendable {
    package var tables: [String: TableProfile]
    /// Rows for a table the profile does not mention, before scaling.
    package var defaultRows: Int64
    /// The edge-case mix and birth-aware targeting (EdgeCaseMix.swift): on unless switched off.
    package var edgeCases = EdgeCaseSettings.defaults

    package init(tables: [String: TableProfile] = [:], defaultRows: Int64 = 100) {
        self.tables = tables
        self.defaultRows = defaultRows
    }
}

package struct TableProfile: Sendable {
    package var rows: Int64
    package var columns: [String: ColumnProfile]
    /// Fan-out histograms observed by `rehearse profile`, for the fidelity report.
    package var observedFanOuts: [(columns: [String], histogram: [(bucket: String, parents: Int64)])] = []
    /// Fan-out distributions asked for per foreign key (`distribution`,
    /// `min_children`, `max_children`, `null_fraction`).
    package var fanOuts: [FanOutSpec] = []
    /// PostgreSQL partitions `rehearse profile` saw, for the fidelity report.
    package var observedPartitions: (count: Int64, withRows: Int64)?
}

/// How the children of a foreign key spread over the parent rows.
package struct FanOutSpec: Sendable {
    package enum Distribution: Sendable, Equatable {
        /// Every parent equally likely.
        case uniform
        /// The parent of popularity rank r (a keyed order of the parents) is
        /// chosen with weight r^-exponent.
        case zipf(exponent: Double)
    }
    package var columns: [String]
    package var distribution: Distribution
    /// Every parent gets at least this many children (default 0).
    package var minChildren: Int64
    /// No parent gets more than this many children (default: no limit).
    package var maxChildren: Int64?
    /// Share of child rows whose foreign key is NULL.
    package var nullFraction: Double?
}

package struct ColumnProfile: Sendable {
    package var generator: GeneratorSpec?
    /// `from: table.column`: draw the values of another table's column (ColumnSource).
    package var drawnFrom: ColumnSource?
    package var nullFraction: Double?
    /// Values drawn from a pool of this many, so the column repeats as often
    /// as the real one did.
    package var distinct: Int64?
    /// What `rehearse profile` saw, for the fidelity report; never values.
    package var observed: Observed?

    package struct Observed: Sendable {
        package var distinct: Int64?
        package var nullFraction: Double?
        package var averageWidth: Double?
        package var maximumWidth: Int64?
        /// PostgreSQL: the column's type as the source catalog spelled it.
        package var type: String? = nil
        /// PostgreSQL: every type-level fact of the column (domain base and
        /// CHECKs, enum labels, element and range subtypes, lengths).
        package var typeDetail: String? = nil
    }
}

/// How a column's values are made. Every generator is a pure function of
/// (seed, table, column, row), so generation can be split across threads and
/// repeated exactly.
package enum GeneratorSpec: Sendable, Equatable {
    case sequence(start: Int64, step: Int64)
    case uniform(min: Int64, max: Int64)
    case uniformReal(min: Double, max: Double, decimals: Int)
    case categorical([(value: DatabaseValue, weight: Double)])
    case boolean(rate: Double)
    /// Seconds since 1970-01-01 UTC, written as `YYYY-MM-DD HH:MM:SS`.
    case timestamp(from: Int64, to: Int64)
    /// A timestamp some seconds after another timestamp column of the same row.
    case timestampAfter(column: String, minSeconds: Int64, maxSeconds: Int64)
    case text(TextPattern)
    case constant(DatabaseValue)
    /// Normal (Gaussian) numbers; out-of-bounds draws are redrawn, then clamped.
    /// Integer columns get the value rounded, others `decimals` digits.
    case normal(mean: Double, stddev: Double, min: Double?, max: Double?, decimals: Int)
    /// exp(N(mu, sigma)): median e^mu; `spread` = e^sigma is the geometric
    /// standard deviation. Bounds and rounding as for normal.
    case logNormal(mu: Double, sigma: Double, min: Double?, max: Double?, decimals: Int)
    /// Integers 1...n, value k with weight k^-exponent (1 is the most common).
    case zipf(n: Int64, exponent: Double)
    /// A timestamp in [from, to) whose weekday and hour of day follow weights
    /// (weekdays Monday first; 24 hours, UTC).
    case seasonalTimestamp(from: Int64, to: Int64, hourWeights: [Double], weekdayWeights: [Double])
    /// Inferred from a CHECK comparing two columns of a row: the other
    /// column's value plus a delta in min...max (seconds for timestamps).
    case offset(column: String, min: Double, max: Double)

    package static func == (a: GeneratorSpec, b: GeneratorSpec) -> Bool {
        String(describing: a) == String(describing: b)
    }

    package static let names = ["sequence", "uniform", "uniform_real", "normal", "log-normal", "zipf", "categorical", "boolean", "timestamp", "timestamp_after", "constant"]
        + TextPattern.allCases.map(\.rawValue)
}
