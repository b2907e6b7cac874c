import Foundation
import RehearseCore
import RehearseEvidence

extension ColumnPlan {
    @inline(__always)
    package func isNull(row: Int64) -> Bool {
        nullCount > 0 && rowOrder!(row) < nullCount
    }

    /// The row's number among the non-NULL rows, in the keyed order.
    @inline(__always)
    package func nonNullIndex(row: Int64) -> Int64 {
        rowOrder!(row) - nullCount
    }

    /// The row's place in the edge-case sweep (ColumnEdges.sweep): its
    /// number among the non-NULL rows; -1 where NULLs follow another
    /// column (a group), whose order this column's does not know.
    package func edgeOrdinal(row: Int64, in table: TablePlan) -> Int64 {
        if let leader = groupLeader, leader != position { return -1 }
        let i = nonNullIndex(row: row)
        return i >= 0 ? i : -1
    }

    package func value(row: Int64, in table: TablePlan) -> DatabaseValue {
        if !nullInLeaves.isEmpty, let leaf = table.leaf(row: row), nullInLeaves.contains(leaf) { return .null }
        let v = unchecked(row: row, in: table)
        guard !forbidden.isEmpty, case .text(let s) = v, matchesForbidden(s) else { return v }
        // Other plain words until one does not match (the server still judges the last).
        var last = s
        for k in UInt64(0)..<32 {
            let plain = MadeUpText.word(rng.bits(row, 300 &+ k))
            last = lengthBounds.map { fitBytes(fit(plain, $0, row: row), row: row) } ?? fitBytes(plain, row: row)
            if !matchesForbidden(last) { break }
        }
        return .text(last)
    }

    package func matchesForbidden(_ s: String) -> Bool {
        let range = NSRange(s.startIndex..., in: s)
        return forbidden.contains { $0.firstMatch(in: s, range: range) != nil }
    }

