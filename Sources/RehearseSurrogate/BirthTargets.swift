import RehearseCore
import RehearseEvidence

/// Birth-aware targeting: what the birth's data-changing statements look
/// for, so the surrogate holds rows that match them AND rows that do not.
/// Read from the birth's tokens (no schema needed): for each INSERT, UPDATE,
/// DELETE or MERGE on a table, the columns under `lower()`/`upper()`
/// (rows that change when case-folded), `IS NULL` / `IS NOT NULL` (NULLs),
/// and the literals of `=`, `<>`, `IN (…)`, `LIKE 'prefix%'`, `<`, `>`,
/// `BETWEEN` (rows holding those values, or just across the bound). The
/// values are the birth's own literals, never data from a real database.
package struct BirthTargets: Sendable {
    package struct Column: Sendable, Equatable {
        package var nulls = false
        package var caseFold = false
        package var values: [DatabaseValue] = []
    }

    /// table (lower case) → column (lower case) → what to make.
    package private(set) var tables: [String: [String: Column]] = [:]

    package init() {}

    /// Reads the birth's statements and, when given, the rollback's: a
    /// rollback that rewrites rows by its own predicate (`WHERE name =
    /// 'legacy'`) is only tested if such rows exist before the birth.
    package init(birth: SQLScript, rollback: SQLScript? = nil, dialect: Dialect) {
        for script in [birth] + (rollback.map { [$0] } ?? []) { read(script, dialect: dialect) }
    }

    private mutating func read(_ script: SQLScript, dialect: Dialect) {
        guard let sealed = SealedScript(bytes: Array(script.text.utf8), path: script.displayPath, dialect: dialect) else { return }
        for statement in sealed.statements {
            let effect = StatementEffect.classify(statement.sql, dialect: dialect)
            guard effect.kind == .rows, let table = effect.tables.first else { continue }
            let key = (table.split(separator: ".").last.map(String.init) ?? table).lowercased()
            read(SQLNormalizer.lex(statement.sql), into: &tables[key, default: [:]])
        }
    }

    package func column(table: String, column: String) -> Column? {
        tables[table.lowercased()]?[column.lowercased()]
    }

    private func read(_ t: [SQLNormalizer.Token], into columns: inout [String: Column]) {
        func isName(_ i: Int) -> Bool {
            i >= 0 && i < t.count && (t[i].quoted || (t[i].text.first.map { $0.isLetter || $0 == "_" } ?? false)
                && !["null", "not", "and", "or", "where", "set", "is", "in", "like", "between", "true", "false"].contains(t[i].text))
        }
        func name(_ i: Int) -> String { t[i].text.lowercased() }
        func literal(_ i: Int) -> DatabaseValue? {
            guard i < t.count, !t[i].quoted else { return nil }
            let s = t[i].text
            if s.hasPrefix("'"), s.hasSuffix("'"), s.count >= 2 {
                return .text(String(s.dropFirst().dropLast()).replacingOccurrences(of: "''", with: "'"))
            }
            if s == "-", i + 1 < t.count, let v = literal(i + 1) {
                switch v {
                case .integer(let n): return .integer(-n)
                case .real(let x): return .real(-x)
                default: return nil
                }
            }
            if let n = Int64(s) { return .integer(n) }
            if let x = Double(s), x.isFinite { return .real(x) }
            return nil
        }
        func add(_ column: String, _ value: DatabaseValue) {
            var c = columns[column] ?? Column()
            if c.values.count < 16, !c.values.contains(value) { c.values.append(value) }
            columns[column] = c
        }
        func shifted(_ v: DatabaseValue, by d: Int64) -> DatabaseValue {
            switch v {
            case .integer(let n): return .integer(n.addingReportingOverflow(d).overflow ? n : n + d)
            case .real(let x): return .real(x + Double(d))
            default: return v
            }
        }
        for i in t.indices where !t[i].quoted {
            // lower(x) = 'lit' / upper(x) IN (…): plant the literal in x (and its case variants come from the mix).
            if ["lower", "upper"].contains(t[i].text), i + 4 < t.count, t[i + 1].isKeyword("("), isName(i + 2), t[i + 3].isKeyword(")") {
                if ["=", "<>", "!="].contains(t[i + 4].text), i + 5 < t.count, let v = literal(i + 5) { add(name(i + 2), v) }
                if t[i + 4].isKeyword("in"), i + 5 < t.count, t[i + 5].isKeyword("(") {
                    var j = i + 6
                    while j < t.count, !t[j].isKeyword(")") { if let v = literal(j) { add(name(i + 2), v) }; j += 1 }
                }
            }
            // Every comparison below reads the name just before the operator.
            if !["lower", "upper"].contains(t[i].text), !isName(i - 1) { continue }
            switch t[i].text {
            case "lower", "upper":
                if i + 2 < t.count, t[i + 1].isKeyword("("), isName(i + 2) {
                    var c = i + 2
                    while c + 2 < t.count, t[c + 1].isKeyword("."), isName(c + 2) { c += 2 }
                    columns[name(c), default: Column()].caseFold = true
                }
            case "is":
                if i + 1 < t.count, t[i + 1].isKeyword("null") || (t[i + 1].isKeyword("not") && i + 2 < t.count && t[i + 2].isKeyword("null")) {
                    columns[name(i - 1), default: Column()].nulls = true
                }
            case "=", "<>", "!=", "==":
                if let v = literal(i + 1) { add(name(i - 1), v) }
            case "<", "<=":
                if let v = literal(i + 1) { add(name(i - 1), shifted(v, by: -1)); add(name(i - 1), v) }
            case ">", ">=":
                if let v = literal(i + 1) { add(name(i - 1), shifted(v, by: 1)); add(name(i - 1), v) }
            case "like", "ilike":
                if case .text(let pattern)? = literal(i + 1) {
                    let prefix = pattern.prefix { $0 != "%" && $0 != "_" }
                    add(name(i - 1), .text(prefix.count == pattern.count ? String(prefix) : prefix + "Edge"))
                }
            case "between":
                if let lo = literal(i + 1) { add(name(i - 1), lo) }
            case "in":
                guard i + 1 < t.count, t[i + 1].isKeyword("(") else { break }
                var j = i + 2
                while j < t.count, !t[j].isKeyword(")") {
                    if let v = literal(j) { add(name(i - 1), v) }
                    j += 1
                }
            default:
                break
            }
        }
    }
}

extension SurrogateSource {
    /// The birth's targets when the profile leaves targeting on.
    package func birthTargets(_ profile: ShapeProfile, dialect: Dialect) throws -> BirthTargets {
        guard profile.edgeCases.targeting else { return BirthTargets() }
        return BirthTargets(birth: try script(manifest.birth, dialect: dialect), rollback: try script(manifest.rollback, dialect: dialect), dialect: dialect)
    }
}
