import CSQLite3

/// Splits an SQLite script into statements without a database, with the
/// boundaries `SQLiteConnection.forEachStatement` finds by preparing each
/// statement: blank and comments skipped the same way (``ScriptBlank``),
/// then the shortest text that SQLite's own `sqlite3_complete` calls a
/// complete statement (it knows strings, comments and trigger bodies).
/// The engine's loader, the schema guard, migration scans and the validator
/// all split with this one function.
package enum SQLiteStatements {
    /// The statements, or nil when splitting would cost more than
    /// ``maxScanBytes`` bytes of `sqlite3_complete` scanning.
    ///
    /// `sqlite3_complete` rescans from the statement's start, so it is asked
    /// only at a semicolon outside quotes and comments: a string full of
    /// semicolons stays linear. A trigger body with a great many statements
    /// is still quadratic, so the bytes scanned are budgeted.
    package static func split(_ text: String) -> [ScriptStatement]? {
        var bytes = Array(text.utf8) + [0]
        let end = bytes.count - 1
        var out: [ScriptStatement] = []
        var offset = 0
        var budget = maxScanBytes
        while true {
            let (start, comments) = ScriptBlank.skip(bytes, from: offset, nestedComments: false)
            if start >= end { break }
            var stop = end
            var j = start
            var quote: UInt8 = 0
            while j < end {
                let c = bytes[j]
                if quote != 0 {
                    if c == quote { quote = 0 }
                } else if c == UInt8(ascii: "'") || c == UInt8(ascii: "\"") || c == UInt8(ascii: "`") {
                    quote = c
                } else if c == UInt8(ascii: "[") {
                    quote = UInt8(ascii: "]")
                } else if c == UInt8(ascii: "-"), bytes[j + 1] == UInt8(ascii: "-") {
                    while j < end && bytes[j] != 0x0a { j += 1 }
                    continue
                } else if c == UInt8(ascii: "/"), bytes[j + 1] == UInt8(ascii: "*") {
                    j += 2
                    while j < end && !(bytes[j] == UInt8(ascii: "*") && bytes[j + 1] == UInt8(ascii: "/")) { j += 1 }
                    j += 2
                    continue
                } else if c == UInt8(ascii: ";") {
                    budget -= j + 1 - start
                    if budget < 0 { return nil }
                    // Ends the text after the semicolon for the call, in place.
                    let saved = bytes[j + 1]
                    bytes[j + 1] = 0
                    let complete = bytes.withUnsafeBufferPointer { buf in
                        sqlite3_complete(UnsafeRawPointer(buf.baseAddress! + start).assumingMemoryBound(to: CChar.self)) != 0
                    }
                    bytes[j + 1] = saved
                    if complete { stop = j + 1; break }
                }
                j += 1
            }
            stop = min(stop, end)
            out.append(ScriptStatement(startOffset: start, sql: String(decoding: bytes[start..<stop], as: UTF8.self), leadingComments: comments))
            offset = stop
        }
        return out
    }

    /// Bytes `sqlite3_complete` may scan while splitting one script.
    package static let maxScanBytes = 256 << 20
}
