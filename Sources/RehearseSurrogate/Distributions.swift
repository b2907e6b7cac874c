import Foundation
import RehearseCore
import RehearseEvidence

// Samplers for the shaped generators. Each draw reads only counter-based
// randomness for its (column, row) and constants fixed at plan time, so a
// value never depends on other rows, on the thread or on the batch size.

extension CounterRandom {
    /// A standard normal draw (Box–Muller) from two streams starting at `stream`.
    @inline(__always)
    package func gaussian(_ row: Int64, _ stream: UInt64) -> Double {
        // (0, 1]: never 0, so the logarithm is finite.
        let u1 = Double((bits(row, stream) >> 11) + 1) * 0x1p-53
        let u2 = unit(row, stream &+ 1)
        return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
    }
}

/// Zipf over 1...n with weight k^-s, by rejection-inversion (Hörmann and
/// Derflinger, 1996): constant memory and a few draws per value, for any n.
package struct ZipfSampler: Sendable {
    package let n: Double
    package let s: Double
    /// H(1.5) - 1 and H(n + 0.5): the ends of the inverted range.
    package let hX1: Double
    package let hN: Double
    /// Values within this distance of their inverse are accepted without the test.
    package let squeeze: Double

    package init(n: Int64, exponent: Double) {
        let n = Double(max(n, 1)), s = exponent
        self.n = n
        self.s = s
        hX1 = Self.integral(1.5, s) - 1
        hN = Self.integral(n + 0.5, s)
        squeeze = 2 - Self.inverseIntegral(Self.integral(2.5, s) - Self.density(2, s), s)
    }

    /// x^-s.
    package static func density(_ x: Double, _ s: Double) -> Double { Foundation.exp(-s * Foundation.log(x)) }

    /// An antiderivative H of x^-s: (x^(1-s) - 1) / (1 - s), or log x when
    /// s = 1, written so that s near 1 stays accurate.
    package static func integral(_ x: Double, _ s: Double) -> Double {
        let lx = Foundation.log(x)
        return expm1OverX((1 - s) * lx) * lx
    }

    package static func inverseIntegral(_ y: Double, _ s: Double) -> Double {
        var t = y * (1 - s)
        if t < -1 { t = -1 }
        return Foundation.exp(log1pOverX(t) * y)
    }

    package static func expm1OverX(_ x: Double) -> Double {
        abs(x) > 1e-8 ? Foundation.expm1(x) / x : 1 + x * 0.5 * (1 + x / 3 * (1 + 0.25 * x))
    }

    package static func log1pOverX(_ x: Double) -> Double {
        abs(x) > 1e-8 ? Foundation.log1p(x) / x : 1 - x * (0.5 - x * (1.0 / 3 - 0.25 * x))
    }

    /// A value in 1...n. Each attempt uses its own stream; the expected
    /// number of attempts is close to 1, and after 64 the answer is 1.
    package func sample(_ rng: CounterRandom, _ row: Int64, stream: UInt64) -> Int64 {
        for attempt in 0..<64 as Range<UInt64> {
            let u = hN + rng.unit(row, stream &+ attempt) * (hX1 - hN)
            let x = Self.inverseIntegral(u, s)
            var k = (x + 0.5).rounded(.down)
            if k < 1 { k = 1 } else if k > n { k = n }
            if k - x <= squeeze || u >= Self.integral(k + 0.5, s) - Self.density(k, s) { return Int64(k) }
        }
        return 1
    }
}

