import Foundation
import RehearseCore

/// Splits a PostgreSQL script into statements the way psql does: semicolons
/// end a statement except inside quotes ('...', E'...', "..."), dollar-quoted
/// bodies ($$...$$, $tag$...$tag$), comments (nested /* */ included), and a
/// SQL-standard function body (BEGIN ATOMIC ... END), which exists only in
/// CREATE [OR REPLACE] FUNCTION/PROCEDURE, as in the server's grammar.
///
/// The split is a convenience, not a safety boundary: every statement is
/// then run on its own through the extended query protocol, where the server
/// refuses text holding several commands (`PGConnection.executeStatement`),
/// so a piece this splitter got wrong fails instead of running as several.
package enum PostgresScript {
    package static func statements(_ script: SQLScript) -> [ScriptStatement] {
        statements(of: script.text)
    }

    package static func statements(of text: String) -> [ScriptStatement] {
        let s = Array(text.utf8) + [0]
        let end = s.count - 1
        var out: [ScriptStatement] = []
        var i = 0
        while true {
            let (start, comments) = ScriptBlank.skip(s, from: i, nestedComments: true)
            if start >= end { break }
            // A psql meta-command (\restrict, \connect, ...) runs to the end of its line.
            if s[start] == UInt8(ascii: "\\") {
                var e = start
                while e < end && s[e] != 0x0a { e += 1 }
                out.append(ScriptStatement(startOffset: start, sql: String(decoding: s[start..<e], as: UTF8.self).trimmingCharacters(in: .whitespaces),
                                           leadingComments: comments))
                i = e
                continue
            }
            var j = start
            var atomicDepth = 0
            var parenDepth = 0
            var previousWord = ""
            // The statement's first words, to tell a routine definition
            // (where BEGIN ATOMIC opens a body) from anything else.
            var head: [String] = []
            var stop = end
            scan: while j < end {
                let c = s[j]
                switch c {
                case UInt8(ascii: "'"):
                    let escapes = j > start && (s[j - 1] == UInt8(ascii: "E") || s[j - 1] == UInt8(ascii: "e"))
                        && !(j > start + 1 && isWordByte(s[j - 2]))
                    j += 1
                    while j < end {
                        if escapes && s[j] == UInt8(ascii: "\\") { j += 2; continue }
                        if s[j] == UInt8(ascii: "'") {
                            if j + 1 < end && s[j + 1] == UInt8(ascii: "'") { j += 2; continue }
                            break
                        }
                        j += 1
                    }
                    j += 1
                case UInt8(ascii: "\""):
                    j += 1
                    while j < end {
                        if s[j] == UInt8(ascii: "\"") {
                            if j + 1 < end && s[j + 1] == UInt8(ascii: "\"") { j += 2; continue }
                            break
                        }
                        j += 1
                    }
                    j += 1
                case UInt8(ascii: "-") where j + 1 < end && s[j + 1] == UInt8(ascii: "-"):
                    while j < end && s[j] != 0x0a { j += 1 }
                case UInt8(ascii: "/") where j + 1 < end && s[j + 1] == UInt8(ascii: "*"):
                    var depth = 0
                    while j < end {
                        if s[j] == UInt8(ascii: "/") && j + 1 < end && s[j + 1] == UInt8(ascii: "*") { depth += 1; j += 2; continue }
                        if s[j] == UInt8(ascii: "*") && j + 1 < end && s[j + 1] == UInt8(ascii: "/") {
                            depth -= 1
                            j += 2
                            if depth == 0 { break }
                            continue
                        }
                        j += 1
                    }
                case UInt8(ascii: "$") where !(j > start && isWordByte(s[j - 1])):
                    // $tag$ ... $tag$ where tag is empty or an identifier; $1 is a parameter.
                    var k = j + 1
                    while k < end && isWordByte(s[k]) && !(k == j + 1 && isDigit(s[k])) { k += 1 }
                    if k < end && s[k] == UInt8(ascii: "$") {
                        let tag = Array(s[j...k])
                        var m = k + 1
                        while m < end {
                            if s[m] == UInt8(ascii: "$") && m + tag.count <= end && Array(s[m..<(m + tag.count)]) == tag {
                                m += tag.count
                                break
                            }
                            m += 1
                        }
                        j = m
                    } else {
                        j += 1
                    }
                case UInt8(ascii: ";"):
                    if atomicDepth == 0 && parenDepth == 0 { stop = j; break scan }
                    j += 1
                case UInt8(ascii: "("):
                    parenDepth += 1
                    previousWord = ""
                    j += 1
                case UInt8(ascii: ")"):
                    parenDepth = max(0, parenDepth - 1)
                    previousWord = ""
                    j += 1
                default:
                    if isWordByte(c) && !(j > start && isWordByte(s[j - 1])) {
                        var k = j
                        while k < end && isWordByte(s[k]) { k += 1 }
                        let word = String(decoding: s[j..<k], as: UTF8.self).lowercased()
                        if head.count < 4 { head.append(word) }
                        if word == "atomic" && previousWord == "begin" && Self.isRoutineDefinition(head) { atomicDepth += 1 }
                        if atomicDepth > 0 && (word == "case") { atomicDepth += 1 }
                        if atomicDepth > 0 && word == "end" { atomicDepth -= 1 }
                        previousWord = word
                        j = k
                    } else {
                        // Any other character breaks a BEGIN ATOMIC pair
                        // (`SELECT begin, atomic` is two columns).
                        if c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d { previousWord = "" }
                        j += 1
                    }
                }
            }
            let body = String(decoding: s[start..<min(stop, end)], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if !body.isEmpty {
                out.append(ScriptStatement(startOffset: start, sql: body, leadingComments: comments))
            }
            i = min(stop + 1, end)
            if stop >= end { break }
        }
        return out
    }


    /// CREATE [OR REPLACE] FUNCTION or PROCEDURE: the only statements whose
    /// body may be BEGIN ATOMIC ... END.
    package static func isRoutineDefinition(_ head: [String]) -> Bool {
        guard head.first == "create" else { return false }
        let kind = head.count > 3 && head[1] == "or" && head[2] == "replace" ? head[3] : (head.count > 1 ? head[1] : "")
        return kind == "function" || kind == "procedure"
    }

    private static func isWordByte(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x5f || c >= 0x80
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    /// The UTF-8 byte offset, within `statement`, of PostgreSQL's 1-based
    /// character position (the server counts characters, not bytes).
    package static func byteOffset(ofPosition position: Int, in statement: String) -> Int {
        var bytes = 0
        for (n, scalar) in statement.unicodeScalars.enumerated() {
            if n >= position - 1 { break }
            bytes += String(scalar).utf8.count
        }
        return bytes
    }
}
