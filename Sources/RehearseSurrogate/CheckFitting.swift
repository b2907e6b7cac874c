import Foundation
import RehearseCore
import RehearseEvidence

extension ColumnPlan {
    /// Narrows an inferred generator to what the column's CHECK constraints
    /// allow. An inferred generator that already stays inside is kept as it
    /// is; a domain with no value is an error that says how to fix it.
    package static func constrain(_ inferred: Kind, by domain: ColumnDomain?, column: ColumnShape, table: TableShape,
                          unique: Bool, rows: Int64, here: String) throws -> Kind {
        guard let d = domain, !d.isEmpty else { return inferred }
        let numeric = column.affinity != .text
        func refuse(_ why: String) -> RehearseError {
            let example: String
            if let allowed = d.allowed, let first = allowed.first {
                example = "{ generator: categorical, values: [\(first.description)] }"
            } else if numeric && (d.lower != nil || d.upper != nil) {
                example = column.affinity == .integer ? "{ generator: uniform, min: 1, max: 100 }" : "{ generator: uniform_real, min: 1, max: 100 }"
            } else {
                example = "{ generator: constant, value: ... }"
            }
            let constraint = d.sources.map { "CHECK (\($0))" }.joined(separator: " and ")
            return RehearseError.badInput("\(here): \(constraint) cannot be satisfied: \(why). Fix the constraint, or give the column a generator in the profile whose values meet it, for example:\n  tables:\n    \(table.name):\n      columns:\n        \(column.name): \(example)")
        }
        if let lo = d.minLength, let hi = d.maxLength, lo > hi {
            throw refuse("the length must be at least \(lo) and at most \(hi)")
        }
        if let hi = d.maxLength, hi < 0 { throw refuse("the length must be below 0") }
        if let l = d.lower, let u = d.upper, l.value > u.value || (l.value == u.value && !(l.inclusive && u.inclusive)) {
            func number(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : String(x) }
            throw refuse("no value is \(l.inclusive ? ">=" : ">") \(number(l.value)) and \(u.inclusive ? "<=" : "<") \(number(u.value))")
        }
        if column.affinity == .integer, case let (lo?, hi?) = d.integerRange, lo > hi {
            throw refuse("no whole number lies between the bounds")
        }
        if let allowed = d.allowed {
            var ok: [DatabaseValue] = []
            for v in allowed where d.admits(v) && !ok.contains(where: { CheckDomains.same($0, v) }) { ok.append(v) }
            guard !ok.isEmpty else { throw refuse("no value of the list meets the other conditions") }
            if case .spec(.boolean) = inferred, ok.contains(.integer(0)), ok.contains(.integer(1)), ok.count == 2 { return inferred }
            return .spec(.categorical(ok.map { ($0, 1) }))
        }
        guard numeric, d.lower != nil || d.upper != nil else { return inferred }
        if satisfies(inferred, d, rows: rows) { return inferred }
        let integral = column.affinity == .integer
            || (column.affinity != .real && [d.lower?.value, d.upper?.value].allSatisfy { $0.map { $0 == $0.rounded() } ?? true })
        if integral {
            let (lo, hi) = d.integerRange
            let width: Int64 = unique ? Int64.max / 4 : 1000
            switch (lo, hi) {
            case let (lo?, hi?): return .spec(.uniform(min: lo, max: hi))
            case let (lo?, nil): return .spec(.uniform(min: lo, max: lo > Int64.max - width ? Int64.max : lo + width))
            case let (nil, hi?):
                if !unique && hi >= 0 { return .spec(.uniform(min: max(0, hi - width), max: hi)) }
                return .spec(.uniform(min: hi < Int64.min + width ? Int64.min : hi - width, max: hi))
            default: return inferred
            }
        }
        let step = 0.01
        let lo = d.lower.map { $0.inclusive ? $0.value : $0.value + step }
        let hi = d.upper.map { $0.inclusive ? $0.value : $0.value - step }
        switch (lo, hi) {
        case let (lo?, hi?):
            guard lo <= hi else { throw refuse("no value with 2 decimals lies between the bounds") }
            return .spec(.uniformReal(min: lo, max: hi, decimals: 2))
        case let (lo?, nil): return .spec(.uniformReal(min: lo, max: lo + 1000, decimals: 2))
        case let (nil, hi?): return .spec(.uniformReal(min: hi >= 0 ? max(0, hi - 1000) : hi - 1000, max: hi, decimals: 2))
        default: return inferred
        }
    }

