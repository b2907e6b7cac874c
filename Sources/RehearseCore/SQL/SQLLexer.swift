extension SQLNormalizer {
    /// One lexical token. `text` is canonical: bare words lower-cased in ASCII
    /// only (SQLite folds identifier case in ASCII only, so `É` and `é` stay
    /// apart), string literals and quoted identifiers as written: a
    /// double-quoted word that names no column is a string to SQLite, so its
    /// case can matter. `quoted` tells an identifier written in quotes from a
    /// bare word, so a column named "asc" or "null" is never read as the
    /// keyword.
    package struct Token: Sendable, Equatable {
        package var text: String
        package var quoted: Bool
        /// A bare (unquoted) word equal to `keyword`, e.g. `asc`.
        package func isKeyword(_ keyword: String) -> Bool { !quoted && text == keyword }
    }

    package static func tokens(_ sql: String) -> [String] { lex(sql).map(canonical) }

    package static func lex(_ sql: String) -> [Token] {
        let s = Array(sql.utf8)
        var out: [Token] = []
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
                out.append(Token(text: text(start, i), quoted: false))
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
                out.append(Token(text: String(decoding: ident, as: UTF8.self), quoted: true))
                continue
            }
            if isWordByte(c) {
                let start = i
                while i < s.count, isWordByte(s[i]) { i += 1 }
                out.append(Token(text: asciiLowercased(s[start..<i]), quoted: false))
                continue
            }
            // Operators: keep two-byte ones whole so "<=" never reads as "< =".
            if i + 1 < s.count {
                let pair = text(i, i + 2)
                if ["<=", ">=", "<>", "!=", "==", "||", "<<", ">>", "::", "->"].contains(pair) {
                    out.append(Token(text: pair, quoted: false))
                    i += 2
                    continue
                }
            }
            out.append(Token(text: text(i, i + 1), quoted: false))
            i += 1
        }
        return out
    }

    package static func asciiLowercased(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.map { (0x41...0x5a).contains($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
    }

    package static func isWordByte(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x5f || c == 0x24 || c >= 0x80
    }
}
