import Foundation

/// Lines of a migration file, split as the runners split them: at LF, by
/// Unicode scalar. (In Swift "\r\n" is ONE Character, so
/// `split(separator: "\n")` on a String never splits a CRLF line end, and
/// one CR in a file would join two lines: issue 13, W-F19/W-F20.) Each line
/// keeps a CR that precedes its LF, so joining the lines with "\n" gives
/// the text back byte for byte; ``content(_:)`` drops that CR for reading.
/// A CR that is not followed by LF (a lone CR) is a line end to Java
/// properties (Flyway's `.conf`) but not to Go (dbmate) or Perl (Sqitch);
/// each reader decides what it means (see ``loneCR(_:)``).
package enum MigrationLines {
    package static func split(_ text: String) -> [Substring] {
        text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map { Substring($0) }
    }

    /// The line without the CR of a CRLF line end.
    package static func content(_ line: Substring) -> Substring {
        line.unicodeScalars.last == "\r" ? Substring(line.unicodeScalars.dropLast()) : line
    }

    /// The 1-based number of the first line holding a CR that is not part
    /// of a CRLF line end, or nil.
    package static func loneCR(_ text: String) -> Int? {
        for (i, line) in split(text).enumerated() where content(line).unicodeScalars.contains("\r") { return i + 1 }
        return nil
    }

    /// Java `.properties` lines (Flyway's per-script `.conf`): LF, CRLF and a
    /// lone CR all end a line; a line ending in an odd number of backslashes
    /// continues on the next one.
    package static func properties(_ text: String) -> [(key: String, value: String)] {
        var physical: [String] = []
        var current = ""
        var scalars = text.unicodeScalars.makeIterator()
        var pendingCR = false
        while let c = scalars.next() {
            if pendingCR { pendingCR = false; if c == "\n" { continue } }
            if c == "\n" || c == "\r" { physical.append(current); current = ""; pendingCR = c == "\r"; continue }
            current.unicodeScalars.append(c)
        }
        physical.append(current)
        var logical: [String] = []
        var joined: String?
        for raw in physical {
            let line = String(raw.drop { $0 == " " || $0 == "\t" || $0 == "\u{0C}" })
            if joined == nil && (line.isEmpty || line.hasPrefix("#") || line.hasPrefix("!")) { continue }
            let trailing = line.reversed().prefix { $0 == "\\" }.count
            let piece = trailing % 2 == 1 ? String(line.dropLast()) : line
            joined = (joined ?? "") + piece
            if trailing % 2 == 0 { logical.append(joined!); joined = nil }
        }
        if let joined { logical.append(joined) }
        return logical.map { line in
            var key = "", i = line.startIndex
            while i < line.endIndex {
                let c = line[i]
                if c == "\\", line.index(after: i) < line.endIndex { key.append(line[line.index(after: i)]); i = line.index(i, offsetBy: 2); continue }
                if c == "=" || c == ":" || c == " " || c == "\t" || c == "\u{0C}" { break }
                key.append(c); i = line.index(after: i)
            }
            var rest = line[i...].drop { $0 == " " || $0 == "\t" || $0 == "\u{0C}" }
            if rest.first == "=" || rest.first == ":" { rest = rest.dropFirst().drop { $0 == " " || $0 == "\t" || $0 == "\u{0C}" } }
            return (key, String(rest))
        }
    }
}