/// Timestamps whose weekday and hour of day follow weights: a weekday is
/// drawn by its weight times how often it occurs in the range, then one of
/// its dates, an hour by weight and a second within the hour.
package struct SeasonalCalendar: Sendable {
    package let from: Int64
    package let to: Int64
    package let firstDay: Int64
    package let days: Int64
    /// Cumulative weight of day offsets 0...6 from `firstDay` (each stands for every 7th day).
    package let dayCumulative: [Double]
    package let hourCumulative: [Double]

    package init?(from: Int64, to: Int64, hourWeights: [Double], weekdayWeights: [Double]) {
        guard from < to, hourWeights.count == 24, weekdayWeights.count == 7 else { return nil }
        self.from = from
        self.to = to
        firstDay = Self.floorDiv(from, 86400)
        days = Self.floorDiv(to - 1, 86400) - firstDay + 1
        var cumulative: [Double] = []
        var total = 0.0
        for offset in 0..<7 as Range<Int64> {
            let occurrences = offset < days ? (days - offset + 6) / 7 : 0
            // 1970-01-01 was a Thursday; weekday 0 is Monday.
            let weekday = Int(((firstDay + offset + 3) % 7 + 7) % 7)
            total += Double(occurrences) * weekdayWeights[weekday]
            cumulative.append(total)
        }
        var hours: [Double] = []
        var hourTotal = 0.0
        for w in hourWeights {
            hourTotal += w
            hours.append(hourTotal)
        }
        guard total > 0, hourTotal > 0 else { return nil }
        dayCumulative = cumulative
        hourCumulative = hours
    }

    package static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : (a - b + 1) / b }

    package static func pick(_ cumulative: [Double], _ u: Double) -> Int {
        let x = u * cumulative[cumulative.count - 1]
        for (i, c) in cumulative.enumerated() where x < c { return i }
        // Rounding at the top end: the last entry with a weight.
        var i = cumulative.count - 1
        while i > 0 && cumulative[i] == cumulative[i - 1] { i -= 1 }
        return i
    }

    /// Seconds since the epoch in [from, to). A draw falling in a partial
    /// first or last day outside the range is redrawn (at most 32 times).
    package func seconds(_ rng: CounterRandom, _ row: Int64, stream: UInt64) -> Int64 {
        for attempt in 0..<32 as Range<UInt64> {
            let s = stream &+ attempt &* 4
            let offset = Int64(Self.pick(dayCumulative, rng.unit(row, s)))
            let occurrences = (days - offset + 6) / 7
            let week = Int64(rng.below(UInt64(max(occurrences, 1)), row, s &+ 1))
            let hour = Int64(Self.pick(hourCumulative, rng.unit(row, s &+ 2)))
            let second = Int64(rng.below(3600, row, s &+ 3))
            let t = (firstDay + offset + 7 * week) * 86400 + hour * 3600 + second
            if t >= from && t < to { return t }
        }
        return from
    }
}

