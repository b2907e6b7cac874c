import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// The forms a secret can take in a dump that the server turns back into
/// the secret: COPY text-format escapes, bytea hex, base64 of a PEM block.
/// The scanner matches the decoded bytes, since those are what is restored.
package enum SecretDecoding {
    /// Decodes a COPY text-format field: `\b \f \n \r \t \v`, `\xH[H]`,
    /// `\O[O[O]]`, and a backslash before any other byte is dropped.
    package static func copyField(_ v: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        // \N alone is NULL, not an escaped N
        guard v.contains(92), !v.elementsEqual([92, 78]) else { return v }
        var out: [UInt8] = []
        out.reserveCapacity(v.count)
        var i = v.startIndex
        func hex(_ b: UInt8) -> UInt8? {
            switch b {
            case 48...57: b - 48
            case 65...70: b - 55
            case 97...102: b - 87
            default: nil
            }
        }
        while i < v.endIndex {
            let b = v[i]
            guard b == 92, i + 1 < v.endIndex else { out.append(b); i += 1; continue }
            let c = v[i + 1]
            i += 2
            switch c {
            case UInt8(ascii: "b"): out.append(8)
            case UInt8(ascii: "f"): out.append(12)
            case UInt8(ascii: "n"): out.append(10)
            case UInt8(ascii: "r"): out.append(13)
            case UInt8(ascii: "t"): out.append(9)
            case UInt8(ascii: "v"): out.append(11)
            case UInt8(ascii: "x"):
                var value: UInt8 = 0, digits = 0
                while digits < 2, i < v.endIndex, let h = hex(v[i]) { value = value << 4 | h; i += 1; digits += 1 }
                out.append(digits == 0 ? UInt8(ascii: "x") : value)
            case 48...55:
                var value = UInt32(c - 48), digits = 1
                while digits < 3, i < v.endIndex, (48...55).contains(v[i]) { value = value << 3 | UInt32(v[i] - 48); i += 1; digits += 1 }
                out.append(UInt8(truncatingIfNeeded: value))
            default: out.append(c)
            }
        }
        return out[...]
    }

    /// JSON string escapes decoded (`\uXXXX` with surrogate pairs, `\n`,
    /// `\/`, `\"`, `\\` …), as a json or jsonb value hands them back to
    /// whoever reads it; nil when the value holds no `\u` escape (the other
    /// escapes alone hide nothing the raw form's rules miss).
    package static func jsonEscapes(_ v: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        guard v.count >= 6, v.indices.contains(where: { $0 + 1 < v.endIndex && v[$0] == 92 && v[$0 + 1] == UInt8(ascii: "u") }) else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(v.count)
        var i = v.startIndex
        func hex4(_ at: Int) -> UInt32? {
            guard at + 4 <= v.endIndex, let n = UInt32(String(decoding: v[at..<(at + 4)], as: UTF8.self), radix: 16) else { return nil }
            return n
        }
        func append(_ scalar: UInt32) {
            guard let u = Unicode.Scalar(scalar) else { out.append(contentsOf: Array("\u{FFFD}".utf8)); return }
            out.append(contentsOf: Array(String(Character(u)).utf8))
        }
        while i < v.endIndex {
            guard v[i] == 92, i + 1 < v.endIndex else { out.append(v[i]); i += 1; continue }
            let c = v[i + 1]
            switch c {
            case UInt8(ascii: "u"):
                guard let high = hex4(i + 2) else { out.append(92); i += 1; continue }
                i += 6
                if (0xD800...0xDBFF).contains(high), i + 1 < v.endIndex, v[i] == 92, v[i + 1] == UInt8(ascii: "u"),
                   let low = hex4(i + 2), (0xDC00...0xDFFF).contains(low) {
                    append(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
                    i += 6
                } else {
                    append(high)
                }
            case UInt8(ascii: "n"): out.append(10); i += 2
            case UInt8(ascii: "t"): out.append(9); i += 2
            case UInt8(ascii: "r"): out.append(13); i += 2
            case UInt8(ascii: "b"): out.append(8); i += 2
            case UInt8(ascii: "f"): out.append(12); i += 2
            default: out.append(c); i += 2
            }
        }
        return out[...]
    }

    /// A bytea value in hex output form (`\x2d2d…`), decoded; nil otherwise.
    package static func byteaHex(_ v: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        guard v.count >= 4, v.first == 92, v[v.startIndex + 1] == UInt8(ascii: "x"), (v.count - 2) % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity((v.count - 2) / 2)
        var i = v.startIndex + 2
        while i + 1 < v.endIndex + 1, i < v.endIndex {
            guard let h = Int(String(decoding: v[i..<(i + 2)], as: UTF8.self), radix: 16) else { return nil }
            out.append(UInt8(h))
            i += 2
        }
        return out[...]
    }

    /// The range of a base64 run that decodes to a PEM private key header.
    package static func base64PEM(_ t: ArraySlice<UInt8>) -> Range<Int>? {
        let marker = Array("LS0tLS1CRUdJTi".utf8)
        guard t.count >= marker.count, let start = t.indices.first(where: { i in i + marker.count <= t.endIndex && t[i..<(i + marker.count)].elementsEqual(marker) }) else { return nil }
        var end = start
        while end < t.endIndex, SecretRules.isBase64(t[end]) { end += 1 }
        let head = Array(t[start..<min(end, start + 120)])
        let usable = head.count - head.count % 4
        guard usable > 0, let data = Data(base64Encoded: Data(head[0..<usable])) else { return nil }
        return String(decoding: data, as: UTF8.self).contains("PRIVATE KEY") ? start..<end : nil
    }
}
