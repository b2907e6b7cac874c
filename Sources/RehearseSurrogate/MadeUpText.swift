import RehearseCore
import RehearseEvidence

/// Text made from invented syllables and reserved names (`example.test`,
/// the unassigned `+999` calling code), so a surrogate can never carry a real
/// person's name, address, e-mail or phone number.
package enum MadeUpText {
    package static let onsets = ["b", "br", "c", "d", "dr", "f", "g", "gl", "h", "j", "k", "l", "m", "n", "p", "pr", "r", "s", "st", "t", "tr", "v", "w", "z"]
    package static let vowels = ["a", "e", "i", "o", "u", "ai", "ea", "io", "ou"]
    package static let codas = ["", "", "", "n", "r", "l", "s", "th", "x", "m"]
    package static let streetKinds = ["Street", "Road", "Lane", "Way", "Avenue", "Close", "Row", "Court"]

    package static func syllable(_ r: UInt64) -> String {
        onsets[Int(r % UInt64(onsets.count))] + vowels[Int((r >> 8) % UInt64(vowels.count))] + codas[Int((r >> 16) % UInt64(codas.count))]
    }

    /// 2 or 3 syllables.
    package static func word(_ r: UInt64) -> String {
        let n = 2 + Int((r >> 60) & 1)
        var s = ""
        for i in 0..<n { s += syllable(CounterRandom.mix(r &+ UInt64(i))) }
        return s
    }

    package static func capitalized(_ s: String) -> String { s.prefix(1).uppercased() + s.dropFirst() }

    package static func digits(_ r: UInt64, count: Int) -> String {
        var x = r, s = ""
        for _ in 0..<count { s.append(Character(Unicode.Scalar(UInt8(48 + x % 10)))); x /= 10 }
        return s
    }

    package static func hex(_ r: UInt64, _ r2: UInt64, length: Int) -> String {
        let h = Digest.hex(withUnsafeBytes(of: r.bigEndian, Array.init) + withUnsafeBytes(of: r2.bigEndian, Array.init))
        if length <= h.count { return String(h.prefix(length)) }
        var s = h
        var k = r2
        while s.count < length { k = CounterRandom.mix(k); s += Digest.hex(withUnsafeBytes(of: k.bigEndian, Array.init)) }
        return String(s.prefix(length))
    }

    package static func uuid(_ a: UInt64, _ b: UInt64) -> String {
        // Version 4 layout, from the two draws.
        let hi = (a & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000
        let lo = (b & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        let h = hex(hi, lo, length: 32)
        let c = Array(h)
        return String(c[0..<8]) + "-" + String(c[8..<12]) + "-" + String(c[12..<16]) + "-" + String(c[16..<20]) + "-" + String(c[20..<32])
    }

    package static func make(_ pattern: TextPattern, _ rng: CounterRandom, row: Int64, uniqueSuffix: Int64?) -> String {
        let r = rng.bits(row, 11)
        let suffix = uniqueSuffix.map { String($0) }
        switch pattern {
        case .firstName: return capitalized(word(r)) + (suffix.map { " " + $0 } ?? "")
        case .lastName: return capitalized(word(CounterRandom.mix(r ^ 0x51))) + (suffix.map { "-" + $0 } ?? "")
        case .name: return capitalized(word(r)) + " " + capitalized(word(CounterRandom.mix(r ^ 0x51))) + (suffix.map { " " + $0 } ?? "")
        case .email:
            let local = word(r) + "." + word(CounterRandom.mix(r ^ 0x51))
            return local + (suffix.map { "." + $0 } ?? digits(r >> 20, count: 2)) + "@example.test"
        case .phone:
            if let suffix { return "+999 " + String(repeating: "0", count: max(0, 10 - suffix.count)) + suffix }
            let long = (r >> 63) == 1
            return "+999 " + digits(r, count: 3) + " " + digits(r >> 12, count: 3) + (long ? " " + digits(r >> 24, count: 4) : "")
        case .word: return word(r) + (suffix.map { "-" + $0 } ?? "")
        case .sentence:
            let n = 4 + Int(r % 9)
            var words: [String] = []
            for i in 0..<n { words.append(word(CounterRandom.mix(r &+ UInt64(i) &* 0x9E37))) }
            return capitalized(words.joined(separator: " ")) + (suffix.map { " " + $0 } ?? "") + "."
        case .uuid:
            if let u = uniqueSuffix { return uuid(rng.key, UInt64(u)) }
            return uuid(r, rng.bits(row, 12))
        case .street: return String(1 + r % 400) + " " + capitalized(word(r >> 9)) + " " + streetKinds[Int((r >> 40) % UInt64(streetKinds.count))] + (suffix.map { " #" + $0 } ?? "")
        case .city: return capitalized(word(r)) + (suffix.map { " " + $0 } ?? "")
        case .postcode: return "PC" + (suffix.map { String(repeating: "0", count: max(0, 6 - $0.count)) + $0 } ?? digits(r, count: 6))
        case .sku: return "SKU-" + (suffix.map { String(repeating: "0", count: max(0, 8 - $0.count)) + $0 } ?? hex(r, 0, length: 8).uppercased())
        case .hexLength(let n):
            if let u = uniqueSuffix {
                // A fixed-width suffix keeps the mapping injective.
                let width = min(n, 12)
                let s = String(u, radix: 16)
                let padded = String(repeating: "0", count: max(0, width - s.count)) + s
                return hex(r, rng.bits(row, 12), length: max(0, n - padded.count)) + padded
            }
            return hex(r, rng.bits(row, 12), length: n)
        }
    }
}
