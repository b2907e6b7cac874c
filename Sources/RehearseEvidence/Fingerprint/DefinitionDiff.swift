import Foundation
import RehearseCore

/// Before and after of a changed definition as a small unified diff of its
/// normalized text, and which columns really moved, so a drift report reads
/// like a diff: `- … (a, b)` / `+ … (b, a)` rather than "definition changed",
/// and one moved column rather than every column after it.
package enum DefinitionDiff {
    /// Lines of a unified diff between two texts, one context line around
    /// each change, each line prefixed `  ` (same), `- ` (before) or `+ `
    /// (after). A one-line definition (an index, a constraint) is split at
    /// top-level commas so the key or column that changed stands out.
    package static func lines(_ before: String, _ after: String, context: Int = 1) -> [String] {
        var a = split(before), b = split(after)
        if a.count == 1 && b.count == 1 {
            a = splitAtCommas(before)
            b = splitAtCommas(after)
        }
        let ops = diff(a, b)
        // Keep the changes and `context` equal lines either side.
        var keep = Array(repeating: false, count: ops.count)
        for (i, op) in ops.enumerated() where op.0 != " " {
            for j in max(0, i - context)...min(ops.count - 1, i + context) { keep[j] = true }
        }
        var out: [String] = []
        var skipped = false
        for (i, op) in ops.enumerated() {
            if keep[i] {
                if skipped, !out.isEmpty { out.append("  …") }
                skipped = false
                out.append("\(op.0) \(op.1)")
            } else {
                skipped = true
            }
        }
        return out
    }

    private static func split(_ s: String) -> [String] {
        s.split(separator: "\n", omittingEmptySubsequences: false).map { String($0) }
    }

    /// `CREATE INDEX i ON t USING btree (a, b)` → `CREATE INDEX i ON t USING btree (a,` / `b)`:
    /// breaks after each comma outside quotes, keeping the text whole when joined.
    private static func splitAtCommas(_ s: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var quote: Character?
        for ch in s {
            current.append(ch)
            if let q = quote { if ch == q { quote = nil }; continue }
            if ch == "'" || ch == "\"" { quote = ch; continue }
            if ch == "," {
                parts.append(current)
                current = ""
            }
        }
        if !current.isEmpty || parts.isEmpty { parts.append(current) }
        return parts.map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// A longest-common-subsequence line diff (definitions are short).
    private static func diff(_ a: [String], _ b: [String]) -> [(Character, String)] {
        let n = a.count, m = b.count
        guard n * m <= 4_000_000 else { return a.map { ("-", $0) } + b.map { ("+", $0) } }
        var lcs = Array(repeating: Array(repeating: 0, count: m + 1), count: n + 1)
        for i in stride(from: n - 1, through: 0, by: -1) {
            for j in stride(from: m - 1, through: 0, by: -1) {
                lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : max(lcs[i + 1][j], lcs[i][j + 1])
            }
        }
        var out: [(Character, String)] = []
        var i = 0, j = 0
        while i < n || j < m {
            if i < n, j < m, a[i] == b[j] { out.append((" ", a[i])); i += 1; j += 1 }
            else if i < n, j == m || lcs[i + 1][j] >= lcs[i][j + 1] { out.append(("-", a[i])); i += 1 }
            else { out.append(("+", b[j])); j += 1 }
        }
        return out
    }

    /// Of the columns both orders share, those that moved: the ones outside
    /// a longest common subsequence of the two orders. Dropping or adding a
    /// column shifts the rest without moving them.
    package static func movedColumns(before: [String], after: [String]) -> Set<String> {
        let shared = Set(before).intersection(after)
        let a = before.filter(shared.contains), b = after.filter(shared.contains)
        guard a != b else { return [] }
        let stay = Set(diff(a, b).filter { $0.0 == " " }.map(\.1))
        return shared.subtracting(stay)
    }
}
