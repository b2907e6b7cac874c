/// Canonical text of a SQL definition: comments and white space dropped,
/// keywords and identifiers lower-cased and unquoted, string literals kept as
/// written. Two definitions that differ only in layout, quoting or keyword case
/// normalize to the same text; any difference in meaning survives.
public enum SQLNormalizer {
    public static func tokens(_ sql: String) -> [String] {
        let s = Array(sql.utf8)
        var out: [String] = []
        var i = 0
        func text(_ a: Int, _ b: Int) -> String { String(decoding: s[a..<b], as: UTF8.self) }
        while i < s.count {
            let c = s[i]
            if c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d || c == 0x0c { i += 1; continue }
            if c == UInt8(ascii: "-"), i + 1 < s.count, s[i + 1] == UInt8(ascii: "-") {
                while i < s.count, s[i] != 0x0a { i += 1 }
                continue
            }
            if c == UInt8(ascii: "/"), i + 1 < s.count, s[i + 1] == UInt8(ascii: "*") {
                i += 2
                while i + 1 < s.count, !(s[i] == UInt8(ascii: "*") && s[i + 1] == UInt8(ascii: "/")) { i += 1 }
                i = min(i + 2, s.count)
                continue
            }
            if c == UInt8(ascii: "'") {
                let start = i
                i += 1
                while i < s.count {
                    if s[i] == UInt8(ascii: "'") {
                        if i + 1 < s.count, s[i + 1] == UInt8(ascii: "'") { i += 2; continue }
                        i += 1
                        break
                    }
                    i += 1
                }
                out.append(text(start, i))
                continue
            }
            if c == UInt8(ascii: "\"") || c == UInt8(ascii: "`") || c == UInt8(ascii: "[") {
                let close: UInt8 = c == UInt8(ascii: "[") ? UInt8(ascii: "]") : c
                var ident = [UInt8]()
                i += 1
                while i < s.count {
                    if s[i] == close {
                        if close != UInt8(ascii: "]"), i + 1 < s.count, s[i + 1] == close { ident.append(close); i += 2; continue }
                        i += 1
                        break
                    }
                    ident.append(s[i])
                    i += 1
                }
                out.append(String(decoding: ident, as: UTF8.self).lowercased())
                continue
            }
            if isWordByte(c) {
                let start = i
                while i < s.count, isWordByte(s[i]) { i += 1 }
                out.append(text(start, i).lowercased())
                continue
            }
            // Operators: keep two-byte ones whole so "<=" never reads as "< =".
            if i + 1 < s.count {
                let pair = text(i, i + 2)
                if ["<=", ">=", "<>", "!=", "==", "||", "<<", ">>", "::", "->"].contains(pair) {
                    out.append(pair)
                    i += 2
                    continue
                }
            }
            out.append(text(i, i + 1))
            i += 1
        }
        return out
    }

    public static func normalize(_ sql: String) -> String {
        var toks = tokens(sql)
        while toks.last == ";" { toks.removeLast() }
        return toks.joined(separator: " ")
    }

    /// The CHECK clauses of a CREATE TABLE statement, each normalized, with its
    /// constraint name when it has one (`name: check ( ... )`).
    public static func checkConstraints(ofCreateTable sql: String) -> [String] {
        let toks = tokens(sql)
        var result: [String] = []
        var i = 0
        while i < toks.count {
            if toks[i] == "check", i + 1 < toks.count, toks[i + 1] == "(" {
                var depth = 0
                var j = i + 1
                while j < toks.count {
                    if toks[j] == "(" { depth += 1 }
                    if toks[j] == ")" { depth -= 1; if depth == 0 { break } }
                    j += 1
                }
                let body = toks[i...min(j, toks.count - 1)].joined(separator: " ")
                let name = (i >= 2 && toks[i - 2] == "constraint") ? toks[i - 1] + ": " : ""
                result.append(name + body)
                i = j + 1
                continue
            }
            i += 1
        }
        return result.sorted()
    }

    private static func isWordByte(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x5f || c == 0x24 || c >= 0x80
    }
}
