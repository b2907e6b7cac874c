import Foundation
import RehearseCore
import RehearseEvidence

package struct CheckToken {
    package enum Kind { case word, quoted, number, string, symbol }
    package var kind: Kind
    package var text: String
    package var range: Range<String.Index>
}

/// The CHECK subset's own tokenizer. It stays apart from the core SQL lexer
/// (`SQLNormalizer.lex`, SQLLexer.swift) on purpose: that lexer's tokens are
/// not a superset to adapt without changing results. It lower-cases words
/// (here case is kept), keeps quotes on string literals (here they are
/// stripped and `''` unescaped), has no number token (`1.5` and `1e-3` come
/// out as several tokens), records no source ranges (`checks(inCreateTable:)`
/// slices the original text with them), always reads `[` as a quoted
/// identifier (here `ARRAY[...]` and `type[]` stay symbols), treats every
/// byte >= 0x80 as part of a word (here Unicode whitespace separates) and
/// keeps `<<`, `>>`, `->` whole. Merging would need options on the core
/// lexer that every normalized fingerprint depends on.
package enum CheckLexer {
    package static func tokens(_ s: String) -> [CheckToken] {
        var out: [CheckToken] = []
        var i = s.startIndex
        func peek(_ k: Int) -> Character? {
            var j = i
            for _ in 0..<k { guard j < s.endIndex else { return nil }; j = s.index(after: j) }
            return j < s.endIndex ? s[j] : nil
        }
        while i < s.endIndex {
            let c = s[i]
            let start = i
            if c.isWhitespace { i = s.index(after: i); continue }
            if c == "-" && peek(1) == "-" {
                while i < s.endIndex && s[i] != "\n" { i = s.index(after: i) }
                continue
            }
            if c == "/" && peek(1) == "*" {
                i = s.index(i, offsetBy: 2)
                while i < s.endIndex && !(s[i] == "*" && peek(1) == "/") { i = s.index(after: i) }
                i = i < s.endIndex ? s.index(i, offsetBy: 2, limitedBy: s.endIndex) ?? s.endIndex : s.endIndex
                continue
            }
            // `[` quotes an identifier in SQLite, but opens PostgreSQL's ARRAY[...] and `type[]`.
            let arrayBracket = c == "[" && out.last.map { $0.kind == .word } == true
            if c == "'" || c == "\"" || c == "`" || (c == "[" && !arrayBracket) {
                let close: Character = c == "[" ? "]" : c
                var text = ""
                i = s.index(after: i)
                while i < s.endIndex {
                    if s[i] == close {
                        if close != "]", peek(1) == close { text.append(close); i = s.index(i, offsetBy: 2); continue }
                        i = s.index(after: i)
                        break
                    }
                    text.append(s[i])
                    i = s.index(after: i)
                }
                out.append(CheckToken(kind: c == "'" ? .string : .quoted, text: text, range: start..<i))
                continue
            }
            if c.isNumber || (c == "." && (peek(1)?.isNumber ?? false)) {
                while i < s.endIndex, s[i].isNumber || s[i] == "." || s[i] == "e" || s[i] == "E"
                        || ((s[i] == "+" || s[i] == "-") && (s[s.index(before: i)] == "e" || s[s.index(before: i)] == "E")) {
                    i = s.index(after: i)
                }
                out.append(CheckToken(kind: .number, text: String(s[start..<i]), range: start..<i))
                continue
            }
            if c.isLetter || c == "_" {
                while i < s.endIndex, s[i].isLetter || s[i].isNumber || s[i] == "_" || s[i] == "$" { i = s.index(after: i) }
                out.append(CheckToken(kind: .word, text: String(s[start..<i]), range: start..<i))
                continue
            }
            for op in ["<=", ">=", "<>", "!=", "==", "::", "||", "!~"] where s[i...].hasPrefix(op) {
                i = s.index(i, offsetBy: 2)
                out.append(CheckToken(kind: .symbol, text: op, range: start..<i))
                break
            }
            if i == start {
                i = s.index(after: i)
                out.append(CheckToken(kind: .symbol, text: String(c), range: start..<i))
            }
        }
        return out
    }
}
