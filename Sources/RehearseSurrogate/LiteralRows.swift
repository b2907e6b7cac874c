import Foundation
import RehearseCore

/// Whether a query (as ``SQLNormalizer/tokens(_:)``) yields rows written as
/// literals rather than read from tables: a VALUES list used as rows, or a
/// SELECT branch with no FROM that selects a literal. Used by
/// ``SchemaDataGuard`` for views, materialized views and set-returning
/// functions under `HOLD_REAL_DATA`.
package enum LiteralRows {
    /// Words after which `VALUES` starts a row list (not `INSERT … VALUES`,
    /// which follows a table name or its column list, nor `DEFAULT VALUES`).
    static let valuesAfter: Set<String> = ["(", "as", "query", "union", "all", "except", "intersect", "distinct", ";"]
    /// Words after which `(SELECT …` is a row source of its own.
    /// (Any run of parentheses between: `FROM ((SELECT …`; not a call's: `coalesce((SELECT …`.)
    static let sourceBefore: Set<String> = ["from", "join", "as", "lateral", "query", "union", "all", "except", "intersect", ";"]

    /// Why `q` yields literal rows, or nil.
    package static func `in`(_ q: [String]) -> String? {
        var depth = [Int](repeating: 0, count: q.count)
        var d = 0
        for (i, token) in q.enumerated() {
            if token == ")" { d -= 1 }
            depth[i] = d
            if token == "(" { d += 1 }
        }
        for (i, token) in q.enumerated() where token == "values" {
            if i == 0 || valuesAfter.contains(q[i - 1]) || q[i - 1].hasPrefix("$") { return "a VALUES list" }
        }
        for (k, token) in q.enumerated() where token == "select" {
            // a branch of the query itself, or of a row source in parentheses
            let starts = k == 0 || depth[k] == 0 || q[k - 1].hasPrefix("$")
                || (q[k - 1] == "(" && { var p = k - 1; while p > 0, q[p] == "(" { p -= 1 }; return q[p] == "(" || sourceBefore.contains(q[p]) || depth[p] == 0 && p == 0 }())
                || ["union", "all", "except", "intersect", "distinct", "query", ";"].contains(q[k - 1])
            guard starts else { continue }
            var j = k + 1, from: Int?, literal: String?
            while j < q.count, depth[j] >= depth[k] {
                let t = q[j]
                if depth[j] == depth[k] {
                    if ["union", "intersect", "except", ";"].contains(t) || t.hasPrefix("$") { break }
                    // SELECT … INTO a variable (PL/pgSQL) returns no row
                    if t == "into" { from = -1; break }
                    if t == "from" { from = j; break }
                }
                if literal == nil, isLiteral(t) { literal = t }
                j += 1
            }
            guard literal != nil else { continue }
            if from == nil { return "a SELECT from no table that selects a literal" }
            if let f = from, f >= 0, onlyFunctions(q, from: f, depth: depth) {
                return "a SELECT that selects a literal from functions only (\(q[f + 1])(…)), no table"
            }
        }
        return nil
    }

    /// Built-in set-returning functions whose rows come from their arguments,
    /// not from a table (a function of the schema's own may read tables).
    static let rowMakers: Set<String> = ["generate_series", "generate_subscripts", "unnest", "regexp_split_to_table", "string_to_table",
                                         "json_array_elements", "json_array_elements_text", "jsonb_array_elements", "jsonb_array_elements_text",
                                         "json_each", "json_each_text", "jsonb_each", "jsonb_each_text", "json_to_recordset", "jsonb_to_recordset",
                                         "json_populate_recordset", "jsonb_populate_recordset", "json_to_record", "jsonb_to_record"]

    /// Whether every item of the FROM list at `from` is a call of a built-in
    /// row maker (`generate_series(1, 2)`, `pg_catalog.unnest(…)`), so its
    /// rows come from no table.
    static func onlyFunctions(_ q: [String], from: Int, depth: [Int]) -> Bool {
        let d = depth[from]
        var i = from + 1, items = 0
        while i < q.count, depth[i] >= d {
            // one item: name [. name] ( … ) [alias]
            var n = i
            while n + 2 < q.count, q[n + 1] == "." { n += 2 }
            guard n + 1 < q.count, q[n + 1] == "(", rowMakers.contains(q[n]), n == i || (n == i + 2 && q[i] == "pg_catalog") else { return false }
            items += 1
            // skip to the next item at this depth (a comma or a JOIN), or the end of the FROM list
            var j = n + 2
            while j < q.count, depth[j] > d { j += 1 }
            while j < q.count, depth[j] == d, ![",", "join", "where", "group", "having", "order", "limit", "union", "intersect", "except", "window", ";"].contains(q[j]) { j += 1 }
            guard j < q.count, depth[j] == d, q[j] == "," || q[j] == "join" else { return items > 0 }
            i = j + 1
            while i < q.count, ["lateral", "only"].contains(q[i]) { i += 1 }
        }
        return items > 0
    }

    /// A string constant or a number (not a word, a parameter or NULL).
    static func isLiteral(_ t: String) -> Bool {
        guard let c = t.utf8.first else { return false }
        if c == UInt8(ascii: "'") { return true }
        return (48...57).contains(c) && t.utf8.allSatisfy { (48...57).contains($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") }
    }

    /// The object's name after the token at `index` (skipping IF NOT EXISTS).
    package static func name(_ t: [String], after index: Int) -> String {
        var i = index + 1
        if i + 2 < t.count, t[i] == "if", t[i + 1] == "not", t[i + 2] == "exists" { i += 3 }
        var name = i < t.count ? t[i] : "?"
        while i + 2 < t.count, t[i + 1] == "." { name += "." + t[i + 2]; i += 2 }
        return name
    }

    /// A function or procedure that returns a set (`RETURNS SETOF`,
    /// `RETURNS TABLE`) whose body yields literal rows; nil otherwise.
    package static func inSetReturningFunction(_ sql: String, tokens t: [String]) -> String? {
        guard let r = t.firstIndex(of: "returns"), r + 1 < t.count, t[r + 1] == "setof" || t[r + 1] == "table" else { return nil }
        var why: String?
        for body in bodies(sql) {
            if let w = self.in(SQLNormalizer.tokens(body)) { why = w; break }
        }
        if why == nil, let w = self.in(Array(t[(r + 2)...].drop { $0 != "as" && $0 != "return" && $0 != "atomic" }.dropFirst())) { why = w }
        guard let why else { return nil }
        let kindIndex = t.firstIndex { $0 == "function" || $0 == "procedure" } ?? 1
        return "the set-returning function \(name(t, after: kindIndex)) returns rows written in the schema (\(why) in its body), not derived from the generated tables"
    }

    /// The bodies of a function definition: each `$tag$…$tag$` and each
    /// single-quoted constant after AS.
    static func bodies(_ sql: String) -> [String] {
        let s = Array(sql.utf8)
        var out: [String] = []
        var i = 0
        while i < s.count {
            if s[i] == UInt8(ascii: "$") {
                var j = i + 1
                while j < s.count, SQLNormalizer.isWordByte(s[j]), s[j] != UInt8(ascii: "$") { j += 1 }
                if j < s.count, s[j] == UInt8(ascii: "$"), !(i + 1 < s.count && (48...57).contains(s[i + 1])) {
                    let tag = Array(s[i...j])
                    var k = j + 1
                    while k + tag.count <= s.count, !s[k..<(k + tag.count)].elementsEqual(tag) { k += 1 }
                    if k + tag.count <= s.count {
                        out.append(String(decoding: s[(j + 1)..<k], as: UTF8.self))
                        i = k + tag.count
                        continue
                    }
                }
            } else if s[i] == UInt8(ascii: "'") {
                var j = i + 1, text: [UInt8] = []
                while j < s.count {
                    if s[j] == UInt8(ascii: "'") {
                        if j + 1 < s.count, s[j + 1] == UInt8(ascii: "'") { text.append(s[j]); j += 2; continue }
                        break
                    }
                    text.append(s[j]); j += 1
                }
                if text.count > 16 { out.append(String(decoding: text, as: UTF8.self)) }
                i = j + 1
                continue
            }
            i += 1
        }
        return out
    }
}
