/// What one birth statement can do to rows, read from its tokens alone (no
/// schema, no engine), so the rehearsal and the validator classify the same
/// sealed text the same way. The classes and their rules are in
/// docs/VERDICTS.md; a statement the reader does not know is `opaque`, never
/// `schema`: an unknown statement is assumed to be able to change data.
public struct StatementEffect: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// INSERT, UPDATE, DELETE, MERGE, REPLACE, COPY, or a WITH that holds
        /// one: the engine counts the rows it matched.
        case rows
        /// TRUNCATE, DROP TABLE, ALTER TABLE … DROP COLUMN / ALTER COLUMN …
        /// TYPE / USING: it rewrites or destroys every existing row of a table.
        case table
        /// May change rows by means rehearse cannot count: DO, CALL, a SELECT
        /// or EXECUTE that can call a function, EXPLAIN ANALYZE, REFRESH,
        /// DROP SCHEMA, anything unknown.
        case opaque
        /// Changes no row: CREATE, most ALTER and DROP, COMMENT, GRANT, SET, ….
        case schema
    }

    public var kind: Kind
    /// The tables it acts on, as written (`schema.name` when qualified).
    public var tables: [String]
    /// Its WHERE clause, as written, when it has one (for the report's hint).
    public var predicate: String?

    public var changesData: Bool { kind != .schema }

    public static func classify(_ sql: String, dialect: String) -> StatementEffect {
        let tokens = SQLNormalizer.lex(sql)
        let postgres = dialect != "sqlite"
        func word(_ i: Int) -> String? { i < tokens.count && !tokens[i].quoted ? tokens[i].text : nil }
        func words(_ set: Set<String>) -> Bool { tokens.contains { !$0.quoted && set.contains($0.text) } }
        guard let first = word(0) else { return StatementEffect(kind: postgres ? .opaque : .schema, tables: []) }
        let dml: Set<String> = ["insert", "update", "delete", "merge", "replace", "upsert"]
        switch first {
        case "insert", "update", "delete", "merge", "replace", "copy":
            return StatementEffect(kind: .rows, tables: target(tokens).map { [$0] } ?? [], predicate: whereClause(tokens))
        case "with":
            // A data-modifying CTE hides its DML behind the WITH.
            if words(dml) { return StatementEffect(kind: .rows, tables: target(tokens).map { [$0] } ?? [], predicate: whereClause(tokens)) }
            return StatementEffect(kind: postgres ? .opaque : .schema, tables: [])
        case "truncate":
            var i = 1
            while let w = word(i), ["table", "only"].contains(w) { i += 1 }
            return tableList(tokens, from: i)
        case "drop":
            if word(1) == "table" {
                var i = 2
                if word(i) == "if", word(i + 1) == "exists" { i += 2 }
                return tableList(tokens, from: i)
            }
            if ["schema", "owned", "database"].contains(word(1) ?? "") { return StatementEffect(kind: .opaque, tables: []) }
            return StatementEffect(kind: .schema, tables: [])
        case "alter":
            guard word(1) == "table" else { return StatementEffect(kind: .schema, tables: []) }
            var i = 2
            while let w = word(i), ["if", "exists", "only"].contains(w) { i += 1 }
            guard let (name, after) = name(tokens, at: i) else { return StatementEffect(kind: .opaque, tables: []) }
            let rest = tokens[min(after, tokens.count)...]
            var rewrites = false
            for (k, t) in zip(rest.indices, rest) where !t.quoted {
                // DROP COLUMN x / DROP x (not DROP CONSTRAINT, DEFAULT, NOT NULL, …),
                // ALTER COLUMN x TYPE …, SET DATA TYPE, USING.
                if t.text == "drop", let next = k + 1 < tokens.count ? tokens[k + 1] : nil,
                   next.quoted || !["constraint", "default", "not", "identity", "expression", "trigger", "rule"].contains(next.text) { rewrites = true }
                if t.text == "type" || t.text == "using" { rewrites = true }
            }
            return StatementEffect(kind: rewrites ? .table : .schema, tables: rewrites ? [name] : [])
        case "select", "values":
            // A SQLite SELECT cannot write; a PostgreSQL one can call a function that does.
            return StatementEffect(kind: postgres ? .opaque : .schema, tables: [])
        case "explain":
            return StatementEffect(kind: postgres && words(["analyze", "analyse"]) ? .opaque : .schema, tables: [])
        case "create":
            // CREATE TABLE … AS and CREATE MATERIALIZED VIEW fill a new table: its
            // rows show in the data surface; they destroy nothing that existed.
            return StatementEffect(kind: .schema, tables: [])
        case "comment", "grant", "revoke", "set", "reset", "begin", "start", "commit", "end", "rollback", "savepoint",
             "release", "analyze", "analyse", "vacuum", "reindex", "cluster", "lock", "pragma", "attach", "detach",
             "checkpoint", "discard", "security", "listen", "notify", "unlisten", "show", "prepare", "deallocate":
            return StatementEffect(kind: .schema, tables: [])
        default:
            // DO, CALL, EXECUTE, REFRESH, IMPORT, anything new: not counted, assumed able to write.
            return StatementEffect(kind: .opaque, tables: [])
        }
    }

    /// The table a DML statement writes: after INTO (INSERT, MERGE, REPLACE),
    /// FROM (DELETE), UPDATE [ONLY]; for a WITH, the outermost such word
    /// after the CTEs' parentheses close.
    static func target(_ tokens: [SQLNormalizer.Token]) -> String? {
        var depth = 0
        for (i, t) in tokens.enumerated() {
            if !t.quoted && t.text == "(" { depth += 1; continue }
            if !t.quoted && t.text == ")" { depth -= 1; continue }
            guard depth == 0, !t.quoted else { continue }
            var j = i + 1
            switch t.text {
            case "update": break
            case "into" where i > 0 && ["insert", "merge", "replace", "ignore", "abort", "fail", "rollback"].contains(tokens[i - 1].text): break
            case "from" where i > 0 && tokens[i - 1].text == "delete": break
            case "copy" where i == 0: break
            default: continue
            }
            if j < tokens.count, !tokens[j].quoted, ["only", "or"].contains(tokens[j].text) {
                j += tokens[j].text == "or" ? 2 : 1
            }
            if let (n, _) = name(tokens, at: j) { return n }
        }
        return nil
    }

    /// A possibly qualified name at `i`: its text and the index after it.
    static func name(_ tokens: [SQLNormalizer.Token], at i: Int) -> (String, Int)? {
        guard i < tokens.count, tokens[i].quoted || tokens[i].text.first.map({ $0.isLetter || $0 == "_" }) == true else { return nil }
        var parts = [tokens[i].text]
        var j = i + 1
        while j + 1 < tokens.count, tokens[j].isKeyword("."), tokens[j + 1].quoted || tokens[j + 1].text.first?.isLetter == true || tokens[j + 1].text.first == "_" {
            parts.append(tokens[j + 1].text)
            j += 2
        }
        return (parts.joined(separator: "."), j)
    }

    static func tableList(_ tokens: [SQLNormalizer.Token], from start: Int) -> StatementEffect {
        var names: [String] = []
        var i = start
        while let (n, next) = name(tokens, at: i) {
            names.append(n)
            i = next
            if i < tokens.count, tokens[i].isKeyword("*") { i += 1 }
            guard i < tokens.count, tokens[i].isKeyword(",") else { break }
            i += 1
        }
        return StatementEffect(kind: names.isEmpty ? .opaque : .table, tables: names)
    }

    /// The top-level WHERE clause up to RETURNING / ORDER / LIMIT / the end.
    static func whereClause(_ tokens: [SQLNormalizer.Token]) -> String? {
        var depth = 0
        var start: Int?
        var end = tokens.count
        for (i, t) in tokens.enumerated() where !t.quoted {
            if t.text == "(" { depth += 1 } else if t.text == ")" { depth -= 1 }
            guard depth == 0 else { continue }
            if start == nil, t.text == "where" { start = i }
            else if start != nil, ["returning", "order", "limit", ";"].contains(t.text) { end = i; break }
        }
        guard let start, start + 1 < end else { return nil }
        return SQLNormalizer.render(tokens[start..<end])
    }
}
