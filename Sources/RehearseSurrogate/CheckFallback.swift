import RehearseCore
import RehearseEvidence

/// What a table's CHECKs make of the columns the profile is silent about,
/// beyond value domains (issue 12: gitlab's 2,279 CHECKs):
/// - rules on NULLs (`num_nonnulls(a, b) = 1`, `x IS NOT NULL`,
///   `(a IS NULL) <> (b IS NULL)`) pick, in the CHECK's own order, which
///   columns are set and which are NULL, the same for every row;
/// - a CHECK the generator does not read passes on NULL: its nullable
///   columns are NULL; a NOT NULL one with a DEFAULT is left out of the COPY
///   for the server to fill; a NOT NULL one without is refused, naming the
///   table, column and CHECK, before any row is written.
/// Nothing is weakened: the server still checks every row it is given.
package struct CheckPlan {
    /// Columns (lower-cased) generated as NULL.
    package var nulls: Set<String> = []
    /// Columns (lower-cased) left out of the COPY: the server's DEFAULT fills them.
    package var omitted: Set<String> = []
    /// Columns (lower-cased) a rule on NULLs wants set in every row.
    package var present: Set<String> = []

    package init(shape: TableShape, analysis: CheckAnalysis, profile: TableProfile?, deferred: Set<String>, here: String) throws {
        let columns = Dictionary(shape.columns.map { ($0.name.lowercased(), $0) }, uniquingKeysWith: { a, _ in a })
        func described(_ c: String) -> ColumnProfile? { profile?.columns.first { $0.key.lowercased() == c }?.value }
        // The generator's own choice: no profile entry, not the primary key,
        // not a partition key, not a foreign key filled after loading. (A
        // UNIQUE column may be NULL: NULLs never collide.)
        var fixed = Set(shape.primaryKey.map { $0.lowercased() })
        if let layout = shape.partitions {
            fixed.formUnion(layout.keyColumns.map { $0.lowercased() })
            fixed.formUnion(layout.leafNulls.keys)
        }
        fixed.formUnion(deferred)
        func free(_ c: String) -> Bool { described(c) == nil && !fixed.contains(c) }
        func alwaysSet(_ c: String) -> Bool {
            guard let column = columns[c] else { return false }
            if column.notNull { return true }
            if let p = described(c) { return p.generator != nil && (p.nullFraction ?? 0) == 0 }
            // A key the generator fills has no NULL (only a cycle's foreign key waits).
            return fixed.contains(c) && !deferred.contains(c)
        }
        for rule in analysis.presence {
            guard rule.columns.allSatisfy({ columns[$0] != nil }) else { continue }
            let members = rule.columns.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
            var set = members.filter { alwaysSet($0) || present.contains($0) }
            var open = members.filter { !set.contains($0) && !nulls.contains($0) && free($0) }
            if set.count > rule.hi {
                throw RehearseError.badInput("\(here): CHECK (\(rule.source)) allows at most \(rule.hi) of (\(members.joined(separator: ", "))) to be set, but \(set.joined(separator: ", ")) \(set.count == 1 ? "is" : "are") always set (NOT NULL or a profile generator). Fix the constraint or the profile.")
            }
            while set.count < rule.lo, !open.isEmpty {
                let c = open.removeFirst()
                present.insert(c)
                set.append(c)
            }
            if set.count < rule.lo {
                throw RehearseError.badInput("\(here): CHECK (\(rule.source)) needs at least \(rule.lo) of (\(members.joined(separator: ", "))) set, and the generator can set only \(set.count) (the others have a profile entry, are keys or are set after loading). Give the columns generators in the profile, without null_fraction.")
            }
            if set.count + open.count > rule.hi { nulls.formUnion(open) }
        }
        let names = Set(columns.keys)
        var unread = analysis.unread.map { "CHECK (\($0))" }
        for (c, d) in analysis.domains where d.truncated != nil && columns[c]?.pgType?.resolved.baseName != "date" {
            unread += d.sources.map { "CHECK (\($0))" }.filter { !unread.contains($0) }
        }
        // `x <> y` is met by the later column when it is a one-column foreign key.
        let order = shape.columns.map { $0.name.lowercased() }
        let singleKeys = Set(shape.foreignKeys.filter { $0.columns.count == 1 }.map { $0.columns[0].lowercased() })
        for (c, d) in analysis.domains {
            for y in d.differsFrom {
                guard let i = order.firstIndex(of: c), let j = order.firstIndex(of: y) else { continue }
                let later = order[max(i, j)]
                if !singleKeys.contains(later) || !free(later) || deferred.contains(later) {
                    unread += d.sources.map { "CHECK (\($0))" }.filter { !unread.contains($0) }
                }
            }
        }
        unread += shape.unreadConstraints
        for text in unread {
            let mentioned = Set(CheckLexer.tokens(text).filter { $0.kind == .word || $0.kind == .quoted }.map { $0.text.lowercased() })
                .intersection(names)
            var stuck: [String] = []
            for c in shape.columns.map({ $0.name.lowercased() }) where mentioned.contains(c) {
                guard free(c), !present.contains(c), let column = columns[c] else { continue }
                if !column.notNull { nulls.insert(c) } else if column.hasDefault { omitted.insert(c) } else { stuck.append(c) }
            }
            if let c = stuck.first, mentioned.allSatisfy({ stuck.contains($0) }) {
                let name = columns[c]!.name
                throw RehearseError.badInput("\(here), column \(name): \(text) is a form the generator does not read, and the column is NOT NULL without a DEFAULT, so no generated value is known to meet it. Give the column a generator in the profile whose values meet it, for example:\n  tables:\n    \(shape.name):\n      columns:\n        \(name): { generator: constant, value: ... }")
            }
        }
        nulls.subtract(present)
    }
}
