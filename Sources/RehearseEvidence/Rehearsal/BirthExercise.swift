import RehearseCore

/// Did the birth exercise its own data changes? A rollback can only be shown
/// to restore data that the birth changed: a DELETE that matched no row, or
/// an UPDATE whose new values were already there, proves nothing about the
/// rollback, and a PASS on it would be read as "my rollback is safe". This is
/// the one judgement both the rehearsal (to write the verdict) and the
/// validator (to re-check it, R17) make, from the same inputs: the sealed
/// birth's statements, the rows each one changed as the engine counted them,
/// and the pre and born fingerprints. Rules: docs/VERDICTS.md.
package struct BirthExercise: Sendable {
    /// One birth statement, judged.
    package struct Statement: Sendable {
        package var line: Int
        package var sql: String
        package var effect: StatementEffect
        /// Rows it matched: the engine's count for `rows`, the rows its tables
        /// held before birth for `table`; nil when nothing can count them.
        package var matchedRows: Int64?
    }

    /// A statement (or the birth as a whole) that did not exercise its data change.
    package struct Unexercised: Sendable, Equatable {
        package var line: Int?
        package var statement: String
        package var reason: String

        package var json: JSONValue {
            ["line": line.map { .integer(Int64($0)) } ?? .null, "statement": .string(statement), "reason": .string(reason)]
        }
    }

    package var statements: [Statement]
    package var unexercised: [Unexercised]

    /// Data tables of a fingerprint, by name: rows and digest.
    package typealias Tables = [String: (rows: Int64, digest: String)]

    package init(sql: [(line: Int, sql: String)], rowsChanged: [Int64], dialect: Dialect, pre: Tables, born: Tables?,
                preObjects: [String: String] = [:], bornObjects: [String: String] = [:], file: String) {
        var statements: [Statement] = []
        var unexercised: [Unexercised] = []
        // Names as the engine resolves them: case-folded, without the default
        // schema (`main.`/`temp.` on SQLite, `public.` on PostgreSQL), so a
        // qualified name reaches the same table as a bare one.
        func key(_ name: String) -> String {
            var parts = name.split(separator: ".").map { $0.lowercased() }
            if parts.count == 2, ["main", "temp", "public"].contains(parts[0]) { parts.removeFirst() }
            return parts.joined(separator: ".")
        }
        var preByKey: [String: String] = [:]
        for name in pre.keys.sorted() where preByKey[key(name)] == nil { preByKey[key(name)] = name }
        var bornByKey: [String: String] = [:]
        for name in (born ?? [:]).keys.sorted() where bornByKey[key(name)] == nil { bornByKey[key(name)] = name }
        // What each name means at each point of the birth: the pre-birth table
        // it is (through renames), or made by the birth.
        enum Binding { case pre(String), made }
        var current: [String: Binding] = [:]
        for (k, name) in preByKey { current[k] = .pre(name) }
        // Columns the birth adds, per pre-birth table: assigning them proves nothing about old values.
        var added: [String: Set<String>] = [:]
        let effects = sql.map { StatementEffect.classify($0.sql, dialect: dialect) }
        var bindings: [[Binding?]] = []
        for (n, effect) in effects.enumerated() {
            bindings.append(effect.tables.map { current[key($0)] })
            if let to = effect.newName {
                if effect.created { current[key(to)] = .made } else if let from = effect.tables.first {
                    current[key(to)] = current[key(from)] ?? .made
                    current[key(from)] = nil
                }
            }
            if case .pre(let t)? = effect.tables.first.flatMap({ current[key($0)] }) { added[t, default: []].formUnion(effect.addedColumns) }
            if effect.kind == .table, Array(SQLNormalizer.tokens(String(sql[n].sql.prefix(40))).prefix(2)) == ["drop", "table"] {
                for t in effect.tables { current[key(t)] = nil }
            }
        }
        // Where each pre-birth table ended up after the birth (nil: dropped).
        var finalName: [String: String] = [:]
        for (k, b) in current { if case .pre(let t) = b, let bornName = bornByKey[k] { finalName[t] = bornName } }
        func changed(_ t: String) -> Bool {
            guard let born, let f = finalName[t], let after = born[f] else { return true }  // dropped or renamed away
            return after.rows != pre[t]!.rows || after.digest != pre[t]!.digest
        }
        func schemaChanged(_ t: String) -> Bool {
            guard let f = finalName[t] else { return true }
            return preObjects["table \(t)"] != bornObjects["table \(f)"]
        }
        let anyPreChanged = born != nil && pre.keys.contains { $0 != SurrogateTag.provenanceTable && changed($0) }
        var actsOnOldData = false
        var firstUncounted: Statement?
        for (n, s) in sql.enumerated() {
            let effect = effects[n]
            let excerpt = SQLExcerpt.of(s.sql, limit: 120)
            var matched: Int64?
            func flag(_ reason: String) { unexercised.append(Unexercised(line: s.line, statement: excerpt, reason: reason)) }
            switch effect.kind {
            case .rows:
                matched = n < rowsChanged.count ? rowsChanged[n] : 0
                let binding = bindings[n].first ?? nil
                if case .made? = binding {} else { actsOnOldData = true }
                if matched == 0 {
                    flag(Self.zeroRowsReason(effect))
                } else if born != nil {
                    switch binding {
                    case .made?:
                        break  // rows of a table the birth made: nothing existed to lose
                    case nil:
                        flag("matched \(matched!) rows, but its table \(effect.tables.first ?? "(unnamed)") is no table that existed before birth (a view, another schema, a name rehearse cannot resolve), so nothing shows the rows it changed are restored")
                    case .pre(let t)?:
                        if !changed(t) {
                            flag("matched \(matched!) rows of \(t) but changed no stored value: every value it wrote was already there (text already in the case it sets, say). Keep the edge-case mix on (`edge_cases`), or give the columns it sets values it would change")
                        } else if !effect.setColumns.isEmpty, finalName[t] != nil, born?[finalName[t]!]?.rows == pre[t]?.rows, schemaChanged(t),
                                  case let old = effect.setColumns.filter({ !(added[t] ?? []).contains($0) }), !old.isEmpty {
                            // The table's rows differ, but its columns changed too: that
                            // alone changes every row, so nothing shows these values did.
                            flag("sets \(old.joined(separator: ", ")) of \(t), whose columns the birth also changes, so the table's changed rows do not show that these values changed; rehearse cannot tell, so it does not count the statement as exercised. Give the columns values it would change, or split the migration")
                        }
                    }
                }
            case .table:
                actsOnOldData = true
                let names = bindings[n].map { b -> String? in if case .pre(let t)? = b { return t }; return nil }
                if names.allSatisfy({ $0 != nil }), !names.isEmpty {
                    matched = names.reduce(Int64(0)) { $0 + pre[$1!]!.rows }
                    if matched == 0 {
                        flag("\(names.map { $0! }.joined(separator: ", ")) held no rows before birth, so what this statement rewrites or destroys cannot be missed after rollback; give \(names.count == 1 ? "the table" : "the tables") rows in the profile")
                    } else if effect.lossyRewrite, let t = names[0], finalName[t] != nil, !changed(t) {
                        flag("rewrote \(t) but changed no stored value (a type change the values already fit, say); give the column values the new type changes")
                    }
                } else if names.contains(where: { $0 == nil }), !bindings[n].contains(where: { if case .made? = $0 { return true }; return false }) {
                    flag("acts on \(effect.tables.joined(separator: ", ")), which rehearse cannot resolve to a table that existed before birth, so nothing shows what it destroyed is restored")
                }
                if matched == nil, firstUncounted == nil { firstUncounted = Statement(line: s.line, sql: excerpt, effect: effect, matchedRows: nil) }
            case .opaque:
                actsOnOldData = true
                if firstUncounted == nil { firstUncounted = Statement(line: s.line, sql: excerpt, effect: effect, matchedRows: nil) }
            case .schema:
                break
            }
            statements.append(Statement(line: s.line, sql: s.sql, effect: effect, matchedRows: matched))
        }
        // A trigger the birth creates and drops again is a migration device:
        // what its body writes is part of the birth's data change, so a
        // pre-birth table it writes must differ after birth like an UPDATE's.
        var made: [String: (line: Int, sql: String, writes: [String])] = [:]
        for (n, effect) in effects.enumerated() {
            guard let name = effect.trigger else { continue }
            if !effect.triggerWrites.isEmpty || SQLNormalizer.tokens(String(sql[n].sql.prefix(20))).first == "create" {
                if SQLNormalizer.tokens(String(sql[n].sql.prefix(20))).first == "create" {
                    made[name] = (sql[n].line, SQLExcerpt.of(sql[n].sql, limit: 120), effect.triggerWrites)
                }
            } else if let device = made[name], born != nil {
                actsOnOldData = true
                for w in device.writes {
                    guard case .pre(let t)? = current[key(w)] ?? preByKey[key(w)].map({ Binding.pre($0) }), !changed(t) else { continue }
                    unexercised.append(Unexercised(line: device.line, statement: device.sql,
                        reason: "this trigger, created and dropped by the birth, writes \(t), but no row of \(t) differs after birth: what it does to \(t) was never exercised; give \(t) values it would change"))
                }
            }
        }
        if actsOnOldData, born != nil, !anyPreChanged, unexercised.isEmpty {
            let which = firstUncounted.map { "the statement at \(file):\($0.line) (`\($0.sql)`) can change data but " } ?? ""
            unexercised.append(Unexercised(line: nil, statement: "",
                reason: "the birth holds data-changing statements, but \(which)no row of any table that existed before birth differs after it: the data surface is empty, so nothing shows the rollback restores data; generate rows the birth changes"))
        }
        self.statements = statements
        self.unexercised = unexercised
    }

    /// What data would make a statement that matched nothing match something.
    package static func zeroRowsReason(_ effect: StatementEffect) -> String {
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
        return "no row\(table) matched `\(SQLExcerpt.of(predicate, limit: 100))`: \(hint)"
    }
}
