import CSQLite3
import Foundation
import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

/// An error reported by SQLite: its result code, its message and the SQL that
/// was running. Bound values are never included.
public struct SQLiteError: Error, CustomStringConvertible, Sendable {
    public var resultCode: Int32
    public var message: String
    public var sql: String?

    public var description: String {
        var text = "SQLite error \(resultCode): \(message)"
        if let sql { text += " - while executing `\(SQLExcerpt.of(sql))`" }
        return text
    }
}
