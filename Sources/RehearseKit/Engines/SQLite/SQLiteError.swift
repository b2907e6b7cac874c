import CSQLite3

/// An error reported by SQLite: its result code, its message and the SQL that
/// was running. Bound values are never included.
public struct SQLiteError: Error, CustomStringConvertible, Sendable {
    public var resultCode: Int32
    public var message: String
    public var sql: String?

    public var description: String {
        var text = "SQLite error \(resultCode): \(message)"
        if let sql { text += " - while executing `\(SQLiteError.excerpt(sql))`" }
        return text
    }

    package static func excerpt(_ sql: String, limit: Int = 160) -> String {
        let oneLine = sql.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: " ")
        return oneLine.count > limit ? String(oneLine.prefix(limit)) + "…" : oneLine
    }
}

import Foundation
