import RehearseCore
import RehearseEvidence
import RehearseSurrogate

/// EXCLUDE constraints, read for the generator (issue 12: gitlab's
/// `EXCLUDE USING gist (rotation_id WITH =, tstzrange(starts_at, ends_at) WITH &&)`).
/// Two rows conflict only when every element's operator holds, so a column
/// compared `WITH =` whose values never repeat prevents every conflict: it
/// joins the table's unique sets. A range built from two columns
/// (`tstzrange(a, b, …)`) needs `a <= b`, added as a CHECK between them. An
/// EXCLUDE with no `WITH =` column is not read: `CheckPlan` leaves its
/// columns to NULL or their DEFAULT, or refuses it.
package struct PostgresExclusion: Equatable {
    package var uniqueColumn: String?
    package var ordered: [(String, String)]

    package static func == (a: Self, b: Self) -> Bool {
        a.uniqueColumn == b.uniqueColumn && a.ordered.map { [$0.0, $0.1] } == b.ordered.map { [$0.0, $0.1] }
    }

    /// `definition` is pg_get_constraintdef's text; nil when it is not an EXCLUDE.
    package init?(_ definition: String) {
        let tokens = CheckLexer.tokens(definition)
        guard tokens.first?.text.uppercased() == "EXCLUDE", let open = tokens.firstIndex(where: { $0.kind == .symbol && $0.text == "(" }) else { return nil }
        var elements: [[CheckToken]] = [[]]
        var depth = 0
        var i = open + 1
        while i < tokens.count {
            let t = tokens[i]
            if t.kind == .symbol && t.text == "(" { depth += 1 }
            if t.kind == .symbol && t.text == ")" {
                if depth == 0 { break }
                depth -= 1
            }
            if depth == 0 && t.kind == .symbol && t.text == "," { elements.append([]) } else { elements[elements.count - 1].append(t) }
            i += 1
        }
        uniqueColumn = nil
        ordered = []
        for element in elements {
            guard let with = element.lastIndex(where: { $0.kind == .word && $0.text.uppercased() == "WITH" }) else { continue }
            let expr = Array(element[..<with]), op = element[(with + 1)...].map(\.text).joined()
            if op == "=", expr.count == 1, expr[0].kind == .word || expr[0].kind == .quoted {
                if uniqueColumn == nil { uniqueColumn = expr[0].text }
                continue
            }
            // rangefn(a, b, …): a <= b.
            if expr.count >= 6, expr[0].kind == .word, expr[0].text.lowercased().hasSuffix("range"), expr[1].text == "(",
               expr[2].kind == .word || expr[2].kind == .quoted, expr[3].text == ",", expr[4].kind == .word || expr[4].kind == .quoted {
                ordered.append((expr[2].text, expr[4].text))
            }
        }
    }

    /// The CHECK texts the ranges need, in `CheckParser`'s syntax.
    package var checks: [String] {
        ordered.map { "\(PGConnection.quoteIdentifier($0.0)) <= \(PGConnection.quoteIdentifier($0.1))" }
    }
}