    private func unchecked(row: Int64, in table: TablePlan) -> DatabaseValue {
        if let leader = groupLeader, leader != position {
            if table.columns[leader].isNull(row: row) { return .null }
        } else if isNull(row: row) {
            return .null
        }
        let index = permutation.map { $0(row) }
        if let pattern { return .text(pattern.value(rng, row: row, unique: index)) }
        switch kind {
        case .spec(let spec):
            var v: DatabaseValue
            if let poolSize, afterColumn == nil {
                // Evaluate at the pool slot, so equal slots give equal values.
                let slot = nonNullIndex(row: row) % poolSize
                v = evaluate(spec, row: slot, unique: poolUnique ? slot : nil, table: table)
            } else {
                v = evaluate(spec, row: row, unique: index, table: table)
            }
            // Fitted to a CHECK's bounds, then mixed: the mix cuts its variants
            // to the same length bounds, and byte bounds are applied again. (It
            // returned before the mix, so a `CHECK (length(code) <= 32)` column
            // never had an edge case: red team X-F4.)
            if let lengthBounds, case .text(let text) = v {
                v = .text(fitBytes(fit(text, lengthBounds, row: row), row: row))
            } else if byteBounds != nil, case .text(let text) = v {
                v = .text(fitBytes(text, row: row))
            }
            if let edges, edges.poolCase, poolSize != nil, case .text(let s) = v {
                guard case .text(let first) = evaluate(spec, row: 0, unique: poolUnique ? 0 : nil, table: table) else { return v }
                return .text(ColumnEdges.poolCased(s, first: first))
            }
            if let edges {
                let base = v
                let mixed = edges.apply(v, row: row, ordinal: edgeOrdinal(row: row, in: table), rng: rng) { other in
                    if poolSize != nil { return base }
                    // A repeat of another row's value, fitted as that row's was.
                    let d = evaluate(spec, row: other, unique: nil, table: table)
                    if let lengthBounds, case .text(let t) = d { return .text(fitBytes(fit(t, lengthBounds, row: other), row: other)) }
                    if byteBounds != nil, case .text(let t) = d { return .text(fitBytes(t, row: other)) }
                    return d
                }
                if byteBounds != nil, case .text(let text) = mixed { return .text(fitBytes(text, row: row)) }
                return mixed
            }
            return v
        case .typed(let generator):
            let v: DatabaseValue
            if let poolSize {
                let slot = nonNullIndex(row: row) % poolSize
                v = generator.value(rng, row: slot, unique: poolUnique ? slot : nil).databaseValue
            } else {
                v = generator.value(rng, row: row, unique: index).databaseValue
            }
            if let truncated { return Self.truncate(v, to: truncated) }
            if let lengthBounds, case .text(let text) = v, generator.fact.resolved.isTextual {
                return .text(fitBytes(fit(text, lengthBounds, row: row), row: row))
            }
            if byteBounds != nil, case .text(let text) = v { return .text(fitBytes(text, row: row)) }
            if let edges, !edges.temporal.isEmpty { return edges.apply(v, row: row, ordinal: edgeOrdinal(row: row, in: table), rng: rng) { _ in v } }
            return v
        case .partition(let steered):
            if let poolSize { return steered.value(row: nonNullIndex(row: row) % poolSize, unique: nil) }
            return steered.value(row: row, unique: index)
        case .bytes(let n):
            var bytes: [UInt8] = []
            var k: UInt64 = 0
            while bytes.count < n { bytes += withUnsafeBytes(of: rng.bits(row, 20 &+ k).bigEndian, Array.init); k += 1 }
            if let index { bytes.replaceSubrange(0..<8, with: withUnsafeBytes(of: UInt64(index).bigEndian, Array.init)) }
            return .blob(Array(bytes.prefix(max(n, 8))))
        case .selfReference(let keyColumn):
            guard row > 0 else { return .null }
            let drawer = groupLeader.map { table.columns[$0] } ?? self
            // With an observed share of parents, only the first rows are ever pointed at.
            let candidates = min(row, activeParents?.count ?? row)
            return table.value(keyColumn, row: Int64(drawer.rng.below(UInt64(candidates), row, 2)))
        case .reference(let parent, let parentColumn):
            if let composite {
                return parent.value(parentColumn, row: composite.key.parentRow(composite.position, forRow: row))
            }
            let drawer = groupLeader.map { table.columns[$0] } ?? self
            guard parent.rows > 0 else { return .null }
            if index == nil, let fanOut = drawer.fanOut {
                return parent.value(parentColumn, row: fanOut.parentRow(child: drawer.nonNullIndex(row: row), rng: drawer.rng, row: row))
            }
            if index == nil, let active = drawer.activeParents {
                // The first `count` non-NULL children cover every active parent
                // once; the rest draw among them. Other parents stay childless.
                let k = drawer.nonNullIndex(row: row)
                let slot = k < active.count ? k : Int64(drawer.rng.below(UInt64(active.count), row, 2))
                return parent.value(parentColumn, row: active.subset(slot))
            }
            let target = index ?? Int64(drawer.rng.below(UInt64(parent.rows), row, 2))
            if !leafRowsByLeaf.isEmpty, let leaf = table.leaf(row: row), let rows = leafRowsByLeaf[leaf], !rows.isEmpty {
                let k = index.map { Int($0 % Int64(rows.count)) } ?? Int(drawer.rng.below(UInt64(rows.count), row, 2))
                return parent.value(parentColumn, row: rows[k])
            }
            if let leafRows {
                guard !leafRows.isEmpty else { return .null }
                let k = index.map { Int($0 % Int64(leafRows.count)) } ?? Int(drawer.rng.below(UInt64(leafRows.count), row, 2))
                return parent.value(parentColumn, row: leafRows[k])
            }
            if index == nil, let other = distinctFrom, parent.rows > 1 {
                // The parent's key is unique: the next parent row differs.
                let v = parent.value(parentColumn, row: target)
                return v == table.value(other, row: row) ? parent.value(parentColumn, row: (target + 1) % parent.rows) : v
            }
            return parent.value(parentColumn, row: target)
        }
    }

