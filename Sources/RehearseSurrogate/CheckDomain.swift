import Foundation
import RehearseCore
import RehearseEvidence

/// CHECK constraints read as value domains, so a column the profile is
/// silent about gets values that satisfy them by construction. Understood:
/// comparisons with constants (`x > 0`, `x <= 9.5`, `x = 'a'`), BETWEEN,
/// IN lists, `length(x)` compared or BETWEEN, `x IS NULL OR …`, AND, and
/// comparisons between two columns of the row (`shipped_at >= placed_at`).
/// Anything else is left to the database to enforce at insert time.
package struct ColumnDomain {
    package struct Bound {
        package var value: Double
        package var inclusive: Bool
    }
    package var lower: Bound?
    package var upper: Bound?
    /// IN lists and `x = constant`, intersected.
    package var allowed: [DatabaseValue]?
    /// `x <> constant` and NOT IN.
    package var excluded: [DatabaseValue] = []
    package var minLength: Int64?
    package var maxLength: Int64?
    /// Comparisons with other columns: this column `op` other.
    package var relations: [(op: String, column: String)] = []
    /// The constraints that contributed, for error messages.
    package var sources: [String] = []

    package var isEmpty: Bool { lower == nil && upper == nil && allowed == nil && excluded.isEmpty && minLength == nil && maxLength == nil && relations.isEmpty }

    package mutating func raise(_ b: Bound) {
        if let l = lower, l.value > b.value || (l.value == b.value && !l.inclusive) { return }
        lower = b
    }

    package mutating func cap(_ b: Bound) {
        if let u = upper, u.value < b.value || (u.value == b.value && !u.inclusive) { return }
        upper = b
    }

    package mutating func allow(_ values: [DatabaseValue]) {
        allowed = allowed.map { current in current.filter { v in values.contains { CheckDomains.same($0, v) } } } ?? values
    }

    /// Whether a (non-NULL) value meets the bounds, lengths and lists.
    package func admits(_ v: DatabaseValue) -> Bool {
        if excluded.contains(where: { CheckDomains.same($0, v) }) { return false }
        if let allowed, !allowed.contains(where: { CheckDomains.same($0, v) }) { return false }
        switch v {
        case .integer(let i): if !inRange(Double(i)) { return false }
        case .real(let x): if !inRange(x) { return false }
        default: break
        }
        if minLength != nil || maxLength != nil {
            let n: Int64
            switch v {
            case .text(let s): n = Int64(s.count)
            case .blob(let b): n = Int64(b.count)
            case .integer(let i): n = Int64(String(i).count)
            case .real(let x): n = Int64(String(x).count)
            case .null: return true
            }
            if let lo = minLength, n < lo { return false }
            if let hi = maxLength, n > hi { return false }
        }
        return true
    }

    package func inRange(_ x: Double) -> Bool {
        if let l = lower, x < l.value || (x == l.value && !l.inclusive) { return false }
        if let u = upper, x > u.value || (x == u.value && !u.inclusive) { return false }
        return true
    }

    /// The integer range the bounds leave, if any bound is set.
    package var integerRange: (lo: Int64?, hi: Int64?) {
        func clamp(_ x: Double) -> Int64 { x >= 9.2e18 ? Int64.max : x <= -9.2e18 ? Int64.min : Int64(x) }
        let lo = lower.map { b in clamp(b.inclusive ? b.value.rounded(.up) : b.value.rounded(.down) + 1) }
        let hi = upper.map { b in clamp(b.inclusive ? b.value.rounded(.down) : b.value.rounded(.up) - 1) }
        return (lo, hi)
    }
}

