import Crypto
import RehearseCore

/// PostgreSQL's COPY text format: one line per row, fields separated by a
/// tab, `\N` for NULL, and backslash escapes for backslash, newline,
/// carriage return and tab inside a value.
package enum PostgresCopyText {
    /// Appends one field (no separator) in the form COPY FROM reads.
    package static func append(_ value: DatabaseValue, to out: inout [UInt8]) {
        switch value {
        case .null:
            out.append(UInt8(ascii: "\\"))
            out.append(UInt8(ascii: "N"))
        case .integer(let i):
            appendInteger(i, to: &out)
        case .real(let d):
            // Swift prints the shortest text that reads back to the same
            // double; PostgreSQL's float8 input accepts it, inf and nan included.
            out.append(contentsOf: d.description.utf8)
        case .text(let s):
            var s = s
            s.withUTF8 { appendEscaped($0, to: &out) }
        case .blob(let bytes):
            // bytea hex input is \x..., and the backslash itself is escaped in COPY.
            out.append(UInt8(ascii: "\\"))
            out.append(UInt8(ascii: "\\"))
            out.append(UInt8(ascii: "x"))
            let hex = Array("0123456789abcdef".utf8)
            for b in bytes {
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 15)])
            }
        }
    }

    package static func appendEscaped(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        for b in bytes {
            switch b {
            case UInt8(ascii: "\\"): out.append(b); out.append(b)
            case 0x0a: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
            case 0x0d: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "t"))
            default: out.append(b)
            }
        }
    }

    package static func appendInteger(_ value: Int64, to out: inout [UInt8]) {
        if value == 0 { out.append(UInt8(ascii: "0")); return }
        var magnitude = value.magnitude
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            while magnitude > 0 {
                d[n] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                n += 1
            }
            for k in stride(from: n - 1, through: 0, by: -1) { out.append(d[k]) }
        }
    }

    /// One row of text values as a COPY line, newline included.
    package static func line(_ fields: [String?]) -> [UInt8] {
        var out: [UInt8] = []
        for (i, f) in fields.enumerated() {
            if i > 0 { out.append(0x09) }
            append(f.map { .text($0) } ?? .null, to: &out)
        }
        out.append(0x0a)
        return out
    }

    /// Splits a COPY line (newline included or not) into its raw fields.
    package static func fields(_ line: UnsafeRawBufferPointer) -> [ArraySlice<UInt8>] {
        var bytes = Array(line)
        if bytes.last == 0x0a { bytes.removeLast() }
        return bytes.split(separator: 0x09, omittingEmptySubsequences: false)
    }

    /// A raw field decoded for people (keys in drift reports): escapes undone,
    /// `\N` shown as NULL.
    package static func display(_ field: ArraySlice<UInt8>) -> String {
        if field.elementsEqual([UInt8(ascii: "\\"), UInt8(ascii: "N")]) { return "NULL" }
        var out: [UInt8] = []
        var i = field.startIndex
        while i < field.endIndex {
            let b = field[i]
            if b == UInt8(ascii: "\\"), field.index(after: i) < field.endIndex {
                let next = field[field.index(after: i)]
                switch next {
                case UInt8(ascii: "n"): out.append(0x0a)
                case UInt8(ascii: "r"): out.append(0x0d)
                case UInt8(ascii: "t"): out.append(0x09)
                default: out.append(next)
                }
                i = field.index(i, offsetBy: 2)
                continue
            }
            out.append(b)
            i = field.index(after: i)
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension PostgresCopyText {
    /// The digest a keyed table of text rows has in a PostgreSQL fingerprint,
    /// computed without a server: its COPY lines in key order (bytes, as
    /// COLLATE "C" sorts), hashed in turn.
    package static func orderedDigest(_ rows: [[String?]]) -> TableFingerprint {
        let lines = rows.map { line($0) }.sorted { $0.lexicographicallyPrecedes($1) }
        var hasher = SHA256()
        for line in lines { hasher.update(data: line) }
        return TableFingerprint(rows: Int64(lines.count), digest: Digest.hex(Array(hasher.finalize())))
    }
}
