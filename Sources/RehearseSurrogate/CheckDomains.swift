import Foundation
import RehearseCore
import RehearseEvidence

package enum CheckDomains {
    /// Equality of constants as a CHECK compares them: 1 = 1.0.
    package static func same(_ a: DatabaseValue, _ b: DatabaseValue) -> Bool {
        switch (a, b) {
        case (.integer(let x), .real(let y)), (.real(let y), .integer(let x)): return Double(x) == y
        default: return a == b
        }
    }

    /// Per column (lower-cased name), what the table's CHECK constraints allow.
    package static func domains(_ checks: [String]) -> [String: ColumnDomain] { analyse(checks).domains }

    /// Every CHECK of a table read: value domains per column, rules on how
    /// many of some columns are NULL, and the CHECKs (their text) the
    /// generator does not fully read, whose columns `TablePlan` leaves to
    /// NULL or the column's DEFAULT (a CHECK passes on NULL).
    package static func analyse(_ checks: [String]) -> CheckAnalysis {
        var result = CheckAnalysis()
        for text in checks {
            var parser = CheckParser(text)
            guard let expr = parser.parseAll() else { result.unread.append(text); continue }
            var touched = Set<String>()
            var rules: [PresenceRule] = []
            let understood = apply(expr, to: &result.domains, touched: &touched, presence: &rules)
            for c in touched { result.domains[c, default: ColumnDomain()].sources.append(text) }
            result.presence += rules.map { PresenceRule(columns: $0.columns, lo: $0.lo, hi: $0.hi, source: text) }
            if !understood { result.unread.append(text) }
        }
        // `b >= a` with `a > 0`: b > 0 too, so the earlier column of a
        // relation never leaves the later one (which follows it) no room.
        for (x, d) in result.domains {
            for (op, y) in d.relations {
                guard let other = result.domains[y] else { continue }
                if op == ">=" || op == ">", let l = other.lower { result.domains[x]?.raise(l) }
                if op == "<=" || op == "<", let u = other.upper { result.domains[x]?.cap(u) }
            }
        }
        return result
    }

    /// Applies what a CHECK says; false when some part of it was not read
    /// (it may still have narrowed a domain).
    @discardableResult
    private static func apply(_ e: CheckExpr, to out: inout [String: ColumnDomain], touched: inout Set<String>,
                              presence: inout [PresenceRule]) -> Bool {
        switch e {
        case .and(let parts):
            var understood = true
            for p in parts { understood = apply(p, to: &out, touched: &touched, presence: &presence) && understood }
            return understood
        case .or(let parts):
            // `x = 'a' OR x = 'b' OR x IN (…)`: one list.
            let lists = parts.map { p -> (String, [DatabaseValue])? in
                switch p {
                case .compare(.column(let c), "=", let v): return v.constant.map { (c, [$0]) }
                case .compare(let v, "=", .column(let c)): return v.constant.map { (c, [$0]) }
                case .inList(.column(let c), let items, false):
                    let constants = items.compactMap(\.constant)
                    return constants.count == items.count ? (c, constants) : nil
                default: return nil
                }
            }
            if lists.allSatisfy({ $0 != nil }), let column = lists.first??.0, lists.allSatisfy({ $0?.0 == column }) {
                out[column, default: ColumnDomain()].allow(lists.flatMap { $0!.1 })
                touched.insert(column)
                return true
            }
            // `x IS NULL OR rest`: the rest holds for the non-NULL values of x.
            let nullTests = parts.compactMap { p -> String? in
                if case .isNull(.column(let c), false) = p { return c }
                return nil
            }
            if nullTests.count == 1, parts.count == 2,
               let rest = parts.first(where: { if case .isNull = $0 { return false } else { return true } }) {
                let column = nullTests[0]
                var scratch: [String: ColumnDomain] = [:]
                var scratchTouched = Set<String>()
                var scratchPresence: [PresenceRule] = []
                let understood = apply(rest, to: &scratch, touched: &scratchTouched, presence: &scratchPresence)
                // Only what constrains that same column carries over; a bound on
                // another column inside the OR holds only when x is not NULL.
                if let d = scratch[column] {
                    merge(d, into: &out[column, default: ColumnDomain()])
                    touched.insert(column)
                }
                if understood, scratchPresence.isEmpty, scratchTouched == [column] { return true }
            }
            // Otherwise one alternative that is read, kept alone, satisfies
            // the OR: a rule on NULLs first (`x IS NULL`), else the first read one.
            for p in parts {
                var rules: [PresenceRule] = []
                var scratch: [String: ColumnDomain] = [:]
                var scratchTouched = Set<String>()
                if apply(p, to: &scratch, touched: &scratchTouched, presence: &rules), scratch.isEmpty, !rules.isEmpty {
                    presence += rules
                    return true
                }
            }
            for p in parts {
                var rules: [PresenceRule] = []
                var scratch: [String: ColumnDomain] = [:]
                var scratchTouched = Set<String>()
                if apply(p, to: &scratch, touched: &scratchTouched, presence: &rules) {
                    for (c, d) in scratch { merge(d, into: &out[c, default: ColumnDomain()]) }
                    touched.formUnion(scratchTouched)
                    presence += rules
                    return true
                }
            }
            return false
        case .compare(let a, let op, let b):
            return compare(a, op, b, &out, &touched, &presence)
        case .between(let x, let lo, let hi, let negated):
            guard !negated else { return false }
            let low = compare(x, ">=", lo, &out, &touched, &presence)
            return compare(x, "<=", hi, &out, &touched, &presence) && low
        case .inList(let x, let values, let negated):
            let constants = values.compactMap(\.constant)
            guard constants.count == values.count else { return false }
            switch x {
            case .column(let c):
                if negated { out[c, default: ColumnDomain()].excluded += constants } else { out[c, default: ColumnDomain()].allow(constants) }
                touched.insert(c)
                return true
            case .length(let c) where !negated:
                let ns = constants.compactMap { v -> Int64? in if case .integer(let i) = v { return i }; return nil }
                guard let lo = ns.min(), let hi = ns.max() else { return false }
                var d = out[c, default: ColumnDomain()]
                d.minLength = max(d.minLength ?? lo, lo)
                d.maxLength = min(d.maxLength ?? hi, hi)
                out[c] = d
                touched.insert(c)
                return ns.count == constants.count && hi - lo + 1 == Int64(Set(ns).count)
            default: return false
            }
        case .isNull(.column(let c), let negated):
            presence.append(PresenceRule(columns: [c], lo: negated ? 1 : 0, hi: negated ? 1 : 0))
            return true
        case .presence(let columns, let lo, let hi):
            presence.append(PresenceRule(columns: columns, lo: lo, hi: hi))
            return true
        case .isNull, .other:
            return false
        }
    }

    private static func merge(_ d: ColumnDomain, into target: inout ColumnDomain) {
        if let l = d.lower { target.raise(l) }
        if let u = d.upper { target.cap(u) }
        if let a = d.allowed { target.allow(a) }
        target.excluded += d.excluded
        if let lo = d.minLength { target.minLength = max(target.minLength ?? lo, lo) }
        if let hi = d.maxLength { target.maxLength = min(target.maxLength ?? hi, hi) }
        target.relations += d.relations
        if let lo = d.minBytes { target.minBytes = max(target.minBytes ?? lo, lo) }
        if let hi = d.maxBytes { target.maxBytes = min(target.maxBytes ?? hi, hi) }
        if let kind = d.jsonType { target.jsonType = kind }
        if let p = d.pattern { target.pattern = p }
        if let unit = d.truncated { target.truncated = unit }
        if d.trimmed { target.trimmed = true }
        target.forbidden += d.forbidden
        target.differsFrom += d.differsFrom
        if let hi = d.maxCardinality { target.maxCardinality = min(target.maxCardinality ?? hi, hi) }
        if let lo = d.minCardinality { target.minCardinality = max(target.minCardinality ?? lo, lo) }
    }

    package static let flipped = ["<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "<>": "<>"]

    private static func compare(_ a: CheckOperand, _ op: String, _ b: CheckOperand, _ out: inout [String: ColumnDomain],
                                _ touched: inout Set<String>, _ presence: inout [PresenceRule]) -> Bool {
        if a.constant != nil, b.constant == nil, let f = flipped[op] {
            return compare(b, f, a, &out, &touched, &presence)
        }
        /// lo...hi (nil: unbounded) that `n op k` leaves for a whole number n.
        func span(_ k: Int64) -> (lo: Int64, hi: Int64?)? {
            switch op {
            case "=": return (k, k)
            case ">": return (k + 1, nil)
            case ">=": return (k, nil)
            case "<": return (Int64.min, k - 1)
            case "<=": return (Int64.min, k)
            default: return nil
            }
        }
        switch (a, b) {
        case (.column(let x), .column(let y)) where x != y && op == "<>":
            out[x, default: ColumnDomain()].differsFrom.append(y)
            out[y, default: ColumnDomain()].differsFrom.append(x)
            touched.formUnion([x, y])
            return true
        case (.column(let x), .column(let y)) where x != y:
            guard ["<", "<=", ">", ">="].contains(op) else { return false }
            out[x, default: ColumnDomain()].relations.append((op, y))
            out[y, default: ColumnDomain()].relations.append((flipped[op]!, x))
            touched.formUnion([x, y])
            return true
        case (.column(let x), .value(.text(let p))) where op == "~":
            // One pattern per column: a second is not read.
            guard let regex = RegexText(p), out[x]?.pattern == nil else { return false }
            out[x, default: ColumnDomain()].pattern = regex
            touched.insert(x)
            return true
        case (.column(let x), .value(.text(let p))) where op == "!~":
            guard (try? NSRegularExpression(pattern: p)) != nil else { return false }
            out[x, default: ColumnDomain()].forbidden.append(p)
            touched.insert(x)
            return true
        case (.coalesce(let x, let fallback), .value(let v)) where op == "<>" && same(fallback, v):
            // COALESCE(x, '') <> '': x is set, and not ''.
            presence.append(PresenceRule(columns: [x], lo: 1, hi: 1))
            out[x, default: ColumnDomain()].excluded.append(v)
            touched.insert(x)
            return true
        case (.column(let x), .dateTrunc(let unit, let y)) where x == y && op == "=":
            guard ["month", "year", "day"].contains(unit) else { return false }
            out[x, default: ColumnDomain()].truncated = unit
            touched.insert(x)
            return true
        case (.column(let x), _):
            guard let v = b.constant else { return false }
            var d = out[x, default: ColumnDomain()]
            let number: Double? = { if case .integer(let i) = v { return Double(i) }; if case .real(let r) = v { return r }; return nil }()
            switch op {
            case "=": d.allow([v])
            case "<>": d.excluded.append(v)
            case ">", ">=": if let number { d.raise(.init(value: number, inclusive: op == ">=")) } else { return false }
            case "<", "<=": if let number { d.cap(.init(value: number, inclusive: op == "<=")) } else { return false }
            default: return false
            }
            out[x] = d
            touched.insert(x)
            return true
        case (.length(let x), _), (.octetLength(let x), _), (.trimmedLength(let x), _):
            guard case .integer(let n)? = b.constant, let (lo, hi) = span(n) else { return false }
            // Trimming only shortens, and generated text starts with a
            // letter: a trimmed length is read for upper bounds and at least 1.
            if case .trimmedLength = a, lo > 1 { return false }
            var d = out[x, default: ColumnDomain()]
            if case .trimmedLength = a { d.trimmed = true }
            if case .octetLength = a {
                d.minBytes = max(d.minBytes ?? 0, lo)
                if let hi { d.maxBytes = min(d.maxBytes ?? hi, hi) }
            } else {
                d.minLength = max(d.minLength ?? 0, lo)
                if let hi { d.maxLength = min(d.maxLength ?? hi, hi) }
            }
            out[x] = d
            touched.insert(x)
            return true
        case (.jsonType(let x), .value(.text(let kind))):
            guard op == "=", ["object", "array", "string", "number", "boolean"].contains(kind) else { return false }
            var d = out[x, default: ColumnDomain()]
            if let other = d.jsonType, other != kind { return false }
            d.jsonType = kind
            out[x] = d
            touched.insert(x)
            return true
        case (.cardinality(let x), _):
            // Generated arrays hold at most three elements: an upper bound of
            // three or more is met as it is.
            // A lower bound up to three is met by giving at least that many.
            guard case .integer(let n)? = b.constant, let (lo, hi) = span(n), lo <= 3, (hi ?? 3) >= 3 else { return false }
            if let hi { out[x, default: ColumnDomain()].maxCardinality = hi }
            if lo > 0 { out[x, default: ColumnDomain()].minCardinality = lo }
            touched.insert(x)
            return true
        case (.nullCount(let columns, let nulls), _):
            guard case .integer(let k)? = b.constant, let (lo, hi) = span(k) else { return false }
            let n = Int64(columns.count)
            let low = max(lo, 0), high = min(hi ?? n, n)
            guard low <= high else { return false }
            // num_nulls counts the others: n - num_nulls is the number set.
            let set = nulls ? (n - high, n - low) : (low, high)
            presence.append(PresenceRule(columns: columns, lo: Int(set.0), hi: Int(set.1)))
            return true
        default:
            return false
        }
    }
}

/// `num_nonnulls(columns) BETWEEN lo AND hi`, as CHECKs say it.
package struct PresenceRule: Equatable {
    package var columns: [String]
    package var lo: Int
    package var hi: Int
    package var source: String = ""
}

/// What a table's CHECKs say, read (`CheckDomains.analyse`).
package struct CheckAnalysis {
    package var domains: [String: ColumnDomain] = [:]
    package var presence: [PresenceRule] = []
    /// CHECKs not (fully) read, by text.
    package var unread: [String] = []
}