    package func evaluate(_ spec: GeneratorSpec, row: Int64, unique: Int64?, table: TablePlan) -> DatabaseValue {
        switch spec {
        case .sequence(let start, let step):
            return .integer(start &+ row &* step)
        case .uniform(let lo, let hi):
            if let unique { return .integer(lo &+ unique) }
            let span = UInt64(bitPattern: hi &- lo) &+ 1
            return .integer(span == 0 ? Int64(bitPattern: rng.bits(row)) : lo &+ Int64(bitPattern: rng.below(span, row)))
        case .uniformReal(let lo, let hi, let decimals):
            let x = lo + (hi - lo) * rng.unit(row)
            let p = Self.powersOfTen[min(max(decimals, 0), Self.powersOfTen.count - 1)]
            return .real((x * p).rounded() / p)
        case .categorical(let values):
            var u = rng.unit(row) * categoricalTotal
            for v in values {
                if u < v.weight { return v.value }
                u -= v.weight
            }
            return values.last { $0.weight > 0 }!.value
        case .boolean(let rate):
            return .integer(rng.unit(row) < rate ? 1 : 0)
        case .timestamp:
            let s = seconds(row: row, unique: unique)
            return asInteger ? .integer(s) : .text(CivilTime.format(s))
        case .timestampAfter(_, let lo, let hi):
            guard let base = afterColumn else { return .null }
            let other = table.columns[base]
            if other.isNull(row: row) { return .null }
            let s = other.seconds(row: row, unique: other.permutation.map { $0(row) }) + lo + Int64(rng.below(UInt64(hi - lo) + 1, row, 3))
            return asInteger ? .integer(s) : .text(CivilTime.format(s))
        case .text(let pattern):
            return .text(MadeUpText.make(pattern, rng, row: row, uniqueSuffix: unique))
        case .constant(let v):
            return v
        case .normal(let mean, let sd, let lo, let hi, let decimals):
            return shaped(row: row, min: lo, max: hi, decimals: decimals) { mean + sd * self.rng.gaussian(row, $0) }
        case .logNormal(let mu, let sigma, let lo, let hi, let decimals):
            return shaped(row: row, min: lo, max: hi, decimals: decimals) { Foundation.exp(mu + sigma * self.rng.gaussian(row, $0)) }
        case .zipf:
            let k = zipf!.sample(rng, row, stream: 8)
            return asInteger ? .integer(k) : .real(Double(k))
        case .seasonalTimestamp:
            let s = seconds(row: row, unique: unique)
            return asInteger ? .integer(s) : .text(CivilTime.format(s))
        case .offset(_, let lo, let hi):
            guard let base = afterColumn else { return .null }
            switch table.value(base, row: row) {
            case .integer(let i):
                // Bounds come from a schema's CHECK and may be any size:
                // clamped conversions and wrapping sums, never a trap.
                let a = Int64(clamping: lo.rounded(.up)), b = Int64(clamping: hi.rounded(.down))
                var v = i &+ a &+ Int64(bitPattern: Self.belowOrAny(rng, b, a, row))
                if let d = offsetDomain {
                    let (least, most) = d.integerRange
                    if let least, v < least { v = least }
                    if let most, v > most { v = most }
                }
                return asInteger ? .integer(v) : .real(Double(v))
            case .real(let x):
                let d = max(lo, min(hi, ((lo + (hi - lo) * rng.unit(row, 3)) * 100).rounded() / 100))
                return asInteger ? .integer(Int64(clamping: (x + d).rounded(lo > 0 ? .up : hi < 0 ? .down : .toNearestOrAwayFromZero))) : .real(x + d)
            case .text(let text):
                guard let t = CivilTime.parse(text) else { return .text(text) }
                let a = Int64(clamping: lo.rounded(.up)), b = Int64(clamping: hi.rounded(.down))
                let s = t &+ a &+ Int64(bitPattern: Self.belowOrAny(rng, b, a, row))
                guard (CivilTime.earliest...CivilTime.latest).contains(s) else { return .text(text) }
                return asInteger ? .integer(s) : .text(CivilTime.format(s))
            case let other:
                return other
            }
        }
    }