package enum CheckDomains {
    /// Equality of constants as a CHECK compares them: 1 = 1.0.
    package static func same(_ a: DatabaseValue, _ b: DatabaseValue) -> Bool {
        switch (a, b) {
        case (.integer(let x), .real(let y)), (.real(let y), .integer(let x)): return Double(x) == y
        default: return a == b
        }
    }

    /// Per column (lower-cased name), what the table's CHECK constraints allow.
    package static func domains(_ checks: [String]) -> [String: ColumnDomain] {
        var out: [String: ColumnDomain] = [:]
        for text in checks {
            var parser = CheckParser(text)
            guard let expr = parser.parseAll() else { continue }
            var touched = Set<String>()
            apply(expr, to: &out, touched: &touched)
            for c in touched { out[c, default: ColumnDomain()].sources.append(text) }
        }
        return out
    }

    private static func apply(_ e: CheckExpr, to out: inout [String: ColumnDomain], touched: inout Set<String>) {
        switch e {
        case .and(let parts):
            for p in parts { apply(p, to: &out, touched: &touched) }
        case .or(let parts):
            // `x = 'a' OR x = 'b' OR x IN (…)`: one list.
            let lists = parts.map { p -> (String, [DatabaseValue])? in
                switch p {
                case .compare(.column(let c), "=", let v): return v.constant.map { (c, [$0]) }
                case .compare(let v, "=", .column(let c)): return v.constant.map { (c, [$0]) }
                case .inList(.column(let c), let items, false):
                    let constants = items.compactMap(\.constant)
                    return constants.count == items.count ? (c, constants) : nil
                default: return nil
                }
            }
            if lists.allSatisfy({ $0 != nil }), let column = lists.first??.0, lists.allSatisfy({ $0?.0 == column }) {
                out[column, default: ColumnDomain()].allow(lists.flatMap { $0!.1 })
                touched.insert(column)
                return
            }
            // `x IS NULL OR rest`: the rest holds for the non-NULL values of x.
            let nullTests = parts.compactMap { p -> String? in
                if case .isNull(.column(let c), false) = p { return c }
                return nil
            }
            guard nullTests.count == 1, parts.count == 2,
                  let rest = parts.first(where: { if case .isNull = $0 { return false } else { return true } }) else { return }
            let column = nullTests[0]
            var scratch: [String: ColumnDomain] = [:]
            var scratchTouched = Set<String>()
            apply(rest, to: &scratch, touched: &scratchTouched)
            // Only what constrains that same column carries over; a bound on
            // another column inside the OR holds only when x is not NULL.
            if let d = scratch[column] {
                merge(d, into: &out[column, default: ColumnDomain()])
                touched.insert(column)
            }
        case .compare(let a, let op, let b):
            compare(a, op, b, &out, &touched)
        case .between(let x, let lo, let hi, let negated):
            guard !negated else { return }
            compare(x, ">=", lo, &out, &touched)
            compare(x, "<=", hi, &out, &touched)
        case .inList(let x, let values, let negated):
            let constants = values.compactMap(\.constant)
            guard constants.count == values.count else { return }
            switch x {
            case .column(let c):
                if negated { out[c, default: ColumnDomain()].excluded += constants } else { out[c, default: ColumnDomain()].allow(constants) }
                touched.insert(c)
            case .length(let c) where !negated:
                let ns = constants.compactMap { v -> Int64? in if case .integer(let i) = v { return i }; return nil }
                guard let lo = ns.min(), let hi = ns.max() else { return }
                var d = out[c, default: ColumnDomain()]
                d.minLength = max(d.minLength ?? lo, lo)
                d.maxLength = min(d.maxLength ?? hi, hi)
                out[c] = d
                touched.insert(c)
            default: return
            }
        case .isNull, .other:
            return
        }
    }

    private static func merge(_ d: ColumnDomain, into target: inout ColumnDomain) {
        if let l = d.lower { target.raise(l) }
        if let u = d.upper { target.cap(u) }
        if let a = d.allowed { target.allow(a) }
        target.excluded += d.excluded
        if let lo = d.minLength { target.minLength = max(target.minLength ?? lo, lo) }
        if let hi = d.maxLength { target.maxLength = min(target.maxLength ?? hi, hi) }
        target.relations += d.relations
    }

    package static let flipped = ["<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "<>": "<>"]

    private static func compare(_ a: CheckOperand, _ op: String, _ b: CheckOperand, _ out: inout [String: ColumnDomain], _ touched: inout Set<String>) {
        if a.constant != nil, b.constant == nil, let f = flipped[op] {
            compare(b, f, a, &out, &touched)
            return
        }
        switch (a, b) {
        case (.column(let x), .column(let y)) where x != y:
            guard ["<", "<=", ">", ">="].contains(op) else { return }
            out[x, default: ColumnDomain()].relations.append((op, y))
            out[y, default: ColumnDomain()].relations.append((flipped[op]!, x))
            touched.formUnion([x, y])
        case (.column(let x), _):
            guard let v = b.constant else { return }
            var d = out[x, default: ColumnDomain()]
            let number: Double? = { if case .integer(let i) = v { return Double(i) }; if case .real(let r) = v { return r }; return nil }()
            switch op {
            case "=": d.allow([v])
            case "<>": d.excluded.append(v)
            case ">", ">=": if let number { d.raise(.init(value: number, inclusive: op == ">=")) } else { return }
            case "<", "<=": if let number { d.cap(.init(value: number, inclusive: op == "<=")) } else { return }
            default: return
            }
            out[x] = d
            touched.insert(x)
        case (.length(let x), _):
            guard case .integer(let n)? = b.constant else { return }
            var d = out[x, default: ColumnDomain()]
            var lo = d.minLength ?? 0, hi = d.maxLength ?? Int64.max
            switch op {
            case "=": lo = max(lo, n); hi = min(hi, n)
            case ">": lo = max(lo, n + 1)
            case ">=": lo = max(lo, n)
            case "<": hi = min(hi, n - 1)
            case "<=": hi = min(hi, n)
            default: return
            }
            d.minLength = lo
            d.maxLength = hi == Int64.max ? nil : hi
            out[x] = d
            touched.insert(x)
        default:
            return
        }
    }

    /// The text of every CHECK (...) clause of a CREATE TABLE statement,
    /// column and table constraints alike, without the outer parentheses.
    package static func checks(inCreateTable sql: String) -> [String] {
        let tokens = CheckLexer.tokens(sql)
        var out: [String] = []
        var i = 0
        while i < tokens.count {
            if tokens[i].kind == .word, tokens[i].text.uppercased() == "CHECK", i + 1 < tokens.count, tokens[i + 1].text == "(" {
                var depth = 0
                var j = i + 1
                while j < tokens.count {
                    if tokens[j].text == "(" && tokens[j].kind == .symbol { depth += 1 }
                    if tokens[j].text == ")" && tokens[j].kind == .symbol { depth -= 1; if depth == 0 { break } }
                    j += 1
                }
                if j < tokens.count, j > i + 2 {
                    let start = tokens[i + 2].range.lowerBound, end = tokens[j - 1].range.upperBound
                    out.append(String(sql[start..<end]))
                }
                i = j
            }
            i += 1
        }
        return out
    }
}

// MARK: - A small parser for the CHECK subset

package indirect enum CheckExpr {
    case and([CheckExpr])
    case or([CheckExpr])
    case compare(CheckOperand, String, CheckOperand)
    case between(CheckOperand, CheckOperand, CheckOperand, negated: Bool)
    case inList(CheckOperand, [CheckOperand], negated: Bool)
    case isNull(CheckOperand, negated: Bool)
    case other
}

package enum CheckOperand {
    /// A column, by lower-cased name.
    case column(String)
    /// length(column).
    case length(String)
    case value(DatabaseValue)
    case other

    package var constant: DatabaseValue? {
        if case .value(let v) = self, v != .null { return v }
        return nil
    }
}

package struct CheckToken {
    package enum Kind { case word, quoted, number, string, symbol }
    package var kind: Kind
    package var text: String
    package var range: Range<String.Index>
}

package enum CheckLexer {
    package static func tokens(_ s: String) -> [CheckToken] {
        var out: [CheckToken] = []
        var i = s.startIndex
        func peek(_ k: Int) -> Character? {
            var j = i
            for _ in 0..<k { guard j < s.endIndex else { return nil }; j = s.index(after: j) }
            return j < s.endIndex ? s[j] : nil
        }
        while i < s.endIndex {
            let c = s[i]
            let start = i
            if c.isWhitespace { i = s.index(after: i); continue }
            if c == "-" && peek(1) == "-" {
                while i < s.endIndex && s[i] != "\n" { i = s.index(after: i) }
                continue
            }
            if c == "/" && peek(1) == "*" {
                i = s.index(i, offsetBy: 2)
                while i < s.endIndex && !(s[i] == "*" && peek(1) == "/") { i = s.index(after: i) }
                i = i < s.endIndex ? s.index(i, offsetBy: 2, limitedBy: s.endIndex) ?? s.endIndex : s.endIndex
                continue
            }
            // `[` quotes an identifier in SQLite, but opens PostgreSQL's ARRAY[...] and `type[]`.
            let arrayBracket = c == "[" && out.last.map { $0.kind == .word } == true
            if c == "'" || c == "\"" || c == "`" || (c == "[" && !arrayBracket) {
                let close: Character = c == "[" ? "]" : c
                var text = ""
                i = s.index(after: i)
                while i < s.endIndex {
                    if s[i] == close {
                        if close != "]", peek(1) == close { text.append(close); i = s.index(i, offsetBy: 2); continue }
                        i = s.index(after: i)
                        break
                    }
                    text.append(s[i])
                    i = s.index(after: i)
                }
                out.append(CheckToken(kind: c == "'" ? .string : .quoted, text: text, range: start..<i))
                continue
            }
            if c.isNumber || (c == "." && (peek(1)?.isNumber ?? false)) {
                while i < s.endIndex, s[i].isNumber || s[i] == "." || s[i] == "e" || s[i] == "E"
                        || ((s[i] == "+" || s[i] == "-") && (s[s.index(before: i)] == "e" || s[s.index(before: i)] == "E")) {
                    i = s.index(after: i)
                }
                out.append(CheckToken(kind: .number, text: String(s[start..<i]), range: start..<i))
                continue
            }
            if c.isLetter || c == "_" {
                while i < s.endIndex, s[i].isLetter || s[i].isNumber || s[i] == "_" || s[i] == "$" { i = s.index(after: i) }
                out.append(CheckToken(kind: .word, text: String(s[start..<i]), range: start..<i))
                continue
            }
            for op in ["<=", ">=", "<>", "!=", "==", "::", "||"] where s[i...].hasPrefix(op) {
                i = s.index(i, offsetBy: 2)
                out.append(CheckToken(kind: .symbol, text: op, range: start..<i))
                break
            }
            if i == start {
                i = s.index(after: i)
                out.append(CheckToken(kind: .symbol, text: String(c), range: start..<i))
            }
        }
        return out
    }
}

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
            }
            at = save
        }
        let left = parseOperand()
        if eatWord("IS") {
            let negated = eatWord("NOT")
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
        guard let t = current, t.kind == .symbol, ["<", "<=", ">", ">=", "=", "==", "<>", "!="].contains(t.text) else {
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
        if t.kind == .symbol { return ["<", "<=", ">", ">=", "=", "==", "<>", "!=", "+", "-", "*", "/", "||", "::"].contains(t.text) }
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
                if ["LENGTH", "CHAR_LENGTH", "CHARACTER_LENGTH"].contains(upper), case .column(let c) = parseOperand(), isSymbol(")") {
                    at += 1
                    return .length(c)
                }
                at = save
                skipParenthesised()
                return .other
            }
            return .column(t.text.lowercased())
        }
    }
}
