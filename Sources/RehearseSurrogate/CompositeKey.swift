import Foundation
import RehearseCore
import RehearseEvidence

/// Distinct combinations of parent rows for a composite key: row `r` takes
/// combination `permutation(r)`, written in mixed radix (one digit per parent).
package struct CompositeKey: Sendable {
    package let radices: [Int64]
    /// Per parent, the keyed subset of its rows in use (nil: all of them).
    package let subsets: [IndexPermutation?]
    package let permutation: IndexPermutation

    package func parentRow(_ position: Int, forRow row: Int64) -> Int64 {
        var combination = permutation(row)
        for i in stride(from: radices.count - 1, to: position, by: -1) {
            combination /= radices[i]
        }
        let digit = combination % radices[position]
        return subsets[position].map { $0(digit) } ?? digit
    }
}
