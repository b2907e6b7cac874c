// MARK: - Canonical CREATE statements (SQLite)

/// Canonical forms of SQLite `CREATE` statements, read with the one lexer
/// in SQLLexer.swift. Only spellings SQLite provably treats alike are folded:
/// `ASC` in key lists, `COLLATE BINARY` on a column (the default), `DEFAULT
/// NULL`, the bare `NULL` constraint, `ON CONFLICT ABORT` (the default),
/// `GENERATED ALWAYS` and `VIRTUAL`, `ON DELETE/UPDATE NO ACTION`, any
/// deferrability other than `DEFERRABLE INITIALLY DEFERRED` (SQLite's
/// grammar reduces all of them to "immediate"), `FOR EACH ROW`, and the names
/// of constraints other than CHECK (SQLite never reports them; a CHECK's name
/// appears in its error message, so it stays). Everything else is kept, so a
/// clause nobody thought of still changes the text.
extension SQLNormalizer {
    package struct ColumnDefinition: Sendable, Equatable {
        /// Folded as SQLite compares column names (`foldName`).
        package var name: String
        package var canonical: String
        /// The generated column's expression, canonical; nil for stored data.
        package var expression: String?
        package var autoincrement = false
        /// Non-default conflict resolutions, e.g. `not null ignore`.
        package var onConflict: [String] = []
    }

    /// Column and table names folded (`foldName`), to match SQLite's pragmas.
    package struct ForeignKeyClause: Sendable, Equatable {
        package var columns: [String]
        package var table: String
        package var deferred: Bool
    }

    package struct TableDefinition: Sendable, Equatable {
        package var canonical: String
        package var columns: [ColumnDefinition]
        /// Canonical table constraints (PRIMARY KEY, UNIQUE, CHECK, FOREIGN
        /// KEY), sorted: their order carries no meaning.
        package var constraints: [String]
        package var foreignKeys: [ForeignKeyClause]
    }

    package static let columnConstraintStarts: Set<String> = ["constraint", "primary", "not", "null", "unique", "check", "default", "collate", "references", "generated", "as"]
    package static let tableConstraintStarts: Set<String> = ["constraint", "primary", "unique", "check", "foreign"]

    /// Index of the `)` closing the `(` at `open`, or the end.
    package static func closing(_ toks: [Token], _ open: Int) -> Int {
        var depth = 0
        var j = open
        while j < toks.count {
            if toks[j].isKeyword("(") { depth += 1 }
            if toks[j].isKeyword(")") { depth -= 1; if depth == 0 { return j } }
            j += 1
        }
        return toks.count - 1
    }

    /// Splits at commas outside parentheses.
    package static func splitTopLevel(_ toks: [Token]) -> [[Token]] {
        var out: [[Token]] = [[]]
        var depth = 0
        for t in toks {
            if t.isKeyword("(") { depth += 1 }
            if t.isKeyword(")") { depth -= 1 }
            if depth == 0, t.isKeyword(",") { out.append([]); continue }
            out[out.count - 1].append(t)
        }
        return out.filter { !$0.isEmpty }
    }

    /// `ON CONFLICT <resolution>` at `i`, consumed; ABORT is the default.
    package static func conflictClause(_ item: [Token], _ i: inout Int) -> String? {
        guard i + 2 < item.count, item[i].isKeyword("on"), item[i + 1].isKeyword("conflict") else { return nil }
        let resolution = item[i + 2].text
        i += 3
        return resolution
    }

    /// A key list item (`expr [COLLATE name] [ASC|DESC]`): the expression,
    /// the collation if spelled, and whether it descends. `ASC` is dropped.
    package static func keyItem(_ item: [Token]) -> (expression: [Token], collation: String?, descending: Bool) {
        var toks = item
        var descending = false
        if toks.count > 1, let last = toks.last, last.isKeyword("asc") || last.isKeyword("desc") {
            descending = last.isKeyword("desc")
            toks.removeLast()
        }
        var collation: String?
        if toks.count >= 3, toks[toks.count - 2].isKeyword("collate") {
            collation = toks[toks.count - 1].text
            toks.removeLast(2)
        }
        return (toks, collation, descending)
    }