/// Which parent row each child of a foreign key points at, when the profile
/// asks for a fan-out distribution. Child k (the k-th non-NULL child in the
/// column's keyed row order) is mapped arithmetically; the memory is at most
/// one number per allowed child of a parent, never per row.
package struct FanOutPlan: Sendable {
    package enum Mode: Sendable {
        /// Each extra child draws any parent.
        case uniform
        /// The extra children take distinct "optional slots" (parent, slot)
        /// from a keyed permutation of all of them, so no parent passes the cap.
        case uniformCapped(slots: IndexPermutation)
        /// Each extra child draws a popularity rank by Zipf.
        case zipf(ZipfSampler)
        /// Extra slot level t is used by the ranks below `levels[t]`, a
        /// non-increasing count: rank r gets about λ·r^-s extra children,
        /// capped, and they sum to the children there are. `cumulative` holds
        /// the running totals of `levels`.
        case zipfCapped(cumulative: [Int64])
    }

    package let parents: Int64
    package let minChildren: Int64
    /// Popularity rank (or round-robin position) to parent row.
    package let order: IndexPermutation
    package let mode: Mode

    package init(spec: FanOutSpec, parents: Int64, children: Int64, key: UInt64, here: String) throws {
        self.parents = parents
        minChildren = spec.minChildren
        order = IndexPermutation(count: max(parents, 1), key: key ^ 0xFA_0017)
        let mandatory = spec.minChildren.multipliedReportingOverflow(by: parents)
        guard !mandatory.overflow, mandatory.partialValue <= children else {
            throw RehearseError.badInput("\(here): min_children \(spec.minChildren) for each of \(parents) parents needs \(spec.minChildren) × \(parents) children, but only \(children) non-NULL child rows are planned. Lower min_children or null_fraction, or raise the rows.")
        }
        let extra = children - mandatory.partialValue
        if let cap = spec.maxChildren {
            let capacity = cap.multipliedReportingOverflow(by: parents)
            if !capacity.overflow && capacity.partialValue < children {
                throw RehearseError.badInput("\(here): max_children \(cap) for \(parents) parents allows at most \(capacity.partialValue) children, but \(children) non-NULL child rows are planned. Raise max_children, add parents or lower the rows.")
            }
        }
        let optional = spec.maxChildren.map { $0 - spec.minChildren }
        switch (spec.distribution, optional) {
        case (.uniform, nil):
            mode = .uniform
        case (.uniform, let c?):
            let cells = c.multipliedReportingOverflow(by: parents)
            mode = cells.overflow ? .uniform : .uniformCapped(slots: IndexPermutation(count: cells.partialValue, key: key ^ 0x5_1075))
        case (.zipf(let s), nil):
            mode = .zipf(ZipfSampler(n: parents, exponent: s))
        case (.zipf(let s), let c?):
            mode = .zipfCapped(cumulative: Self.cappedLevels(parents: parents, extra: extra, cap: min(c, extra), exponent: s))
        }
    }

    /// Slot levels for a capped Zipf: find λ so that the ranks r with
    /// λ·r^-s ≥ t+1 (at most `parents`) summed over t < cap come closest to
    /// `extra` from below, then hand out what is left level by level.
    package static func cappedLevels(parents: Int64, extra: Int64, cap: Int64, exponent s: Double) -> [Int64] {
        guard cap > 0, extra > 0 else { return [0] }
        // Levels are non-increasing, so the first empty one ends the work.
        func levels(_ lambda: Double) -> [Int64] {
            var out = [Int64](repeating: 0, count: Int(cap))
            for t in 0..<Int(cap) {
                let r = Foundation.pow(lambda / Double(t + 1), 1 / s)
                if r < 1 { break }
                out[t] = r >= Double(parents) ? parents : Int64(r.rounded(.down))
            }
            return out
        }
        var lo = 0.0, hi = 1.0
        while levels(hi).reduce(0, +) < extra && hi < 1e300 { hi *= 2 }
        for _ in 0..<80 {
            let mid = (lo + hi) / 2
            if levels(mid).reduce(0, +) <= extra { lo = mid } else { hi = mid }
        }
        var result = levels(lo)
        var left = extra - result.reduce(0, +)
        var t = 0
        while left > 0 && t < result.count {
            let bound = t == 0 ? parents : result[t - 1]
            let add = min(left, bound - result[t])
            result[t] += add
            left -= add
            t += 1
        }
        var cumulative: [Int64] = [0]
        for r in result { cumulative.append(cumulative[cumulative.count - 1] + r) }
        return cumulative
    }

    /// The parent row of the k-th non-NULL child.
    package func parentRow(child k: Int64, rng: CounterRandom, row: Int64) -> Int64 {
        let mandatory = minChildren * parents
        if k < mandatory { return order(k % parents) }
        let j = k - mandatory
        switch mode {
        case .uniform:
            return order(Int64(rng.below(UInt64(parents), row, 2)))
        case .uniformCapped(let slots):
            return order(slots(j) % parents)
        case .zipf(let sampler):
            return order(sampler.sample(rng, row, stream: 40) - 1)
        case .zipfCapped(let cumulative):
            // The level t with cumulative[t] <= j < cumulative[t + 1].
            var lo = 0, hi = cumulative.count - 1
            while hi - lo > 1 {
                let mid = (lo + hi) / 2
                if cumulative[mid] <= j { lo = mid } else { hi = mid }
            }
            return order(min(j - cumulative[lo], parents - 1))
        }
    }
}
