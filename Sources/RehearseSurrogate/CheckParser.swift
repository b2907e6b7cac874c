import Foundation
import RehearseCore
import RehearseEvidence

package struct CheckParser {
    package let tokens: [CheckToken]
    package var at = 0

    package init(_ text: String) { tokens = CheckLexer.tokens(text) }

    /// The whole text as one expression, or nil when it is not all understood.
    package mutating func parseAll() -> CheckExpr? {
        // CASE can hide an AND or OR that does not combine constraints.
        if tokens.contains(where: { $0.kind == .word && $0.text.uppercased() == "CASE" }) { return nil }
        let e = parseOr()
        return at == tokens.count ? e : nil
    }

    package var current: CheckToken? { at < tokens.count ? tokens[at] : nil }

    package func isWord(_ w: String) -> Bool {
        guard let t = current, t.kind == .word else { return false }
        return t.text.uppercased() == w
    }

    package func isSymbol(_ s: String) -> Bool { current.map { $0.kind == .symbol && $0.text == s } ?? false }

    package mutating func eatWord(_ w: String) -> Bool {
        if isWord(w) { at += 1; return true }
        return false
    }

    package mutating func parseOr() -> CheckExpr {
        var parts = [parseAnd()]
        while eatWord("OR") { parts.append(parseAnd()) }
        return parts.count == 1 ? parts[0] : .or(parts)
    }

    package mutating func parseAnd() -> CheckExpr {
        var parts = [parseNot()]
        while eatWord("AND") { parts.append(parseNot()) }
        return parts.count == 1 ? parts[0] : .and(parts)
    }

    package mutating func parseNot() -> CheckExpr {
        if eatWord("NOT") {
            _ = parseNot()
            return .other
        }
        return parsePredicate()
    }

    /// One predicate; one not understood (LIKE, GLOB, functions …) is skipped
    /// up to the next AND or OR, so the rest of the constraint still counts.
    package mutating func parsePredicate() -> CheckExpr {
        let e = parsePredicateCore()
        if case .other = e {
            var depth = 0
            while let t = current {
                if t.kind == .symbol && t.text == "(" { depth += 1 }
                if t.kind == .symbol && t.text == ")" {
                    if depth == 0 { break }
                    depth -= 1
                }
                if depth == 0 && t.kind == .word && ["AND", "OR"].contains(t.text.uppercased()) { break }
                at += 1
            }
        }
        return e
    }

    package mutating func parsePredicateCore() -> CheckExpr {
        // A parenthesised expression, unless it is a parenthesised operand.
        if isSymbol("(") {
            let save = at
            at += 1
            let inner = parseOr()
            if isSymbol(")") {
                at += 1
                if !isComparison { return inner }
                // `(a IS NULL) <> (b IS NULL)`: exactly one of the two is set.
                if case .isNull(.column(let a), let na) = inner, isSymbol("<>") || isSymbol("!="), at + 1 < tokens.count, tokens[at + 1].text == "(" {
                    let mark = at
                    at += 2
                    if case .isNull(.column(let b), let nb) = parseOr(), na == nb, a != b, isSymbol(")") {
                        at += 1
                        return .presence([a, b], lo: 1, hi: 1)
                    }
                    at = mark
                }
            }
            at = save
        }
        let left = parseOperand()
        if eatWord("IS") {
            let negated = eatWord("NOT")
            // `x IS TRUE` / `x IS FALSE`: x = true / false (NULL fails both).
            if !negated, isWord("TRUE") || isWord("FALSE") {
                let value: Int64 = isWord("TRUE") ? 1 : 0
                at += 1
                return .compare(left, "=", .value(.integer(value)))
            }
            guard eatWord("NULL") else { return .other }
            return .isNull(left, negated: negated)
        }
        if eatWord("NOTNULL") { return .isNull(left, negated: true) }
        if eatWord("ISNULL") { return .isNull(left, negated: false) }
        let negated = eatWord("NOT")
        if eatWord("BETWEEN") {
            let lo = parseOperand()
            guard eatWord("AND") else { return .other }
            let hi = parseOperand()
            return .between(left, lo, hi, negated: negated)
        }
        if eatWord("IN") {
            guard isSymbol("(") else { return .other }
            at += 1
            var items: [CheckOperand] = []
            while current != nil && !isSymbol(")") {
                items.append(parseOperand())
                if isSymbol(",") { at += 1 } else { break }
            }
            guard isSymbol(")") else { return .other }
            at += 1
            return .inList(left, items, negated: negated)
        }
        if negated { return .other }
        guard let t = current, t.kind == .symbol, ["<", "<=", ">", ">=", "=", "==", "<>", "!=", "~", "!~"].contains(t.text) else {
            return .other
        }
        at += 1
        let op = t.text == "==" ? "=" : t.text == "!=" ? "<>" : t.text
        if op == "=" && isWord("ANY") {
            // PostgreSQL's form of an IN list: x = ANY (ARRAY['a'::text, 'b'::text]).
            guard let items = parseAnyArray() else { return .other }
            return .inList(left, items, negated: false)
        }
        let right = parseOperand()
        return .compare(left, op, right)
    }

    package var isComparison: Bool {
        guard let t = current else { return false }
        if t.kind == .symbol { return ["<", "<=", ">", ">=", "=", "==", "<>", "!=", "+", "-", "*", "/", "||", "::", "~", "!~"].contains(t.text) }
        return ["BETWEEN", "IN", "IS", "NOT", "ISNULL", "NOTNULL"].contains(t.text.uppercased())
    }

    package mutating func parseOperand() -> CheckOperand {
        var result = parsePrimary()
        // A cast (PostgreSQL's `x::numeric`) keeps the operand; arithmetic does not.
        while true {
            if isSymbol("::") {
                // A type name may be several words (character varying) with (n) and [].
                at += 1
                while let t = current, t.kind == .word, !Self.keywords.contains(t.text.uppercased()) { at += 1 }
                if isSymbol("(") { skipParenthesised() }
                while isSymbol("["), at + 1 < tokens.count, tokens[at + 1].kind == .symbol, tokens[at + 1].text == "]" { at += 2 }
                continue
            }
            if let t = current, t.kind == .symbol, ["+", "-", "*", "/", "%", "||"].contains(t.text) {
                at += 1
                _ = parsePrimary()
                result = .other
                continue
            }
            return result
        }
    }

    /// `ANY ( … ARRAY[item, …] … )`, casts around it skipped.
    package mutating func parseAnyArray() -> [CheckOperand]? {
        guard eatWord("ANY"), isSymbol("(") else { return nil }
        var depth = 0
        var items: [CheckOperand]?
        while let t = current {
            if t.kind == .symbol && t.text == "(" { depth += 1; at += 1; continue }
            if t.kind == .symbol && t.text == ")" {
                depth -= 1
                at += 1
                if depth == 0 { break }
                continue
            }
            if items == nil && isWord("ARRAY") {
                at += 1
                guard isSymbol("[") else { return nil }
                at += 1
                var list: [CheckOperand] = []
                while current != nil && !isSymbol("]") {
                    list.append(parseOperand())
                    if isSymbol(",") { at += 1 } else { break }
                }
                guard isSymbol("]") else { return nil }
                at += 1
                items = list
                continue
            }
            at += 1
        }
        return depth == 0 ? items : nil
    }

    /// One-column functions whose value the generator can steer.
    package static func function(_ name: String, _ column: String) -> CheckOperand? {
        switch name {
        case "LENGTH", "CHAR_LENGTH", "CHARACTER_LENGTH": .length(column)
        case "OCTET_LENGTH": .octetLength(column)
        case "JSONB_TYPEOF", "JSON_TYPEOF": .jsonType(column)
        case "CARDINALITY": .cardinality(column)
        default: nil
        }
    }

    package static let keywords: Set<String> = ["AND", "OR", "NOT", "BETWEEN", "IN", "IS", "ISNULL", "NOTNULL", "LIKE", "GLOB", "COLLATE", "ESCAPE"]

    package mutating func skipParenthesised() {
        var depth = 0
        while let t = current {
            at += 1
            if t.kind == .symbol && t.text == "(" { depth += 1 }
            if t.kind == .symbol && t.text == ")" { depth -= 1; if depth == 0 { return } }
        }
    }

    package mutating func parsePrimary() -> CheckOperand {
        guard let t = current else { return .other }
        switch t.kind {
        case .number:
            at += 1
            if let i = Int64(t.text) { return .value(.integer(i)) }
            if let d = Double(t.text) { return .value(.real(d)) }
            return .other
        case .string:
            at += 1
            return .value(.text(t.text))
        case .quoted:
            at += 1
            return .column(t.text.lowercased())
        case .symbol:
            if t.text == "-" || t.text == "+" {
                at += 1
                let inner = parsePrimary()
                guard t.text == "-" else { return inner }
                switch inner {
                case .value(.integer(let i)): return .value(.integer(-i))
                case .value(.real(let d)): return .value(.real(-d))
                default: return .other
                }
            }
            if t.text == "(" {
                at += 1
                let inner = parseOperand()
                guard isSymbol(")") else { return .other }
                at += 1
                return inner
            }
            at += 1
            return .other
        case .word:
            at += 1
            let upper = t.text.uppercased()
            if upper == "NULL" { return .value(.null) }
            if upper == "TRUE" { return .value(.integer(1)) }
            if upper == "FALSE" { return .value(.integer(0)) }
            if isSymbol("(") {
                // A function call: length(column) is understood, others are not.
                let save = at
                at += 1
                if Self.function(upper, "") != nil, case .column(let c) = parseOperand(), isSymbol(")"), let operand = Self.function(upper, c) {
                    at += 1
                    return operand
                }
                at = save + 1
                if case .length = Self.function(upper, ""), case .trimmed(let c) = parseOperand(), isSymbol(")") {
                    at += 1
                    return .trimmedLength(c)
                }
                at = save + 1
                if upper == "TRIM" || upper == "BTRIM" {
                    if upper == "TRIM", eatWord("BOTH") { guard eatWord("FROM") else { at = save; skipParenthesised(); return .other } }
                    if case .column(let c) = parseOperand(), isSymbol(")") {
                        at += 1
                        return .trimmed(c)
                    }
                }
                at = save + 1
                if upper == "COALESCE", case .column(let c) = parseOperand(), isSymbol(",") {
                    at += 1
                    if case .value(let v) = parseOperand(), v != .null, isSymbol(")") {
                        at += 1
                        return .coalesce(c, v)
                    }
                }
                at = save + 1
                if upper == "DATE_TRUNC", case .value(.text(let unit)) = parseOperand(), isSymbol(",") {
                    at += 1
                    if case .column(let c) = parseOperand(), isSymbol(")") {
                        at += 1
                        return .dateTrunc(unit.lowercased(), c)
                    }
                }
                at = save + 1
                if upper == "NUM_NONNULLS" || upper == "NUM_NULLS" {
                    var columns: [String] = []
                    while case .column(let c) = parseOperand() {
                        columns.append(c)
                        if isSymbol(",") { at += 1; continue }
                        if isSymbol(")"), !columns.isEmpty { at += 1; return .nullCount(columns, nulls: upper == "NUM_NULLS") }
                        break
                    }
                }
                at = save
                skipParenthesised()
                return .other
            }
            return .column(t.text.lowercased())
        }
    }
}
