extension SQLNormalizer {
    /// Canonical `CREATE INDEX`: each key written with the collation SQLite
    /// resolved for it (`effective`, from `pragma_index_xinfo`), so `COLLATE
    /// BINARY` on a BINARY column and no COLLATE read the same, while the
    /// same words on a NOCASE column do not.
    /// A key on a plain column is written with the column's name as SQLite
    /// resolved it (`effective.column`), however it was quoted.
    package static func canonicalIndex(_ sql: String, effective: [(column: String?, collation: String, descending: Bool)]) -> String {
        var toks = lex(sql)
        while toks.last?.isKeyword(";") == true { toks.removeLast() }
        guard let open = toks.firstIndex(where: { $0.isKeyword("(") }) else { return render(toks) }
        let close = closing(toks, open)
        guard close > open else { return render(toks) }
        let items = splitTopLevel(Array(toks[(open + 1)..<close]))
        let keys: String
        if items.count == effective.count {
            keys = zip(items, effective).map { item, e in
                (e.column.map { canonicalName(Token(text: $0, quoted: true)) } ?? render(keyItem(item).expression)) + " collate " + e.collation.lowercased() + (e.descending ? " desc" : "")
            }.joined(separator: " , ")
        } else {
            keys = renderKeyList(Array(toks[(open + 1)..<close])).text
        }
        return render(toks[..<open]) + " ( " + keys + " )" + (close + 1 < toks.count ? " " + render(toks[(close + 1)...]) : "")
    }

    /// Canonical `CREATE TRIGGER` / `CREATE VIEW`: `FOR EACH ROW` (the only
    /// kind of trigger SQLite has) is dropped.
    package static func canonicalTriggerOrView(_ sql: String) -> String {
        var toks = lex(sql)
        while toks.last?.isKeyword(";") == true { toks.removeLast() }
        let isTrigger = toks.prefix(3).contains { $0.isKeyword("trigger") }
        if isTrigger, let begin = toks.firstIndex(where: { $0.isKeyword("begin") }) {
            var i = 0
            while i + 2 < begin {
                if toks[i].isKeyword("for"), toks[i + 1].isKeyword("each"), toks[i + 2].isKeyword("row") {
                    toks.removeSubrange(i...(i + 2))
                    break
                }
                i += 1
            }
        }
        return render(toks)
    }
}
