import Foundation

/// A SQL file under rehearsal (schema, birth, rollback or checks): its text,
/// where it came from, and its SHA-256 over the exact bytes read.
public struct SQLScript: Sendable {
    /// The path as given in messages, relative to the surrogate directory.
    public var displayPath: String
    public var url: URL
    public var text: String
    public var sha256: String

    public init(url: URL, displayPath: String) throws {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw RehearseError.badInput("\(displayPath): the file is missing or unreadable (looked at \(url.path)). Create it or fix the name in the manifest.")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw RehearseError.badInput("\(displayPath): the file is not valid UTF-8. Save it as UTF-8.")
        }
        self.init(displayPath: displayPath, url: url, text: text, sha256: Digest.sha256Hex(data))
    }

    public init(displayPath: String, url: URL, text: String, sha256: String) {
        self.displayPath = displayPath
        self.url = url
        self.text = text
        self.sha256 = sha256
    }

    /// Line and column (both 1-based) of a UTF-8 byte offset into ``text``.
    public func location(ofByteOffset offset: Int) -> (line: Int, column: Int) {
        var line = 1, column = 1, n = 0
        for byte in text.utf8 {
            if n >= offset { break }
            if byte == 0x0a { line += 1; column = 1 } else if byte & 0xC0 != 0x80 { column += 1 }
            n += 1
        }
        return (line, column)
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
        "\(file):\(line):\(column): \(engineMessage) - in statement `\(SQLiteError.excerpt(statement))`"
    }
}

/// Timing and effect of one statement of a birth or rollback script.
public struct StatementRecord: Sendable, Equatable {
    public var line: Int
    public var durationMicros: Int64
    public var rowsChanged: Int64
    public var excerpt: String
}