    /// Refuses, before any row is written, a profile generator whose values
    /// can fall outside the column's CHECK: the bounds of numeric generators
    /// and every categorical, constant or boolean value are compared with the
    /// domain. Text patterns and comparisons between columns are left to the
    /// database.
    package static func verify(_ spec: GeneratorSpec, against d: ColumnDomain, column: ColumnShape, table: TableShape, rows: Int64, here: String) throws {
        var outside: DatabaseValue?
        var unbounded: String?
        func number(_ x: Double) -> DatabaseValue { x == x.rounded() && abs(x) < 9e15 ? .integer(Int64(x)) : .real(x) }
        func isText(_ v: DatabaseValue) -> Bool { if case .text = v { return true }; return false }
        func check(_ values: [DatabaseValue]) {
            // A list of another type (1 against '1') is left to the column's
            // affinity and the database: only like is compared with like.
            let judged = values.filter { v in v != .null && (d.allowed.map { list in list.contains { isText($0) == isText(v) } } ?? true) }
            if outside == nil { outside = judged.first { !d.admits($0) } }
        }
        func bounded(_ lo: Double?, _ hi: Double?, _ name: String) {
            if let lo { check([number(lo)]) } else if d.lower != nil { unbounded = "\(name) without 'min'" }
            if let hi { check([number(hi)]) } else if d.upper != nil { unbounded = "\(name) without 'max'" }
        }
        switch spec {
        case .uniform(let lo, let hi): check([.integer(lo), .integer(hi)])
        case .uniformReal(let lo, let hi, _): check([.real(lo), .real(hi)])
        case .normal(_, _, let lo, let hi, _): bounded(lo, hi, "normal")
        case .logNormal(_, _, let lo, let hi, _):
            // Log-normal values are above 0, so only a positive lower bound needs a 'min'.
            if let lo { check([number(lo)]) } else if let l = d.lower, l.value > 0 { unbounded = "log-normal without 'min'" }
            if let hi { check([number(hi)]) } else if d.upper != nil { unbounded = "log-normal without 'max'" }
        case .zipf(let n, _): check([.integer(1), .integer(n)])
        case .sequence(let start, let step): check([.integer(start), .integer(start &+ max(rows - 1, 0) &* step)])
        case .categorical(let values): check(values.filter { $0.weight > 0 }.map(\.value))
        case .constant(let v): check([v])
        case .boolean(let rate): check((rate > 0 ? [DatabaseValue.integer(1)] : []) + (rate < 1 ? [.integer(0)] : []))
        default: return
        }
        guard outside != nil || unbounded != nil else { return }
        let constraint = d.sources.map { "CHECK (\($0))" }.joined(separator: " and ")
        let what = outside.map { "can give \($0.description)" } ?? "is \(unbounded!), so it can give values"
        throw RehearseError.badInput("\(here): the profile's generator \(what) outside \(constraint), so the insert would fail. Change its parameters so that every value meets the constraint (schemas/profile.schema.json lists them).")
    }

    /// Whether every value an inferred generator can give lies inside the bounds.
    package static func satisfies(_ kind: Kind, _ d: ColumnDomain, rows: Int64) -> Bool {
        switch kind {
        case .spec(.uniform(let lo, let hi)): return d.inRange(Double(lo)) && d.inRange(Double(hi))
        case .spec(.uniformReal(let lo, let hi, _)): return d.inRange(lo) && d.inRange(hi)
        case .spec(.boolean): return d.inRange(0) && d.inRange(1)
        case .spec(.timestamp(let from, let to)): return d.inRange(Double(from)) && d.inRange(Double(to))
        case .spec(.sequence(let start, let step)):
            return d.inRange(Double(start)) && d.inRange(Double(start) + Double(max(rows - 1, 0)) * Double(step))
        default: return false
        }
    }

    package static let powersOfTen: [Double] = [1, 10, 100, 1000, 10000, 100000, 1000000]
}