    package static func renderKeyList(_ toks: [Token], autoincrementAllowed: Bool = false) -> (text: String, autoincrement: Bool) {
        var items = splitTopLevel(toks)
        var autoincrement = false
        if autoincrementAllowed, var last = items.last, last.last?.isKeyword("autoincrement") == true {
            last.removeLast()
            items[items.count - 1] = last
            autoincrement = true
        }
        let text = items.map { item -> String in
            let k = keyItem(item)
            return render(k.expression) + (k.collation.map { " collate " + $0 } ?? "") + (k.descending ? " desc" : "")
        }.joined(separator: " , ")
        return ("( " + text + (autoincrement ? " autoincrement" : "") + " )", autoincrement)
    }

    /// A foreign-key clause from `REFERENCES` at `i` to its end.
    package static func foreignKeyClause(_ item: [Token], _ i: inout Int) -> (text: String, table: String, deferred: Bool) {
        i += 1  // references
        let table = i < item.count ? canonicalName(item[i]) : ""
        let parent = i < item.count ? foldName(item[i].text) : ""
        i += 1
        var text = "references " + table
        if i < item.count, item[i].isKeyword("(") {
            let close = closing(item, i)
            text += " " + render(item[i...close])
            i = close + 1
        }
        var actions: [String: String] = [:]
        var match: String?
        var deferred = false
        while i < item.count {
            if item[i].isKeyword("on"), i + 2 < item.count {
                let event = item[i + 1].text
                if item[i + 2].isKeyword("set") || item[i + 2].isKeyword("no"), i + 3 < item.count {
                    actions[event] = item[i + 2].text + " " + item[i + 3].text
                    i += 4
                } else {
                    actions[event] = item[i + 2].text
                    i += 3
                }
            } else if item[i].isKeyword("match"), i + 1 < item.count {
                match = item[i + 1].text
                i += 2
            } else if item[i].isKeyword("not"), i + 1 < item.count, item[i + 1].isKeyword("deferrable") {
                i += 2
                deferred = false
                if i + 1 < item.count, item[i].isKeyword("initially") { i += 2 }
            } else if item[i].isKeyword("deferrable") {
                i += 1
                deferred = false
                if i + 1 < item.count, item[i].isKeyword("initially") {
                    deferred = item[i + 1].isKeyword("deferred")
                    i += 2
                }
            } else {
                break
            }
        }
        for event in ["delete", "update"] {
            if let action = actions[event], action != "no action" { text += " on \(event) \(action)" }
        }
        if let match { text += " match " + match }
        if deferred { text += " deferrable initially deferred" }
        return (text, parent, deferred)
    }

    /// Parses the `CREATE TABLE` text SQLite keeps in `sqlite_schema`. Nil
    /// for virtual tables and text it cannot follow.
    package static func parseCreateTable(_ sql: String) -> TableDefinition? {
        var toks = lexCreateTable(sql)
        while toks.last?.isKeyword(";") == true { toks.removeLast() }
        guard let open = toks.firstIndex(where: { $0.isKeyword("(") }), open >= 3,
              !toks[..<open].contains(where: { $0.isKeyword("virtual") }) else { return nil }
        let close = closing(toks, open)
        guard close > open, toks[close].isKeyword(")") else { return nil }
        let name = canonicalName(toks[open - 1])
        var columns: [ColumnDefinition] = []
        var constraints: [String] = []
        var foreignKeys: [ForeignKeyClause] = []
        var autoincrementKey: String?
        // The definition keeps the declared order of columns and constraints:
        // constraint order decides which error a row meets first.
        var body: [String] = []
        for item in splitTopLevel(Array(toks[(open + 1)..<close])) {
            if let first = item.first, !first.quoted, tableConstraintStarts.contains(first.text) {
                let c = tableConstraint(item)
                constraints.append(c.text)
                body.append(c.text)
                if let fk = c.foreignKey { foreignKeys.append(fk) }
                if let key = c.autoincrementKey { autoincrementKey = key }
            } else {
                let c = columnDefinition(item)
                columns.append(c.column)
                body.append(c.column.canonical)
                foreignKeys.append(contentsOf: c.foreignKeys)
            }
        }
        for i in columns.indices where columns[i].name == autoincrementKey { columns[i].autoincrement = true }
        // Table options are a set: STRICT, WITHOUT ROWID in either order.
        let options = splitTopLevel(Array(toks[min(close + 1, toks.count)...])).map { render($0) }.sorted()
        constraints.sort()
        let canonicalText = "create table \(name) ( " + body.joined(separator: " , ") + " )" + options.map { " " + $0 }.joined(separator: " ,")
        return TableDefinition(canonical: canonicalText, columns: columns, constraints: constraints, foreignKeys: foreignKeys)
    }

