import Foundation

/// SQL shortened for a message: one line, whitespace runs joined, at most
/// `limit` characters. Bound values are never part of it.
package enum SQLExcerpt {
    package static func of(_ sql: String, limit: Int = 160) -> String {
        let oneLine = sql.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: " ")
        return oneLine.count > limit ? String(oneLine.prefix(limit)) + "…" : oneLine
    }
}
