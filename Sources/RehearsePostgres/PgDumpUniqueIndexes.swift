import Foundation
import RehearseCore
import RehearseEvidence
import RehearseSurrogate

/// The loader creates indexes after the rows (`PgDumpSchemaPlan.deferred`),
/// so the catalog the generator reads has no UNIQUE index yet; gitlab's
/// structure.sql declares most of its uniqueness that way. Each deferred
/// `CREATE UNIQUE INDEX … ON table (col, …)` on plain columns (partial or
/// not: rows unique over the whole table meet a partial one too) is read
/// here and binds the generator as a UNIQUE constraint. An index on
/// expressions is left to the server. A boolean cannot be unique: a partial
/// index on one that holds only where it is true (`WHERE (active = true)`,
/// at most one active row) is met by rows where it is false.
extension PgDumpSchemaPlan {
    package static func uniqueIndexes(_ statements: [ScriptStatement]) -> [(table: String, columns: [String], predicate: String?)] {
        var out: [(table: String, columns: [String], predicate: String?)] = []
        for statement in statements {
            let toks = SQLNormalizer.lex(String(statement.sql.prefix(4000)))
            func bare(_ i: Int, _ word: String) -> Bool { i < toks.count && toks[i].isKeyword(word) }
            guard bare(0, "create"), bare(1, "unique"), bare(2, "index"),
                  var i = (3..<toks.count).first(where: { bare($0, "on") }).map({ $0 + 1 }) else { continue }
            if bare(i, "only") { i += 1 }
            guard i < toks.count else { continue }
            var parts = [toks[i].text]
            i += 1
            while i + 1 < toks.count, !toks[i].quoted, toks[i].text == "." { parts.append(toks[i + 1].text); i += 2 }
            if bare(i, "using") { i += 2 }
            guard i < toks.count, !toks[i].quoted, toks[i].text == "(" else { continue }
            i += 1
            var columns: [String] = []
            var plain = true
            while i + 1 < toks.count {
                let next = toks[i + 1]
                guard !next.quoted, next.text == "," || next.text == ")", toks[i].quoted || toks[i].text.first.map({ $0.isLetter || $0 == "_" }) == true else {
                    plain = false
                    break
                }
                columns.append(toks[i].text)
                if next.text == ")" { break }
                i += 2
            }
            guard plain, !columns.isEmpty, parts.count <= 2 else { continue }
            let table = parts.count == 2 ? PostgresCatalog.displayName(schema: parts[0], name: parts[1])
                : PostgresCatalog.displayName(schema: "public", name: parts[0])
            let predicate = statement.sql.range(of: " WHERE ", options: .backwards).map {
                String(statement.sql[$0.upperBound...]).trimmingCharacters(in: CharacterSet(charactersIn: " ;\n"))
            }
            out.append((table, columns, predicate))
        }
        return out
    }
}