    /// The tokens of a CREATE TABLE with every quoted word that names one of
    /// the table's own columns folded as SQLite folds names: inside the
    /// table, SQLite resolves such a word to the column, never to a string,
    /// so `"Amount"` and `amount` are the same reference.
    package static func lexCreateTable(_ sql: String) -> [Token] {
        var toks = lex(sql)
        guard let open = toks.firstIndex(where: { $0.isKeyword("(") }) else { return toks }
        let close = closing(toks, open)
        guard open + 1 < close else { return toks }
        let names = Set(splitTopLevel(Array(toks[(open + 1)..<close])).compactMap { item -> String? in
            guard let first = item.first, first.quoted || !tableConstraintStarts.contains(first.text) else { return nil }
            return foldName(first.text)
        })
        for i in toks.indices where toks[i].quoted && names.contains(foldName(toks[i].text)) {
            toks[i].text = foldName(toks[i].text)
        }
        return toks
    }

    package static func tableConstraint(_ item: [Token]) -> (text: String, foreignKey: ForeignKeyClause?, autoincrementKey: String?) {
        var i = 0
        var name: String?
        if item[0].isKeyword("constraint"), item.count > 1 {
            name = canonical(item[1])
            i = 2
        }
        guard i < item.count else { return (render(item), nil, nil) }
        func rest(_ from: Int) -> String { from < item.count ? " " + render(item[from...]) : "" }
        func parenthesized(_ at: Int) -> (toks: [Token], next: Int)? {
            guard at < item.count, item[at].isKeyword("(") else { return nil }
            let close = closing(item, at)
            guard close > at else { return nil }
            return (Array(item[(at + 1)..<close]), close + 1)
        }
        switch item[i].text {
        case "primary", "unique":
            let isPrimary = item[i].isKeyword("primary")
            let at = isPrimary ? i + 2 : i + 1
            guard let (list, next) = parenthesized(at) else { return (render(item[i...]), nil, nil) }
            var j = next
            let keys = renderKeyList(list, autoincrementAllowed: isPrimary)
            let conflict = conflictClause(item, &j)
            let resolution = conflict.flatMap { $0 == "abort" ? nil : " on conflict " + $0 } ?? ""
            let key = keys.autoincrement ? list.first.map { foldName($0.text) } : nil
            return ((isPrimary ? "primary key " : "unique ") + keys.text + resolution + rest(j), nil, key)
        case "foreign":
            guard let (list, next) = parenthesized(i + 2) else { return (render(item[i...]), nil, nil) }
            var j = next
            let items = splitTopLevel(list)
            let fk = foreignKeyClause(item, &j)
            return ("foreign key ( " + items.map { render($0) }.joined(separator: " , ") + " ) " + fk.text + rest(j),
                    ForeignKeyClause(columns: items.map { $0.count == 1 ? foldName($0[0].text) : render($0) }, table: fk.table, deferred: fk.deferred), nil)
        default:  // check, or something this reader does not know: kept whole
            return ((name.map { "constraint \($0) " } ?? "") + render(item[i...]), nil, nil)
        }
    }

