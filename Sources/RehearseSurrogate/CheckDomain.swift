import Foundation
import RehearseCore
import RehearseEvidence

/// CHECK constraints read as value domains, so a column the profile is
/// silent about gets values that satisfy them by construction. Understood:
/// comparisons with constants (`x > 0`, `x <= 9.5`, `x = 'a'`), BETWEEN,
/// IN lists, `length(x)` compared or BETWEEN, `x IS NULL OR …`, AND, and
/// comparisons between two columns of the row (`shipped_at >= placed_at`).
/// Anything else is left to the database to enforce at insert time.
package struct ColumnDomain {
    package struct Bound {
        package var value: Double
        package var inclusive: Bool
    }
    package var lower: Bound?
    package var upper: Bound?
    /// IN lists and `x = constant`, intersected.
    package var allowed: [DatabaseValue]?
    /// `x <> constant` and NOT IN.
    package var excluded: [DatabaseValue] = []
    package var minLength: Int64?
    package var maxLength: Int64?
    /// `octet_length(x)` bounds: the value's size in bytes (UTF-8 for text).
    package var minBytes: Int64?
    package var maxBytes: Int64?
    /// `jsonb_typeof(x) = 'object'`: the JSON kind every value must have.
    package var jsonType: String?
    /// `cardinality(x) <= n`: an array's most elements.
    package var maxCardinality: Int64?
    /// `cardinality(x) > 0`: an array's fewest elements (at most 3 is read).
    package var minCardinality: Int64?
    /// `x ~ '^[0-9]{14}$'`: a simple regular expression every value matches.
    package var pattern: RegexText?
    /// `x = date_trunc('month', x)`: a date column's values are the first of
    /// a month ('month') or of a year ('year'); other units and types are
    /// not read (`CheckPlan`).
    package var truncated: String?
    /// A length bound is on the trimmed text (`length(TRIM(BOTH FROM x))`).
    package var trimmed = false
    /// `x !~ 'pattern'`: patterns no value may match (checked row by row;
    /// a value that matches is replaced by a plain made-up word).
    package var forbidden: [String] = []
    /// `x <> y` between two columns of the row (read for foreign keys: the
    /// later column draws another parent row, `ColumnPlan.distinctFrom`).
    package var differsFrom: [String] = []
    /// Comparisons with other columns: this column `op` other.
    package var relations: [(op: String, column: String)] = []
    /// The constraints that contributed, for error messages.
    package var sources: [String] = []

    package var isEmpty: Bool {
        lower == nil && upper == nil && allowed == nil && excluded.isEmpty && minLength == nil && maxLength == nil && relations.isEmpty
            && minBytes == nil && maxBytes == nil && jsonType == nil && maxCardinality == nil && minCardinality == nil && pattern == nil && truncated == nil && forbidden.isEmpty && differsFrom.isEmpty
    }

    /// Only a length bound (in characters, untrimmed): the edge-case mix may
    /// vary such text, cut to the bounds. Edge text (whitespace, multi-byte)
    /// would break a trimmed, byte or pattern bound.
    package var boundsOnlyLength: Bool {
        lower == nil && upper == nil && allowed == nil && excluded.isEmpty && relations.isEmpty && (minLength != nil || maxLength != nil)
            && !trimmed && minBytes == nil && maxBytes == nil && pattern == nil && jsonType == nil && truncated == nil && forbidden.isEmpty
            && differsFrom.isEmpty && minCardinality == nil && maxCardinality == nil
    }

    package mutating func raise(_ b: Bound) {
        if let l = lower, l.value > b.value || (l.value == b.value && !l.inclusive) { return }
        lower = b
    }

    package mutating func cap(_ b: Bound) {
        if let u = upper, u.value < b.value || (u.value == b.value && !u.inclusive) { return }
        upper = b
    }

    package mutating func allow(_ values: [DatabaseValue]) {
        allowed = allowed.map { current in current.filter { v in values.contains { CheckDomains.same($0, v) } } } ?? values
    }

    /// Whether a (non-NULL) value meets the bounds, lengths and lists.
    package func admits(_ v: DatabaseValue) -> Bool {
        if excluded.contains(where: { CheckDomains.same($0, v) }) { return false }
        if let allowed, !allowed.contains(where: { CheckDomains.same($0, v) }) { return false }
        switch v {
        case .integer(let i): if !inRange(Double(i)) { return false }
        case .real(let x): if !inRange(x) { return false }
        default: break
        }
        if minLength != nil || maxLength != nil {
            let n: Int64
            switch v {
            case .text(let s): n = Int64(s.unicodeScalars.count)
            case .blob(let b): n = Int64(b.count)
            case .integer(let i): n = Int64(String(i).count)
            case .real(let x): n = Int64(String(x).count)
            case .null: return true
            }
            if let lo = minLength, n < lo { return false }
            if let hi = maxLength, n > hi { return false }
        }
        if minBytes != nil || maxBytes != nil {
            let n: Int64
            switch v {
            case .text(let s): n = Int64(s.utf8.count)
            case .blob(let b): n = Int64(b.count)
            default: return true
            }
            if let lo = minBytes, n < lo { return false }
            if let hi = maxBytes, n > hi { return false }
        }
        return true
    }

    package func inRange(_ x: Double) -> Bool {
        if let l = lower, x < l.value || (x == l.value && !l.inclusive) { return false }
        if let u = upper, x > u.value || (x == u.value && !u.inclusive) { return false }
        return true
    }

    /// The integer range the bounds leave, if any bound is set.
    package var integerRange: (lo: Int64?, hi: Int64?) {
        func clamp(_ x: Double) -> Int64 { x >= 9.2e18 ? Int64.max : x <= -9.2e18 ? Int64.min : Int64(x) }
        let lo = lower.map { b in clamp(b.inclusive ? b.value.rounded(.up) : b.value.rounded(.down) + 1) }
        let hi = upper.map { b in clamp(b.inclusive ? b.value.rounded(.down) : b.value.rounded(.up) - 1) }
        return (lo, hi)
    }
}
