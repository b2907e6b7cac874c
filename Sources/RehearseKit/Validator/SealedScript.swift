import CSQLite3
import Foundation

/// A script copied into a run folder, split into statements by the rules of
/// the engine that ran it, so the validator can tell which statements and
/// checks the sealed bytes hold without a database.
package struct SealedScript {
    package let script: SQLScript
    package let statements: [ScriptStatement]

    init?(bytes: [UInt8], path: String, engine: String) {
        guard let text = String(validating: bytes, as: UTF8.self) else { return nil }
        script = SQLScript(displayPath: path, url: URL(fileURLWithPath: "/dev/null"), text: text, sha256: Digest.sha256Hex(bytes))
        switch engine {
        case "sqlite":
            guard let split = Self.sqliteStatements(text) else { return nil }
            statements = split
        case PostgresSurrogateLoader.dialect: statements = PostgresScript.statements(script)
        default: return nil
        }
    }

    /// Start line of each statement, as the engines record it.
    package var lines: [Int] { statements.map { script.line(ofByteOffset: $0.startOffset) } }

    /// Each statement's check name, numbered as the engines number them.
    package var checkNames: [String] {
        statements.enumerated().map { n, s in s.checkName(number: n + 1, line: script.line(ofByteOffset: s.startOffset)) }
    }

    /// The same boundaries `SQLiteConnection.forEachStatement` finds by
    /// preparing each statement, found without a schema: blank and comments
    /// skipped the same way, then the shortest text that SQLite's own
    /// `sqlite3_complete` calls a complete statement (it knows strings,
    /// comments and trigger bodies).
    package static func sqliteStatements(_ text: String) -> [ScriptStatement]? {
        var bytes = Array(text.utf8) + [0]
        let end = bytes.count - 1
        var out: [ScriptStatement] = []
        var offset = 0
        // Each candidate is scanned from its statement's start, so a hostile
        // script (one long string full of semicolons) could cost quadratic
        // time: past this many bytes scanned, the script is not split.
        var budget = maxScanBytes
        while true {
            let (start, comments) = SQLiteConnection.skipBlank(bytes, from: offset)
            if start >= end { break }
            var stop = end
            var i = start
            while i < end {
                if bytes[i] == UInt8(ascii: ";") {
                    budget -= i + 1 - start
                    if budget < 0 { return nil }
                    // End the candidate after the semicolon in place, test it, restore.
                    let saved = bytes[i + 1]
                    bytes[i + 1] = 0
                    let complete = bytes.withUnsafeBufferPointer { buf in
                        sqlite3_complete(UnsafeRawPointer(buf.baseAddress! + start).assumingMemoryBound(to: CChar.self))
                    }
                    bytes[i + 1] = saved
                    if complete != 0 { stop = i + 1; break }
                }
                i += 1
            }
            out.append(ScriptStatement(startOffset: start, sql: String(decoding: bytes[start..<stop], as: UTF8.self), leadingComments: comments))
            offset = stop
        }
        return out
    }

    package static let maxScanBytes = 256 << 20
}