    package static func columnDefinition(_ item: [Token]) -> (column: ColumnDefinition, foreignKeys: [ForeignKeyClause]) {
        var column = ColumnDefinition(name: foldName(item[0].text), canonical: "")
        var parts = [canonicalName(item[0])]
        var foreignKeys: [ForeignKeyClause] = []
        func startsConstraint(_ j: Int) -> Bool { !item[j].quoted && columnConstraintStarts.contains(item[j].text) }
        var i = 1
        let typeStart = i
        while i < item.count, !startsConstraint(i) {
            i = item[i].isKeyword("(") ? closing(item, i) + 1 : i + 1
        }
        if i > typeStart { parts.append(render(item[typeStart..<i])) }
        var constraintName: String?
        while i < item.count {
            let start = i
            switch item[i].quoted ? "" : item[i].text {
            case "constraint":
                constraintName = i + 1 < item.count ? canonical(item[i + 1]) : nil
                i += 2
                continue
            case "primary":
                i += 2
                var text = "primary key"
                if i < item.count, item[i].isKeyword("asc") { i += 1 }
                if i < item.count, item[i].isKeyword("desc") { i += 1; text += " desc" }
                if let r = conflictClause(item, &i), r != "abort" { text += " on conflict " + r; column.onConflict.append("primary key " + r) }
                if i < item.count, item[i].isKeyword("autoincrement") { i += 1; text += " autoincrement"; column.autoincrement = true }
                parts.append(text)
            case "not":
                i += 2
                var text = "not null"
                if let r = conflictClause(item, &i), r != "abort" { text += " on conflict " + r; column.onConflict.append("not null " + r) }
                parts.append(text)
            case "null":  // a no-op constraint SQLite accepts
                i += 1
                _ = conflictClause(item, &i)
            case "unique":
                i += 1
                var text = "unique"
                if let r = conflictClause(item, &i), r != "abort" { text += " on conflict " + r; column.onConflict.append("unique " + r) }
                parts.append(text)
            case "check":
                let close = closing(item, i + 1)
                parts.append((constraintName.map { "constraint \($0) " } ?? "") + render(item[i...close]))
                i = close + 1
            case "default":
                i += 1
                let valueStart = i
                if i < item.count, item[i].isKeyword("(") {
                    i = closing(item, i) + 1
                } else {
                    i += 1
                    while i < item.count, !startsConstraint(i) { i += 1 }
                }
                let value = render(item[valueStart..<min(i, item.count)])
                if value != "null", value != "( null )" { parts.append("default " + value) }
            case "collate":
                let collation = i + 1 < item.count ? item[i + 1].text : ""
                i += 2
                if collation != "binary" { parts.append("collate " + collation) }
            case "references":
                let fk = foreignKeyClause(item, &i)
                parts.append(fk.text)
                foreignKeys.append(ForeignKeyClause(columns: [column.name], table: fk.table, deferred: fk.deferred))
            case "generated", "as":
                if item[i].isKeyword("generated") { i += 2 }  // GENERATED ALWAYS
                guard i + 1 < item.count, item[i].isKeyword("as"), item[i + 1].isKeyword("(") else { i += 1; break }
                let close = closing(item, i + 1)
                let expression = render(item[(i + 1)...close])
                column.expression = expression
                i = close + 1
                var text = "as " + expression
                if i < item.count, item[i].isKeyword("stored") { text += " stored"; i += 1 }
                else if i < item.count, item[i].isKeyword("virtual") { i += 1 }
                parts.append(text)
            default:
                break
            }
            if i == start {  // not a clause this reader knows: kept as written
                parts.append(canonical(item[i]))
                i += 1
            }
            constraintName = nil
        }
        column.canonical = parts.joined(separator: " ")
        return (column, foreignKeys)
    }
}
