import RehearseCore
import RehearseEvidence

/// Counter-based randomness: every draw is a pure function of
/// (seed, table, column, row, stream), so any row can be generated alone,
/// in any order, on any thread, and come out the same.
package struct CounterRandom: Sendable {
    package let key: UInt64

    package init(seed: UInt64, table: String, column: String) {
        key = Self.mix(seed ^ Self.mix(Self.fnv1a(table) &+ 0x9E37_79B9_7F4A_7C15) ^ Self.mix(Self.fnv1a(column) &+ 0xD1B5_4A32_D192_ED03))
    }

    /// 64 random bits for a row; `stream` separates independent draws of one cell.
    @inline(__always)
    package func bits(_ row: Int64, _ stream: UInt64 = 0) -> UInt64 {
        Self.mix(key &+ UInt64(bitPattern: row) &* 0x9E37_79B9_7F4A_7C15 &+ stream &* 0xBF58_476D_1CE4_E5B9)
    }

    /// Uniform integer in 0..<bound (bound > 0), by multiply-high: no modulo bias worth a row.
    @inline(__always)
    package func below(_ bound: UInt64, _ row: Int64, _ stream: UInt64 = 0) -> UInt64 {
        bits(row, stream).multipliedFullWidth(by: bound).high
    }

    /// Uniform double in [0, 1).
    @inline(__always)
    package func unit(_ row: Int64, _ stream: UInt64 = 0) -> Double {
        Double(bits(row, stream) >> 11) * 0x1p-53
    }

    /// SplitMix64's finalizer: a bijective, well-mixing 64-bit function.
    @inline(__always)
    package static func mix(_ z0: UInt64) -> UInt64 {
        var z = z0
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// FNV-1a over UTF-8: a stable name hash (Swift's Hasher is seeded per process).
    package static func fnv1a(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }
}

/// A keyed bijection of 0..<count: a balanced Feistel network over the next
/// even power of two, cycle-walked back into range. Unique values come from
/// permuting the row index, so no memory grows with the row count.
package struct IndexPermutation: Sendable {
    package let count: UInt64
    package let halfBits: UInt64
    package let key: UInt64

    package init(count: Int64, key: UInt64) {
        self.count = UInt64(max(count, 1))
        var bits: UInt64 = 2
        while (UInt64(1) << bits) < self.count { bits += 2 }
        halfBits = bits / 2
        self.key = key
    }

    package func callAsFunction(_ index: Int64) -> Int64 {
        var x = UInt64(index)
        repeat { x = round(x) } while x >= count
        return Int64(x)
    }

    private func round(_ x: UInt64) -> UInt64 {
        let mask = (UInt64(1) << halfBits) - 1
        var l = x >> halfBits, r = x & mask
        for i in 0..<4 as Range<UInt64> {
            let f = CounterRandom.mix(r ^ key ^ (i &* 0x9E37_79B9_7F4A_7C15)) & mask
            (l, r) = (r, l ^ f)
        }
        return l << halfBits | r
    }
}
