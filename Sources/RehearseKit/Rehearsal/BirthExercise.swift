/// Did the birth exercise its own data changes? A rollback can only be shown
/// to restore data that the birth changed: a DELETE that matched no row, or
/// an UPDATE whose new values were already there, proves nothing about the
/// rollback, and a PASS on it would be read as "my rollback is safe". This is
/// the one judgement both the rehearsal (to write the verdict) and the
/// validator (to re-check it, R17) make, from the same inputs: the sealed
/// birth's statements, the rows each one changed as the engine counted them,
/// and the pre and born fingerprints. Rules: docs/VERDICTS.md.
public struct BirthExercise: Sendable {
    /// One birth statement, judged.
    public struct Statement: Sendable {
        public var line: Int
        public var sql: String
        public var effect: StatementEffect
        /// Rows it matched: the engine's count for `rows`, the rows its tables
        /// held before birth for `table`; nil when nothing can count them.
        public var matchedRows: Int64?
    }

    /// A statement (or the birth as a whole) that did not exercise its data change.
    public struct Unexercised: Sendable, Equatable {
        public var line: Int?
        public var statement: String
        public var reason: String

        public var json: JSONValue {
            ["line": line.map { .integer(Int64($0)) } ?? .null, "statement": .string(statement), "reason": .string(reason)]
        }
    }

    public var statements: [Statement]
    public var unexercised: [Unexercised]

    /// Data tables of a fingerprint, by name: rows and digest.
    public typealias Tables = [String: (rows: Int64, digest: String)]

    public init(sql: [(line: Int, sql: String)], rowsChanged: [Int64], dialect: String, pre: Tables, born: Tables?, file: String) {
        var statements: [Statement] = []
        var unexercised: [Unexercised] = []
        func lookup(_ name: String, in tables: Tables) -> String? {
            if tables[name] != nil { return name }
            let parts = name.split(separator: ".").map(String.init)
            if parts.count == 2, parts[0].lowercased() == "public", tables[parts[1]] != nil { return parts[1] }
            let folded = name.lowercased()
            return tables.keys.sorted().first { $0.lowercased() == folded || (parts.count == 2 && parts[0].lowercased() == "public" && $0.lowercased() == parts[1].lowercased()) }
        }
        // Tables whose rows differ between pre and born, or that came or went.
        var changed = Set<String>()
        if let born {
            for (name, t) in pre where born[name].map({ $0.rows != t.rows || $0.digest != t.digest }) ?? true { changed.insert(name) }
            for name in born.keys where pre[name] == nil { changed.insert(name) }
        }
        changed.remove(SurrogateTag.provenanceTable)
        var anyDataChange = false
        var firstUncounted: Statement?
        for (n, s) in sql.enumerated() {
            let effect = StatementEffect.classify(s.sql, dialect: dialect)
            let excerpt = SQLiteError.excerpt(s.sql, limit: 120)
            var matched: Int64?
            switch effect.kind {
            case .rows:
                matched = n < rowsChanged.count ? rowsChanged[n] : 0
                if matched == 0 {
                    unexercised.append(Unexercised(line: s.line, statement: excerpt, reason: Self.zeroRowsReason(effect)))
                } else if let t = effect.tables.first, let name = lookup(t, in: pre), let born, born[name] != nil, !changed.contains(name) {
                    // Matched rows, yet the table's rows are as they were: every value
                    // it wrote was already there, so a rollback that forgets it passes.
                    unexercised.append(Unexercised(line: s.line, statement: excerpt, reason: "matched \(matched!) rows of \(name) but changed no stored value: every value it wrote was already there (text already in the case it sets, say). Keep the edge-case mix on (`edge_cases`), or give the columns it sets values it would change"))
                }
            case .table:
                let names = effect.tables.map { lookup($0, in: pre) }
                if names.allSatisfy({ $0 != nil }) {
                    matched = names.reduce(Int64(0)) { $0 + pre[$1!]!.rows }
                    if matched == 0 {
                        unexercised.append(Unexercised(line: s.line, statement: excerpt, reason: "\(names.map { $0! }.joined(separator: ", ")) held no rows before birth, so what this statement rewrites or destroys cannot be missed after rollback; give \(names.count == 1 ? "the table" : "the tables") rows in the profile"))
                    }
                }
                if matched == nil, firstUncounted == nil { firstUncounted = Statement(line: s.line, sql: excerpt, effect: effect, matchedRows: nil) }
            case .opaque:
                if firstUncounted == nil { firstUncounted = Statement(line: s.line, sql: excerpt, effect: effect, matchedRows: nil) }
            case .schema:
                break
            }
            if effect.changesData { anyDataChange = true }
            statements.append(Statement(line: s.line, sql: s.sql, effect: effect, matchedRows: matched))
        }
        if anyDataChange, born != nil, changed.isEmpty, unexercised.isEmpty {
            let which = firstUncounted.map { "the statement at \(file):\($0.line) (`\($0.sql)`) can change data but " } ?? ""
            unexercised.append(Unexercised(line: nil, statement: "",
                reason: "the birth holds data-changing statements, but \(which)no row of any table differs after it: the data surface is empty, so nothing shows the rollback restores data; generate rows the birth changes"))
        }
        self.statements = statements
        self.unexercised = unexercised
    }

    /// What data would make a statement that matched nothing match something.
    static func zeroRowsReason(_ effect: StatementEffect) -> String {
        let table = effect.tables.first.map { " of \($0)" } ?? ""
        guard let predicate = effect.predicate else {
            return "it changed 0 rows: the table\(table) holds no row it acts on (an INSERT … SELECT whose SELECT returned none, or an empty table); give the tables it reads rows in the profile"
        }
        let tokens = SQLNormalizer.lex(predicate)
        var hint = "make the profile generate rows that satisfy it (more rows, a `null_fraction`, a categorical generator holding the value)"
        func column(before i: Int) -> String? { i > 0 && (tokens[i - 1].quoted || tokens[i - 1].text.first?.isLetter == true) ? tokens[i - 1].text : nil }
        for (i, t) in tokens.enumerated() where !t.quoted {
            if t.text == "is", i + 2 < tokens.count, tokens[i + 1].isKeyword("not"), tokens[i + 2].isKeyword("null"), let c = column(before: i) {
                hint = "every \(c) is NULL; lower its `null_fraction`"; break
            }
            if t.text == "is", i + 1 < tokens.count, tokens[i + 1].isKeyword("null"), let c = column(before: i) {
                hint = "the column \(c) has no NULLs; give it a `null_fraction` (or keep the edge-case mix on)"; break
            }
            if ["lower", "upper"].contains(t.text), i + 2 < tokens.count, tokens[i + 1].isKeyword("(") {
                hint = "no value of \(tokens[i + 2].text) differs from its \(t.text == "lower" ? "lower" : "upper")-case form; keep the edge-case mix on (mixed-case text)"; break
            }
            if ["=", "in", "like"].contains(t.text), let c = column(before: i) {
                hint = "no row holds such a value in \(c); give it a categorical generator that includes it"; break
            }
            if ["<", ">", "<=", ">=", "between"].contains(t.text), let c = column(before: i) {
                hint = "no value of \(c) falls in that range; widen its generator's range"; break
            }
        }
        return "no row\(table) matched `\(SQLiteError.excerpt(predicate, limit: 100))`: \(hint)"
    }
}