    /// A draw in 0...(b - a) (any 64 bits when that span is the whole range,
    /// 0 when b < a), without overflow.
    package static func belowOrAny(_ rng: CounterRandom, _ b: Int64, _ a: Int64, _ row: Int64) -> UInt64 {
        guard b >= a else { return 0 }
        let span = UInt64(bitPattern: b &- a) &+ 1
        return span == 0 ? rng.bits(row, 3) : rng.below(span, row, 3)
    }

    /// A normal or log-normal draw, redrawn while outside the bounds (at most
    /// 16 times, then clamped), rounded for the column: whole numbers for an
    /// INTEGER column, `decimals` digits otherwise.
    package func shaped(row: Int64, min lo: Double?, max hi: Double?, decimals: Int, draw: (UInt64) -> Double) -> DatabaseValue {
        let low = asInteger ? lo.map { $0.rounded(.up) } : lo
        let high = asInteger ? hi.map { $0.rounded(.down) } : hi
        let p = Self.powersOfTen[min(max(decimals, 0), Self.powersOfTen.count - 1)]
        var x = 0.0
        for attempt in 0..<16 as Range<UInt64> {
            x = draw(5 &+ 2 &* attempt)
            x = asInteger ? x.rounded() : (x * p).rounded() / p
            if (low.map { x >= $0 } ?? true) && (high.map { x <= $0 } ?? true) { break }
        }
        if let low, x < low { x = low }
        if let high, x > high { x = high }
        if asInteger { return .integer(Int64(clamping: x)) }
        return .real(x)
    }

    /// Text cut or padded with made-up letters to a length a CHECK allows.
    package func fit(_ text: String, _ bounds: (min: Int64, max: Int64?), row: Int64) -> String {
        let n = Int64(text.count)
        if let hi = bounds.max, n > hi { return String(text.prefix(Int(max(hi, 0)))) }
        guard n < bounds.min else { return text }
        var out = text
        var k: UInt64 = 0
        while Int64(out.count) < bounds.min {
            out.unicodeScalars.append(Unicode.Scalar(UInt8(97 + rng.below(26, row, 60 &+ k))))
            k += 1
        }
        return out
    }

    /// A date (as the type generator gives it) moved to the first day of its month or year.
    package static func truncate(_ v: DatabaseValue, to unit: String) -> DatabaseValue {
        guard case .text(let s) = v, let seconds = CivilTime.parse(s) else { return v }
        let (y, m, _) = CivilTime.civil(days: seconds / 86400)
        let day = CivilTime.days(year: y, month: unit == "year" ? 1 : m, day: 1)
        let (yy, mm, dd) = CivilTime.civil(days: unit == "day" ? seconds / 86400 : day)
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return .text("\(yy)-\(two(mm))-\(two(dd))")
    }

    /// Cuts text to the bytes (UTF-8) an `octet_length` CHECK allows, at a
    /// character boundary, or pads it with ASCII letters to the least.
    package func fitBytes(_ text: String, row: Int64) -> String {
        guard let bounds = byteBounds else { return text }
        var out = text
        if let hi = bounds.max, out.utf8.count > hi {
            var cut = String.UnicodeScalarView()
            var size = 0
            for scalar in out.unicodeScalars {
                let n = String(scalar).utf8.count
                if Int64(size + n) > hi { break }
                cut.append(scalar)
                size += n
            }
            out = String(cut)
        }
        var k: UInt64 = 0
        while Int64(out.utf8.count) < bounds.min {
            out.unicodeScalars.append(Unicode.Scalar(UInt8(97 + rng.below(26, row, 80 &+ k))))
            k += 1
        }
        return out
    }

    package func seconds(row: Int64, unique: Int64?) -> Int64 {
        if let seasonal { return seasonal.seconds(rng, row, stream: 12) }
        guard case .spec(.timestamp(let from, let to)) = kind else { return 0 }
        if let unique { return from + unique }
        return from + Int64(rng.below(UInt64(to - from), row, 4))
    }
}
