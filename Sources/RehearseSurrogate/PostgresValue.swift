import RehearseCore
import RehearseEvidence

/// One generated PostgreSQL value in a structured form, before any wire
/// encoding. Generators (`PostgresTypeValues`) make these; `text` renders
/// the input syntax COPY's text format reads.
///
/// Why a structure and not text: a binary COPY path (`COPY … FORMAT binary`)
/// needs each type's `typsend` layout (a uuid's 16 bytes, a date's days since
/// 2000-01-01, a timestamp's microseconds, a numeric's base-10000 digits, an
/// array's header with element oids). Every case here carries exactly what
/// that layout is computed from, so a binary encoder is one more `switch`
/// over this enum beside `text`, and no generator changes. The `literal`
/// case is the exception: tsvector, geometric types, json and pg_lsn are
/// kept as their input text; in binary, json(b) is a version byte plus that
/// text, and the others would stay on the text path (or be parsed by the
/// server through a cast).
package indirect enum PostgresValue: Sendable, Equatable {
    case integer(Int64)
    /// `units` × 10^-scale: numeric and money, exact.
    case decimal(units: Int64, scale: Int)
    case double(Double)
    case bool(Bool)
    case text(String)
    case bytes([UInt8])
    case uuid(high: UInt64, low: UInt64)
    /// Days since 1970-01-01.
    case date(days: Int64)
    /// Microseconds since midnight; `zoned` adds `+00` (timetz).
    case time(micros: Int64, zoned: Bool)
    /// Microseconds since 1970-01-01 00:00 UTC; `zoned`: timestamptz.
    case timestamp(micros: Int64, zoned: Bool)
    case interval(months: Int32, days: Int32, micros: Int64)
    /// IPv4 (4 bytes) or IPv6 (16 bytes), prefix length, and whether it is a cidr.
    case inet(address: [UInt8], prefix: Int, cidr: Bool)
    case mac([UInt8])
    /// bit and varbit, one Bool per bit.
    case bits([Bool])
    case array([PostgresValue])
    /// `[lower, upper)`, or the empty range when nil.
    case range(lower: PostgresValue, upper: PostgresValue)
    case emptyRange
    case multirange([PostgresValue])
    /// Input text the server parses (tsvector, json, geometric, pg_lsn, xml).
    case literal(String)

    /// The value in PostgreSQL's text input syntax.
    package var text: String {
        switch self {
        case .integer(let i): return String(i)
        case .decimal(let units, let scale):
            guard scale > 0 else { return String(units) + String(repeating: "0", count: -scale) }
            let digits = String(units.magnitude)
            let padded = String(repeating: "0", count: max(0, scale + 1 - digits.count)) + digits
            let cut = padded.index(padded.endIndex, offsetBy: -scale)
            return (units < 0 ? "-" : "") + padded[..<cut] + "." + padded[cut...]
        case .double(let d): return d.description
        case .bool(let b): return b ? "true" : "false"
        case .text(let s), .literal(let s): return s
        case .bytes(let b): return "\\x" + Digest.hex(b)
        case .uuid(let hi, let lo):
            let c = Array(Digest.hex(withUnsafeBytes(of: hi.bigEndian, Array.init) + withUnsafeBytes(of: lo.bigEndian, Array.init)))
            return String(c[0..<8]) + "-" + String(c[8..<12]) + "-" + String(c[12..<16]) + "-" + String(c[16..<20]) + "-" + String(c[20..<32])
        case .date(let days):
            return String(CivilTime.format(days * 86400).prefix { $0 != " " })
        case .time(let micros, let zoned):
            return Self.clock(micros) + (zoned ? "+00" : "")
        case .timestamp(let micros, let zoned):
            let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
            let fraction = micros - seconds * 1_000_000
            return CivilTime.format(seconds) + Self.fraction(fraction) + (zoned ? "+00" : "")
        case .interval(let months, let days, let micros):
            // Generators give a non-negative time part; a negative one is clamped.
            return "\(months) mons \(days) days " + Self.clock(max(0, micros), wrap: false)
        case .inet(let address, let prefix, let cidr):
            let full = address.count == 4 ? 32 : 128
            let host: String
            if address.count == 4 {
                host = address.map(String.init).joined(separator: ".")
            } else {
                host = stride(from: 0, to: 16, by: 2).map { String(UInt16(address[$0]) << 8 | UInt16(address[$0 + 1]), radix: 16) }.joined(separator: ":")
            }
            return cidr || prefix != full ? "\(host)/\(prefix)" : host
        case .mac(let bytes): return bytes.map { Digest.hex([$0]) }.joined(separator: ":")
        case .bits(let bits): return String(bits.map { $0 ? "1" : "0" })
        case .array(let items):
            return "{" + items.map(Self.arrayElement).joined(separator: ",") + "}"
        case .range(let lower, let upper):
            return "[" + Self.quoted(lower.text) + "," + Self.quoted(upper.text) + ")"
        case .emptyRange: return "empty"
        case .multirange(let ranges): return "{" + ranges.map(\.text).joined(separator: ",") + "}"
        }
    }

    /// As the plan passes values around (and COPY text writes them).
    package var databaseValue: DatabaseValue {
        switch self {
        case .integer(let i): .integer(i)
        case .double(let d): .real(d)
        case .bytes(let b): .blob(b)
        default: .text(text)
        }
    }

    /// HH:MM:SS.ffffff for microseconds since midnight (or of a duration).
    package static func clock(_ micros: Int64, wrap: Bool = true) -> String {
        let total = wrap ? ((micros % 86_400_000_000) + 86_400_000_000) % 86_400_000_000 : micros
        let s = total / 1_000_000
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return two(s / 3600) + ":" + two(s % 3600 / 60) + ":" + two(s % 60) + fraction(total % 1_000_000)
    }

    package static func fraction(_ micros: Int64) -> String {
        guard micros != 0 else { return "" }
        let d = String(micros)
        return "." + String(repeating: "0", count: max(0, 6 - d.count)) + d
    }

    /// An array element: always double-quoted (so commas, braces, spaces
    /// and the word NULL stay data), nested arrays as they are.
    package static func arrayElement(_ v: PostgresValue) -> String {
        if case .array = v { return v.text }
        return quoted(v.text)
    }

    package static func quoted(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            if c == "\"" || c == "\\" { out.unicodeScalars.append("\\") }
            out.unicodeScalars.append(c)
        }
        return out + "\""
    }
}
