/// A strict JSON parser for evidence. It does not trust lenient parsing: it
/// refuses a byte-order mark, invalid UTF-8, duplicate keys, trailing commas,
/// floating-point numbers, integers outside 64 bits, nesting deeper than
/// ``Limits/maxDepth`` and input larger than ``Limits/maxBytes``.
public struct StrictJSONError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The 0-based byte offset into the input where parsing failed.
    public var offset: Int
    /// Why the input was refused.
    public var reason: String
    /// `byte <offset>: <reason>`.
    public var description: String { "byte \(offset): \(reason)" }
}

extension JSONValue {
    /// The bounds ``parseStrict(_:)`` enforces.
    public enum Limits {
        /// The deepest nesting of arrays and objects accepted.
        public static let maxDepth = 64
        /// The largest input accepted, in bytes (64 MiB).
        public static let maxBytes = 64 << 20
    }

    /// Parses one JSON value from the whole of `bytes` under the strict rules above; throws ``StrictJSONError`` on the first violation.
    public static func parseStrict(_ bytes: [UInt8]) throws(StrictJSONError) -> JSONValue {
        guard bytes.count <= Limits.maxBytes else {
            throw StrictJSONError(offset: 0, reason: "input is \(bytes.count) bytes, over the \(Limits.maxBytes)-byte limit")
        }
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            throw StrictJSONError(offset: 0, reason: "a UTF-8 byte-order mark is not allowed")
        }
        if bytes.count >= 2, (bytes[0] == 0xFF && bytes[1] == 0xFE) || (bytes[0] == 0xFE && bytes[1] == 0xFF) {
            throw StrictJSONError(offset: 0, reason: "UTF-16 is not allowed; evidence is UTF-8")
        }
        var parser = StrictParser(bytes: bytes)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        if parser.index != bytes.count {
            throw StrictJSONError(offset: parser.index, reason: "trailing bytes after the JSON value")
        }
        return value
    }
}

private struct StrictParser {
    let bytes: [UInt8]
    var index = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0a, 0x0d: index += 1
            default: return
            }
        }
    }

    func fail(_ reason: String) -> StrictJSONError { StrictJSONError(offset: index, reason: reason) }

    mutating func parseValue(depth: Int) throws(StrictJSONError) -> JSONValue {
        guard depth <= JSONValue.Limits.maxDepth else { throw fail("nesting deeper than \(JSONValue.Limits.maxDepth)") }
        guard index < bytes.count else { throw fail("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth)
        case UInt8(ascii: "["): return try parseArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseInteger()
        default: throw fail("unexpected byte 0x\(String(bytes[index], radix: 16))")
        }
    }

    mutating func expectLiteral(_ word: String) throws(StrictJSONError) {
        let w = Array(word.utf8)
        guard index + w.count <= bytes.count, Array(bytes[index..<index + w.count]) == w else {
            throw fail("invalid literal")
        }
        index += w.count
    }

    mutating func parseObject(depth: Int) throws(StrictJSONError) -> JSONValue {
        index += 1
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw fail("expected a string key (a trailing comma is not allowed)")
            }
            let keyOffset = index
            let key = try parseString()
            if members[key] != nil { throw StrictJSONError(offset: keyOffset, reason: "duplicate key \"\(key)\"") }
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':'") }
            index += 1
            skipWhitespace()
            members[key] = try parseValue(depth: depth + 1)
            skipWhitespace()
            guard index < bytes.count else { throw fail("unexpected end of input in an object") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
            throw fail("expected ',' or '}'")
        }
    }

    mutating func parseArray(depth: Int) throws(StrictJSONError) -> JSONValue {
        index += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
        while true {
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") { throw fail("a trailing comma is not allowed") }
            items.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            guard index < bytes.count else { throw fail("unexpected end of input in an array") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
            throw fail("expected ',' or ']'")
        }
    }

    mutating func parseInteger() throws(StrictJSONError) -> JSONValue {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        let digitsStart = index
        while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
        if index == digitsStart { throw fail("expected a digit") }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") || bytes[index] | 0x20 == UInt8(ascii: "e") {
            throw StrictJSONError(offset: start, reason: "a floating-point number is not allowed; evidence holds integers only")
        }
        if bytes[digitsStart] == UInt8(ascii: "0"), index - digitsStart > 1 {
            throw StrictJSONError(offset: start, reason: "a leading zero is not allowed")
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        guard let value = Int64(text) else {
            throw StrictJSONError(offset: start, reason: "integer \(text) does not fit in 64 bits")
        }
        return .integer(value)
    }

    mutating func parseString() throws(StrictJSONError) -> String {
        index += 1
        var out = [UInt8]()
        // Fast path: a run of plain bytes up to the closing quote is taken whole.
        let start = index
        while index < bytes.count, bytes[index] != UInt8(ascii: "\""), bytes[index] != UInt8(ascii: "\\"), bytes[index] >= 0x20 {
            index += 1
        }
        out.append(contentsOf: bytes[start..<index])
        while true {
            guard index < bytes.count else { throw fail("unterminated string") }
            let b = bytes[index]
            switch b {
            case UInt8(ascii: "\""):
                index += 1
                guard let s = String(validating: out, as: UTF8.self) else {
                    throw fail("string is not valid UTF-8")
                }
                return s
            case UInt8(ascii: "\\"):
                index += 1
                guard index < bytes.count else { throw fail("unterminated escape") }
                let e = bytes[index]
                index += 1
                switch e {
                case UInt8(ascii: "\""): out.append(34)
                case UInt8(ascii: "\\"): out.append(92)
                case UInt8(ascii: "/"): out.append(47)
                case UInt8(ascii: "b"): out.append(8)
                case UInt8(ascii: "f"): out.append(12)
                case UInt8(ascii: "n"): out.append(10)
                case UInt8(ascii: "r"): out.append(13)
                case UInt8(ascii: "t"): out.append(9)
                case UInt8(ascii: "u"):
                    var scalar = try parseHex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard index + 1 < bytes.count, bytes[index] == 92, bytes[index + 1] == UInt8(ascii: "u") else {
                            throw fail("unpaired surrogate in \\u escape")
                        }
                        index += 2
                        let low = try parseHex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw fail("unpaired surrogate in \\u escape") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw fail("unpaired surrogate in \\u escape")
                    }
                    out.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar)!)).utf8))
                default: throw fail("invalid escape")
                }
            case 0x00..<0x20:
                throw fail("control character in a string must be escaped")
            default:
                out.append(b)
                index += 1
            }
        }
    }

    mutating func parseHex4() throws(StrictJSONError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw fail("short \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[index]
            let d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - 48)
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - 87)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - 55)
            default: throw fail("invalid hex digit in \\u escape")
            }
            v = v << 4 | d
            index += 1
        }
        return v
    }
}
