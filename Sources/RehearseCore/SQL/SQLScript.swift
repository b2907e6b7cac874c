import Foundation

/// A SQL file under rehearsal (schema, birth, rollback or checks): its text,
/// where it came from, and its SHA-256 over the exact bytes read.
public struct SQLScript: Sendable {
    /// The path as given in messages, relative to the surrogate directory.
    public var displayPath: String
    public var url: URL
    public var text: String {
        didSet { lineStarts = Self.lineStarts(of: text) }
    }
    public var sha256: String
    /// The UTF-8 byte offset at which each line starts, so a location costs
    /// a binary search and one line's bytes, not a scan from the top: the
    /// loaders and the schema data guard ask for one per statement, and a
    /// real schema has tens of thousands of them.
    private var lineStarts: [Int]

    /// Reads a file on its own (outside a surrogate's confinement rules) and
    /// checks its bytes like every other input: UTF-8 text, no NUL byte.
    public init(url: URL, displayPath: String) throws {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw RehearseError.badInput("\(displayPath): the file is missing or unreadable (looked at \(url.path)). Create it or fix the name in the manifest.")
        }
        let text = try InputText.decode(data, file: displayPath)
        self.init(displayPath: displayPath, url: url, text: text, sha256: Digest.sha256Hex(data))
    }

    /// A script from a surrogate input already read (and checked) once: the
    /// text is exactly the bytes digested and sealed.
    public init(file: InputFile) throws {
        self.init(displayPath: file.display, url: file.url, text: try InputText.decode(file.bytes, file: file.display), sha256: file.sha256)
    }

    public init(displayPath: String, url: URL, text: String, sha256: String) {
        self.displayPath = displayPath
        self.url = url
        self.text = text
        self.sha256 = sha256
        lineStarts = Self.lineStarts(of: text)
    }

    private static func lineStarts(of text: String) -> [Int] {
        var starts = [0]
        var n = 0
        for byte in text.utf8 {
            n += 1
            if byte == 0x0a { starts.append(n) }
        }
        return starts
    }

    /// The 1-based line of a UTF-8 byte offset into ``text``: a binary search
    /// over the line starts, what the per-statement records need.
    public func line(ofByteOffset offset: Int) -> Int {
        let target = min(max(offset, 0), text.utf8.count)
        var low = 0, high = lineStarts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if lineStarts[mid] <= target { low = mid } else { high = mid - 1 }
        }
        return low + 1
    }

    /// Line and column (both 1-based) of a UTF-8 byte offset into ``text``.
    public func location(ofByteOffset offset: Int) -> (line: Int, column: Int) {
        let utf8 = text.utf8
        let target = min(max(offset, 0), utf8.count)
        let low = line(ofByteOffset: target) - 1
        // The column costs the bytes of its line: ask for it only to report
        // one place (an error), never per statement, or a script written on
        // one line costs the square of its length.
        var column = 1
        let start = utf8.index(utf8.startIndex, offsetBy: lineStarts[low])
        for byte in utf8[start..<utf8.index(utf8.startIndex, offsetBy: target)] where byte & 0xC0 != 0x80 { column += 1 }
        return (low + 1, column)
    }
}

/// Where and why a statement of a script failed.
public struct ScriptFailure: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var line: Int
    public var column: Int
    public var statement: String
    public var engineMessage: String

    public var description: String {
        "\(file):\(line):\(column): \(engineMessage) - in statement `\(SQLExcerpt.of(statement))`"
    }

    package init(file: String, line: Int, column: Int, statement: String, engineMessage: String) {
        self.file = file
        self.line = line
        self.column = column
        self.statement = statement
        self.engineMessage = engineMessage
    }
}

/// Timing and effect of one statement of a birth or rollback script.
public struct StatementRecord: Sendable, Equatable {
    public var line: Int
    public var durationMicros: Int64
    public var rowsChanged: Int64
    public var excerpt: String

    package init(line: Int, durationMicros: Int64, rowsChanged: Int64, excerpt: String) {
        self.line = line
        self.durationMicros = durationMicros
        self.rowsChanged = rowsChanged
        self.excerpt = excerpt
    }
}

