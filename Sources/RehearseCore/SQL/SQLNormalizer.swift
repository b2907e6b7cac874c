import CSQLite3

/// Canonical text of a SQL definition: comments and white space dropped,
/// keywords and identifiers lower-cased and unquoted, string literals kept as
/// written. Two definitions that differ only in layout, quoting or keyword case
/// normalize to the same text; any difference in meaning survives.
package enum SQLNormalizer {
    package static func normalize(_ sql: String) -> String {
        var toks = lex(sql)
        while toks.last?.isKeyword(";") == true { toks.removeLast() }
        return render(toks)
    }

    /// Canonical text of a token run: tokens joined by one space; a quoted
    /// identifier is written bare when that reads the same (a plain name that
    /// is no SQL keyword), so `"t"`, `[t]` and `t` agree while `"null"` stays
    /// an identifier and never becomes the keyword NULL.
    ///
    /// A quoted word with capitals keeps them unless it stands where only a
    /// name can (after FROM, JOIN, TABLE, ON, REFERENCES, ... or next to a
    /// `.`): elsewhere SQLite reads a double-quoted word that names no column
    /// as a string, so `"Vip"` and `"vip"` may differ.
    package static func render<C: Collection>(_ toks: C) -> String where C.Element == Token {
        let all = Array(toks)
        return all.indices.map { i in
            let token = all[i]
            guard token.quoted else { return canonical(token) }
            let namePosition = (i > 0 && !all[i - 1].quoted && nameIntroducers.contains(all[i - 1].text))
                || (i + 1 < all.count && all[i + 1].isKeyword("."))
            return namePosition ? canonicalName(token) : canonical(token)
        }.joined(separator: " ")
    }

    /// Words after which only a name can stand.
    package static let nameIntroducers: Set<String> = ["from", "join", "table", "index", "view", "trigger", "into", "update", "references", "on", "of", "."]

    /// A token known to be a name: its case folded as SQLite folds it.
    package static func canonicalName(_ token: Token) -> String {
        canonical(Token(text: token.quoted ? foldName(token.text) : token.text, quoted: token.quoted))
    }

    package static func canonical(_ token: Token) -> String {
        guard token.quoted else { return token.text }
        let bytes = Array(token.text.utf8)
        let plain = !bytes.isEmpty && !(bytes[0] >= 0x30 && bytes[0] <= 0x39) && bytes.allSatisfy { isWordByte($0) && !(0x41...0x5a).contains($0) }
        if plain, !isSQLKeyword(token.text) { return token.text }
        return "\"" + token.text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A name as SQLite compares it: ASCII letters folded, nothing else.
    package static func foldName(_ name: String) -> String { asciiLowercased(Array(name.utf8)[...]) }

    /// SQLite's own keyword list, so a quoted `"order"` is never rendered as
    /// the bare keyword.
    package static func isSQLKeyword(_ word: String) -> Bool {
        let utf8 = Array(word.utf8)
        return utf8.withUnsafeBufferPointer { buffer in
            buffer.baseAddress.map { base in
                base.withMemoryRebound(to: CChar.self, capacity: utf8.count) { sqlite3_keyword_check($0, Int32(utf8.count)) != 0 }
            } ?? false
        }
    }
}
