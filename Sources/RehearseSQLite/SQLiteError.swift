import CSQLite3
import Foundation
import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

/// An error reported by SQLite: its result code, its message and the SQL that
/// was running. Bound values are never included.
package struct SQLiteError: Error, CustomStringConvertible, Sendable {
    package var resultCode: Int32
    package var message: String
    package var sql: String?

    package var description: String {
        var text = "SQLite error \(resultCode): \(message)"
        if let sql { text += " - while executing `\(SQLExcerpt.of(sql))`" }
        return text
    }
}
