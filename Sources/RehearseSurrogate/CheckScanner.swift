import Foundation
import RehearseCore
import RehearseEvidence

extension CheckDomains {
    /// The text of every CHECK (...) clause of a CREATE TABLE statement,
    /// column and table constraints alike, without the outer parentheses.
    package static func checks(inCreateTable sql: String) -> [String] {
        let tokens = CheckLexer.tokens(sql)
        var out: [String] = []
        var i = 0
        while i < tokens.count {
            if tokens[i].kind == .word, tokens[i].text.uppercased() == "CHECK", i + 1 < tokens.count, tokens[i + 1].text == "(" {
                var depth = 0
                var j = i + 1
                while j < tokens.count {
                    if tokens[j].text == "(" && tokens[j].kind == .symbol { depth += 1 }
                    if tokens[j].text == ")" && tokens[j].kind == .symbol { depth -= 1; if depth == 0 { break } }
                    j += 1
                }
                if j < tokens.count, j > i + 2 {
                    let start = tokens[i + 2].range.lowerBound, end = tokens[j - 1].range.upperBound
                    out.append(String(sql[start..<end]))
                }
                i = j
            }
            i += 1
        }
        return out
    }
}