/// The byte rules every input (SQL, manifest, profile) obeys before anything
/// is provisioned. Engines read SQL as C strings and split it by their own
/// rules, so a byte they treat differently from rehearse makes the evidence
/// record something other than what ran: a NUL ends the text for SQLite and
/// libpq (the statements after it never run, yet are sealed); a carriage
/// return alone ends a `--` comment for PostgreSQL but not for rehearse's
/// splitters or SQLite, so a statement could hide in what rehearse reads as a
/// comment. Hence: strict UTF-8 (no overlong forms, no UTF-16 surrogates as
/// CESU-8 writes them, nothing above U+10FFFF, no sequence cut off at the end
/// of the file), no NUL or other control character except tab, form feed,
/// line feed and CR LF, no byte order mark (SQLite reads U+FEFF as part of a
/// name, psql drops it only at the very start: the engines disagree), and no
/// U+FFFE / U+FFFF (a byte-swapped mark or a sentinel, never text).
package enum InputText {
    /// Checks `bytes` and returns them as a string, or throws a bad-input
    /// error naming the file, the byte offset (from 0) and line:column.
    package static func decode(_ bytes: Data, file: String) throws -> String {
        if let problem = firstProblem(bytes) {
            let (line, column) = location(bytes, offset: problem.offset)
            throw RehearseError.badInput("\(file): byte offset \(problem.offset) (line \(line), column \(column)): \(problem.what). Every input must be UTF-8 text without NUL bytes, control characters (other than tab, form feed and line ends), a byte order mark, or CR-only line ends; fix the file (e.g. re-save it as UTF-8 without BOM with LF or CRLF line ends).")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The first byte that breaks the rules, and why.
    package static func firstProblem(_ bytes: Data) -> (offset: Int, what: String)? {
        bytes.withUnsafeBytes { raw -> (Int, String)? in
            let b = raw.bindMemory(to: UInt8.self)
            let n = b.count
            if n >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
                return (0, "the file starts with a UTF-8 byte order mark (U+FEFF), which the engines read differently")
            }
            var i = 0
            while i < n {
                let c = b[i]
                if c < 0x80 {
                    switch c {
                    case 0x00:
                        return (i, "a NUL byte; the engines stop reading SQL at a NUL, so what follows would be sealed but never run")
                    case 0x0D where i + 1 >= n || b[i + 1] != 0x0A:
                        return (i, "a carriage return not followed by a line feed; PostgreSQL ends a -- comment there and rehearse does not, so a statement could hide in a comment")
                    case 0x09, 0x0A, 0x0C, 0x0D:
                        break
                    case 0x01...0x1F, 0x7F:
                        return (i, "the control character U+\(hex4(UInt32(c)))")
                    default:
                        break
                    }
                    i += 1
                    continue
                }
                // Lead byte: how many continuation bytes, and the range the
                // first of them must fall in (which rules out overlong forms,
                // surrogates and values above U+10FFFF).
                let need: Int
                var low: UInt8 = 0x80, high: UInt8 = 0xBF
                switch c {
                case 0xC2...0xDF: need = 1
                case 0xE0: need = 2; low = 0xA0
                case 0xE1...0xEC, 0xEE, 0xEF: need = 2
                case 0xED: need = 2; high = 0x9F
                case 0xF0: need = 3; low = 0x90
                case 0xF1...0xF3: need = 3
                case 0xF4: need = 3; high = 0x8F
                case 0x80...0xBF:
                    return (i, "a UTF-8 continuation byte 0x\(hex2(c)) with no lead byte (not UTF-8)")
                case 0xC0, 0xC1:
                    return (i, "an overlong UTF-8 encoding (lead byte 0x\(hex2(c))), not valid UTF-8")
                default:
                    return (i, "the byte 0x\(hex2(c)), which never occurs in UTF-8")
                }
                if i + need >= n { return (i, "a UTF-8 sequence cut off by the end of the file") }
                let first = b[i + 1]
                if first < low || first > high {
                    if first & 0xC0 != 0x80 { return (i, "an incomplete UTF-8 sequence (lead byte 0x\(hex2(c)) followed by 0x\(hex2(first)))") }
                    if c == 0xED { return (i, "a UTF-16 surrogate encoded in UTF-8 (CESU-8 or a lone surrogate), not valid UTF-8") }
                    if c == 0xF4 { return (i, "a code point above U+10FFFF, not valid UTF-8") }
                    return (i, "an overlong UTF-8 encoding, not valid UTF-8")
                }
                for k in stride(from: 2, through: need, by: 1) {
                    if b[i + k] & 0xC0 != 0x80 {
                        return (i, "an incomplete UTF-8 sequence (lead byte 0x\(hex2(c)) followed by 0x\(hex2(b[i + k])))")
                    }
                }
                if c == 0xEF && first == 0xBF && (b[i + 2] == 0xBE || b[i + 2] == 0xBF) {
                    return (i, "the noncharacter U+FFF\(b[i + 2] == 0xBE ? "E" : "F") (a byte-swapped byte order mark or a sentinel), not text")
                }
                if c == 0xEF && first == 0xBB && b[i + 2] == 0xBF {
                    return (i, "a byte order mark (U+FEFF) inside the text, which the engines read differently")
                }
                i += need + 1
            }
            return nil
        }
    }

    /// Line and column (1-based; the column counts characters) of a byte offset.
    package static func location(_ bytes: Data, offset: Int) -> (line: Int, column: Int) {
        var line = 1, column = 1
        for (n, byte) in bytes.enumerated() {
            if n >= offset { break }
            if byte == 0x0A { line += 1; column = 1 } else if byte & 0xC0 != 0x80 { column += 1 }
        }
        return (line, column)
    }

    private static func hex2(_ b: UInt8) -> String {
        let s = String(b, radix: 16, uppercase: true)
        return s.count < 2 ? "0" + s : s
    }

    private static func hex4(_ v: UInt32) -> String {
        let s = String(v, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - s.count)) + s
    }
}
