import Foundation

/// Blank text between statements: white space, semicolons and comments, as
/// both engines' splitters skip it (block comments nest in PostgreSQL, not in
/// SQLite).
package enum ScriptBlank {
    /// Returns where the next statement starts and the `--` comment lines
    /// passed on the way. `s` ends with a NUL the scan never passes.
    package static func skip(_ s: [UInt8], from: Int, nestedComments: Bool) -> (Int, [String]) {
        var i = from
        var comments: [String] = []
        let end = s.count - 1
        while i < end {
            let c = s[i]
            if c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d || c == 0x0c || c == UInt8(ascii: ";") { i += 1; continue }
            if c == UInt8(ascii: "-"), i + 1 < end, s[i + 1] == UInt8(ascii: "-") {
                let start = i + 2
                while i < end, s[i] != 0x0a { i += 1 }
                comments.append(String(decoding: s[start..<i], as: UTF8.self).trimmingCharacters(in: .whitespaces))
                continue
            }
            if c == UInt8(ascii: "/"), i + 1 < end, s[i + 1] == UInt8(ascii: "*") {
                var depth = 0
                while i < end {
                    if s[i] == UInt8(ascii: "/"), i + 1 < end, s[i + 1] == UInt8(ascii: "*"), depth == 0 || nestedComments { depth += 1; i += 2; continue }
                    if s[i] == UInt8(ascii: "*"), i + 1 < end, s[i + 1] == UInt8(ascii: "/") {
                        depth -= 1
                        i += 2
                        if depth == 0 { break }
                        continue
                    }
                    i += 1
                }
                continue
            }
            break
        }
        return (i, comments)
    }
}

/// One statement found in a script by SQLite's own parser, so trigger bodies
/// (`BEGIN … END;`) and semicolons in strings split correctly.
package struct ScriptStatement {
    package var startOffset: Int
    package var sql: String
    /// The comment lines just before the statement, without the `--`.
    package var leadingComments: [String]

    /// A check's name: its last `-- check: NAME` (or plain) comment, else
    /// its number and line.
    package func checkName(number: Int, line: Int) -> String {
        leadingComments.last { !$0.isEmpty }.map { $0.hasPrefix("check:") ? String($0.dropFirst(6)).trimmingCharacters(in: .whitespaces) : $0 }
            ?? "check \(number) (line \(line))"
    }

    package init(startOffset: Int, sql: String, leadingComments: [String]) {
        self.startOffset = startOffset
        self.sql = sql
        self.leadingComments = leadingComments
    }
}
