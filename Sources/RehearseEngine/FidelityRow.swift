import Foundation
import RehearseSurrogate

/// One line of the fidelity report: a measure of the generated surrogate
/// beside what the profile asked for, and whether it is within tolerance.
package struct FidelityRow: Sendable {
    package var subject: String
    package var metric: String
    package var target: String
    package var achieved: String
    package var tolerance: String
    package var withinTolerance: Bool

    package init(subject: String, metric: String, target: String, achieved: String, tolerance: String, withinTolerance: Bool) {
        self.subject = subject
        self.metric = metric
        self.target = target
        self.achieved = achieved
        self.tolerance = tolerance
        self.withinTolerance = withinTolerance
    }
}

extension FidelityRow {
    /// A column's rows of the report, the same on every engine: its null
    /// fraction (within three standard deviations of a binomial share, at
    /// least 0.02) and, for a column that is not a foreign key, its distinct
    /// count. A distinct count scales with the rows (up to the rows there
    /// are, and `distinctCap` when the type holds fewer values); a column
    /// whose values were all different stays so.
    package static func columnRows(subject: String, observed: ColumnProfile.Observed, tableRows: Int64, scale: Double,
                                   rows n: Int64, nonNull: Int64, distinct: Int64, isForeignKey: Bool,
                                   distinctCap: Int64? = nil) -> [FidelityRow] {
        func f(_ x: Double) -> String { String(format: "%.3f", x) }
        var out: [FidelityRow] = []
        if let p = observed.nullFraction {
            let achieved = n == 0 ? 0 : Double(n - nonNull) / Double(n)
            let tol = max(0.02, 3 * (p * (1 - p) / Double(max(n, 1))).squareRoot())
            out.append(FidelityRow(subject: subject, metric: "null fraction", target: f(p), achieved: f(achieved),
                                   tolerance: "± " + f(tol), withinTolerance: abs(achieved - p) <= tol))
        }
        if let d = observed.distinct, !isForeignKey {
            let observedNonNull = Int64((Double(tableRows) * (1 - (observed.nullFraction ?? 0))).rounded())
            var target = d >= observedNonNull ? nonNull : min(Int64((Double(d) * scale).rounded()), nonNull)
            if let cap = distinctCap { target = min(target, cap) }
            let tol = max(1, Int64((Double(target) * 0.1).rounded()))
            out.append(FidelityRow(subject: subject, metric: "distinct", target: String(target), achieved: String(distinct),
                                   tolerance: "± \(tol)", withinTolerance: abs(distinct - target) <= tol))
        }
        return out
    }
}
