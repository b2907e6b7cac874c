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
    package static func domains(_ checks: [String]) -> [String: ColumnDomain] {
        var out: [String: ColumnDomain] = [:]
        for text in checks {
            var parser = CheckParser(text)
            guard let expr = parser.parseAll() else { continue }
            var touched = Set<String>()
            apply(expr, to: &out, touched: &touched)
            for c in touched { out[c, default: ColumnDomain()].sources.append(text) }
        }
        return out
    }

    private static func apply(_ e: CheckExpr, to out: inout [String: ColumnDomain], touched: inout Set<String>) {
        switch e {
        case .and(let parts):
            for p in parts { apply(p, to: &out, touched: &touched) }
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
                return
            }
            // `x IS NULL OR rest`: the rest holds for the non-NULL values of x.
            let nullTests = parts.compactMap { p -> String? in
                if case .isNull(.column(let c), false) = p { return c }
                return nil
            }
            guard nullTests.count == 1, parts.count == 2,
                  let rest = parts.first(where: { if case .isNull = $0 { return false } else { return true } }) else { return }
            let column = nullTests[0]
            var scratch: [String: ColumnDomain] = [:]
            var scratchTouched = Set<String>()
            apply(rest, to: &scratch, touched: &scratchTouched)
            // Only what constrains that same column carries over; a bound on
            // another column inside the OR holds only when x is not NULL.
            if let d = scratch[column] {
                merge(d, into: &out[column, default: ColumnDomain()])
                touched.insert(column)
            }
        case .compare(let a, let op, let b):
            compare(a, op, b, &out, &touched)
        case .between(let x, let lo, let hi, let negated):
            guard !negated else { return }
            compare(x, ">=", lo, &out, &touched)
            compare(x, "<=", hi, &out, &touched)
        case .inList(let x, let values, let negated):
            let constants = values.compactMap(\.constant)
            guard constants.count == values.count else { return }
            switch x {
            case .column(let c):
                if negated { out[c, default: ColumnDomain()].excluded += constants } else { out[c, default: ColumnDomain()].allow(constants) }
                touched.insert(c)
            case .length(let c) where !negated:
                let ns = constants.compactMap { v -> Int64? in if case .integer(let i) = v { return i }; return nil }
                guard let lo = ns.min(), let hi = ns.max() else { return }
                var d = out[c, default: ColumnDomain()]
                d.minLength = max(d.minLength ?? lo, lo)
                d.maxLength = min(d.maxLength ?? hi, hi)
                out[c] = d
                touched.insert(c)
            default: return
            }
        case .isNull, .other:
            return
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
    }

    package static let flipped = ["<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "<>": "<>"]

    private static func compare(_ a: CheckOperand, _ op: String, _ b: CheckOperand, _ out: inout [String: ColumnDomain], _ touched: inout Set<String>) {
        if a.constant != nil, b.constant == nil, let f = flipped[op] {
            compare(b, f, a, &out, &touched)
            return
        }
        switch (a, b) {
        case (.column(let x), .column(let y)) where x != y:
            guard ["<", "<=", ">", ">="].contains(op) else { return }
            out[x, default: ColumnDomain()].relations.append((op, y))
            out[y, default: ColumnDomain()].relations.append((flipped[op]!, x))
            touched.formUnion([x, y])
        case (.column(let x), _):
            guard let v = b.constant else { return }
            var d = out[x, default: ColumnDomain()]
            let number: Double? = { if case .integer(let i) = v { return Double(i) }; if case .real(let r) = v { return r }; return nil }()
            switch op {
            case "=": d.allow([v])
            case "<>": d.excluded.append(v)
            case ">", ">=": if let number { d.raise(.init(value: number, inclusive: op == ">=")) } else { return }
            case "<", "<=": if let number { d.cap(.init(value: number, inclusive: op == "<=")) } else { return }
            default: return
            }
            out[x] = d
            touched.insert(x)
        case (.length(let x), _):
            guard case .integer(let n)? = b.constant else { return }
            var d = out[x, default: ColumnDomain()]
            var lo = d.minLength ?? 0, hi = d.maxLength ?? Int64.max
            switch op {
            case "=": lo = max(lo, n); hi = min(hi, n)
            case ">": lo = max(lo, n + 1)
            case ">=": lo = max(lo, n)
            case "<": hi = min(hi, n - 1)
            case "<=": hi = min(hi, n)
            default: return
            }
            d.minLength = lo
            d.maxLength = hi == Int64.max ? nil : hi
            out[x] = d
            touched.insert(x)
        default:
            return
        }
    }
}
