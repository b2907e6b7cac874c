import RehearseCore

/// What one birth statement can do to rows, read from its tokens alone (no
/// schema, no engine), so the rehearsal and the validator classify the same
/// sealed text the same way. The classes and their rules are in
/// docs/VERDICTS.md; a statement the reader does not know is `opaque`, never
/// `schema`: an unknown statement is assumed to be able to change data.
package struct StatementEffect: Sendable, Equatable {
    package enum Kind: String, Sendable, CaseIterable {
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

    package var kind: Kind
    /// The tables it acts on, as written (`schema.name` when qualified).
    package var tables: [String]
    /// Its WHERE clause, as written, when it has one (for the report's hint).
    package var predicate: String?
    /// UPDATE: the columns it assigns (lower case).
    package var setColumns: [String] = []
    /// ALTER TABLE … ADD [COLUMN] x: the columns it adds (lower case).
    package var addedColumns: [String] = []
    /// ALTER TABLE a RENAME TO b: b; CREATE TABLE b: b (with `created`).
    package var newName: String?
    package var created = false
    /// CREATE TRIGGER: its name and the tables its body writes (SQLite bodies);
    /// DROP TRIGGER: the name (in `trigger`).
    package var trigger: String?
    package var triggerWrites: [String] = []
    /// ALTER … TYPE to a type that can lose information (a length, precision
    /// or scale, a narrower integer or float, date/time from a timestamp) or
    /// with USING: such a rewrite must change a stored value to be exercised.
    /// Widening (to bigint, text, unbounded varchar or numeric, double
    /// precision, timestamp without precision) keeps every value.
    package var lossyRewrite = false

    package var changesData: Bool { kind != .schema }

    package static func classify(_ sql: String, dialect: Dialect) -> StatementEffect {
        let tokens = SQLNormalizer.lex(sql)
        let postgres = dialect != .sqlite
        func word(_ i: Int) -> String? { i < tokens.count && !tokens[i].quoted ? tokens[i].text : nil }
        func words(_ set: Set<String>) -> Bool { tokens.contains { !$0.quoted && set.contains($0.text) } }
        guard let first = word(0) else { return StatementEffect(kind: postgres ? .opaque : .schema, tables: []) }
        let dml: Set<String> = ["insert", "update", "delete", "merge", "replace", "upsert"]
        switch first {
        case "insert", "update", "delete", "merge", "replace", "copy":
            var e = StatementEffect(kind: .rows, tables: target(tokens).map { [$0] } ?? [], predicate: whereClause(tokens))
            if first == "update" { e.setColumns = setTargets(tokens) }
            return e
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
            var e = StatementEffect(kind: .schema, tables: [])
            if word(1) == "trigger" {
                var i = 2
                if word(i) == "if", word(i + 1) == "exists" { i += 2 }
                e.trigger = name(tokens, at: i)?.0.lowercased()
            }
            return e
        case "alter":
            guard word(1) == "table" else { return StatementEffect(kind: .schema, tables: []) }
            var i = 2
            while let w = word(i), ["if", "exists", "only"].contains(w) { i += 1 }
            guard let (name, after) = name(tokens, at: i) else { return StatementEffect(kind: .opaque, tables: []) }
            let rest = tokens[min(after, tokens.count)...]
            // RENAME TO b (not RENAME COLUMN): later statements name the table b.
            if let r = rest.firstIndex(where: { $0.isKeyword("rename") }), r + 2 < tokens.count, tokens[r + 1].isKeyword("to"),
               let (to, _) = Self.name(tokens, at: r + 2) {
                var e = StatementEffect(kind: .schema, tables: [name])
                e.newName = to
                return e
            }
            var added: [String] = []
            for k in rest.indices where tokens[k].isKeyword("add") {
                var j = k + 1
                if j < tokens.count, tokens[j].isKeyword("column") { j += 1 }
                while j + 1 < tokens.count, tokens[j].isKeyword("if") || tokens[j].isKeyword("not") || tokens[j].isKeyword("exists") { j += 1 }
                if j < tokens.count, tokens[j].quoted || !["constraint", "primary", "unique", "foreign", "check", "exclude"].contains(tokens[j].text) {
                    added.append(tokens[j].text.lowercased())
                }
            }
            var rewrites = false
            for (k, t) in zip(rest.indices, rest) where !t.quoted {
                // DROP COLUMN x / DROP x (not DROP CONSTRAINT, DEFAULT, NOT NULL, …),
                // ALTER COLUMN x TYPE …, SET DATA TYPE, USING.
                if t.text == "drop", let next = k + 1 < tokens.count ? tokens[k + 1] : nil,
                   next.quoted || !["constraint", "default", "not", "identity", "expression", "trigger", "rule"].contains(next.text) { rewrites = true }
                if t.text == "type" || t.text == "using" { rewrites = true }
            }
            var e = StatementEffect(kind: rewrites ? .table : .schema, tables: [name])
            e.addedColumns = added
            let widening: Set<String> = ["bigint", "int8", "text", "varchar", "numeric", "decimal", "double", "float8", "timestamp",
                                         "timestamptz", "jsonb", "json", "citext", "bytea"]
            for k in rest.indices where tokens[k].isKeyword("type") || tokens[k].isKeyword("using") {
                if tokens[k].isKeyword("using") { e.lossyRewrite = true; continue }
                let typeName = k + 1 < tokens.count ? tokens[k + 1].text : ""
                let typmod = k + 2 < tokens.count && tokens[k + 2].isKeyword("(")
                    || (typeName == "character" && k + 3 < tokens.count && tokens[k + 3].isKeyword("("))
                if typmod || !widening.contains(typeName) && !(typeName == "character" && k + 2 < tokens.count && tokens[k + 2].isKeyword("varying")) {
                    e.lossyRewrite = true
                }
            }
            return e
        case "select", "values":
            // A SQLite SELECT cannot write; a PostgreSQL one can call a function
            // that does, unless every function it calls is a built-in that writes nothing.
            return StatementEffect(kind: postgres && callsUnknownFunction(tokens) ? .opaque : .schema, tables: [])
        case "explain":
            return StatementEffect(kind: postgres && words(["analyze", "analyse"]) ? .opaque : .schema, tables: [])
        case "create":
            // CREATE TABLE … AS and CREATE MATERIALIZED VIEW fill a new table:
            // they destroy nothing that existed, and a table the birth made is
            // no proof that the birth changed existing data.
            var i = 1
            while let w = word(i), ["temp", "temporary", "unlogged", "global", "local"].contains(w) { i += 1 }
            var e = StatementEffect(kind: .schema, tables: [])
            if word(i) == "trigger" {
                i += 1
                if word(i) == "if", word(i + 1) == "not", word(i + 2) == "exists" { i += 3 }
                e.trigger = name(tokens, at: i)?.0.lowercased()
                if let begin = tokens.firstIndex(where: { $0.isKeyword("begin") }) {
                    var segment: [SQLNormalizer.Token] = []
                    for t in tokens[(begin + 1)...] {
                        if t.isKeyword(";") || t.isKeyword("end") {
                            if let w = segment.first, !w.quoted, ["insert", "update", "delete", "replace"].contains(w.text), let n = target(segment) { e.triggerWrites.append(n) }
                            segment = []
                        } else { segment.append(t) }
                    }
                }
            }
            if word(i) == "table" {
                i += 1
                if word(i) == "if", word(i + 1) == "not", word(i + 2) == "exists" { i += 3 }
                if let (n, _) = name(tokens, at: i) { e.newName = n; e.created = true }
            }
            return e
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
    package static func target(_ tokens: [SQLNormalizer.Token]) -> String? {
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
    package static func name(_ tokens: [SQLNormalizer.Token], at i: Int) -> (String, Int)? {
        guard i < tokens.count, tokens[i].quoted || tokens[i].text.first.map({ $0.isLetter || $0 == "_" }) == true else { return nil }
        var parts = [tokens[i].text]
        var j = i + 1
        while j + 1 < tokens.count, tokens[j].isKeyword("."), tokens[j + 1].quoted || tokens[j + 1].text.first?.isLetter == true || tokens[j + 1].text.first == "_" {
            parts.append(tokens[j + 1].text)
            j += 2
        }
        return (parts.joined(separator: "."), j)
    }

    package static func tableList(_ tokens: [SQLNormalizer.Token], from start: Int) -> StatementEffect {
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

    /// Built-ins that read only; any other name called in a PostgreSQL SELECT
    /// makes it `opaque` (a user function can write).
    package static let readOnlyFunctions: Set<String> = [
        "count", "sum", "min", "max", "avg", "coalesce", "nullif", "lower", "upper", "length", "char_length", "octet_length",
        "abs", "round", "trunc", "floor", "ceil", "now", "greatest", "least", "string_agg", "array_agg", "bool_and", "bool_or",
        "every", "substr", "substring", "trim", "btrim", "ltrim", "rtrim", "to_char", "date_trunc", "extract", "md5",
        "concat", "concat_ws", "format", "jsonb_typeof", "json_typeof", "pg_typeof", "isempty", "cardinality", "array_length",
        "position", "replace", "left", "right", "split_part", "regexp_replace", "to_jsonb", "jsonb_agg", "row_number", "rank",
    ]
    package static let notCalls: Set<String> = ["in", "exists", "any", "all", "some", "values", "from", "select", "as", "over", "filter",
                                        "within", "and", "or", "not", "on", "using", "where", "join", "cast", "when", "then",
                                        "else", "case", "is", "by", "having", "group", "order", "limit", "offset", "with", "distinct",
                                        "between", "like", "ilike", "array", "row", "union", "except", "intersect", "returning", "into"]

    package static func callsUnknownFunction(_ tokens: [SQLNormalizer.Token]) -> Bool {
        for i in tokens.indices.dropLast() where tokens[i + 1].isKeyword("(") {
            let t = tokens[i]
            if t.quoted { return true }
            guard t.text.first.map({ $0.isLetter || $0 == "_" }) == true, !notCalls.contains(t.text) else { continue }
            if !readOnlyFunctions.contains(t.text) { return true }
        }
        return false
    }

    /// The columns an UPDATE assigns: `SET a = …, t.b = …, (c, d) = …` up to
    /// FROM / WHERE / RETURNING, at the top level.
    package static func setTargets(_ tokens: [SQLNormalizer.Token]) -> [String] {
        guard let set = tokens.firstIndex(where: { $0.isKeyword("set") }) else { return [] }
        var out: [String] = []
        var depth = 0
        var expectName = true
        var i = set + 1
        while i < tokens.count {
            let t = tokens[i]
            if !t.quoted, ["from", "where", "returning", ";"].contains(t.text), depth == 0 { break }
            if t.isKeyword("(") { depth += 1 } else if t.isKeyword(")") { depth -= 1 }
            if t.isKeyword(","), depth == 0 { expectName = true } else if t.isKeyword("=") && depth == 0 { expectName = false }
            else if expectName, depth <= 1, t.quoted || t.text.first.map({ $0.isLetter || $0 == "_" }) == true {
                // The last part of a qualified name is the column.
                if i + 1 < tokens.count, tokens[i + 1].isKeyword(".") { i += 1; continue }
                out.append(t.text.lowercased())
                if depth == 0 { expectName = false }
            }
            i += 1
        }
        return out
    }

    /// The top-level WHERE clause up to RETURNING / ORDER / LIMIT / the end.
    package static func whereClause(_ tokens: [SQLNormalizer.Token]) -> String? {
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
