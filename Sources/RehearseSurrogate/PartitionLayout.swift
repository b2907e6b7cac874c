import RehearseCore
import RehearseEvidence

/// A partitioned table's key and its partitions' bounds, as the catalog
/// spells them (`FOR VALUES FROM (…) TO (…)`, `FOR VALUES IN (…)`). The
/// generator steers the key columns into a partition chosen per row, so
/// every row lands in one; with a DEFAULT partition (or hash partitioning)
/// any value lands and nothing is steered.
package struct PartitionLayout: Sendable, Equatable {
    package enum Strategy: Sendable { case range, list, hash }

    package enum Bound: Sendable, Equatable {
        /// One literal per key column; nil is MINVALUE / MAXVALUE.
        case range(from: [String?], to: [String?])
        /// The listed values; nil is NULL.
        case list([String?])

        /// Parses `pg_get_expr(relpartbound, …)`; nil for hash bounds and
        /// anything else.
        package init?(parsing text: String) {
            let groups = Self.groups(text)
            let upper = text.uppercased()
            if upper.hasPrefix("FOR VALUES FROM"), groups.count == 2 {
                self = .range(from: groups[0], to: groups[1])
            } else if upper.hasPrefix("FOR VALUES IN"), groups.count == 1 {
                self = .list(groups[0])
            } else {
                return nil
            }
        }

        /// The items of each top-level parenthesized group, unquoted;
        /// MINVALUE, MAXVALUE and NULL as nil.
        package static func groups(_ text: String) -> [[String?]] {
            var groups: [[String?]] = []
            var items: [String?] = []
            var current = ""
            var quoted = false
            var wasQuoted = false
            var depth = 0
            var chars = Array(text)[...]
            func finish() {
                let t = current.trimmingCharacters(in: .whitespaces)
                if wasQuoted {
                    items.append(current)
                } else if ["MINVALUE", "MAXVALUE", "NULL"].contains(t.uppercased()) {
                    items.append(nil)
                } else if !t.isEmpty {
                    // Unquoted: a number, maybe with a cast (`5::integer`).
                    items.append(t.components(separatedBy: "::")[0])
                }
                current = ""
                wasQuoted = false
            }
            while let c = chars.popFirst() {
                if quoted {
                    if c == "'" {
                        if chars.first == "'" { current.append("'"); chars.removeFirst() } else { quoted = false }
                    } else {
                        current.append(c)
                    }
                    continue
                }
                switch c {
                case "'" where depth > 0:
                    quoted = true
                    wasQuoted = true
                    current = ""
                case "(":
                    depth += 1
                    if depth > 1 { current.append(c) }
                case ")":
                    depth -= 1
                    if depth == 0 {
                        finish()
                        groups.append(items)
                        items = []
                    } else {
                        current.append(c)
                    }
                case "," where depth == 1:
                    finish()
                default:
                    // A cast after a quoted literal (`'x'::text`) is dropped.
                    if depth > 0 && !wasQuoted { current.append(c) }
                }
            }
            return groups
        }
    }

    /// What one partition level asks of one key column.
    package enum ColumnBound: Sendable, Equatable {
        /// `[from, to)` of a single-column range key; nil is MINVALUE / MAXVALUE.
        case range(from: String?, to: String?)
        case list([String?])
        /// A multi-column range key: the partition's lower bound, which is inside it.
        case literal(String)
    }

    package var strategy: Strategy
    /// Key columns in order; empty when the key has an expression.
    package var keyColumns: [String]
    package var bounds: [Bound] = []
    /// Every leaf partition rows can be aimed at, as what each level on the
    /// way down asks of each key column (lower-cased name; the deepest level
    /// wins). A sub-partitioned partition with a DEFAULT, hash or
    /// expression key is one leaf with its ancestors' bounds.
    package var leaves: [[String: ColumnBound]] = []
    package var hasDefault = false
    /// Partitions attached to the table (whatever their bounds).
    package var attached = 0
    /// Hash partitioning: the share of hash values the partitions cover
    /// (the sum of 1/modulus); below 1 some rows have no partition.
    package var hashCoverage = 0.0
    /// CHECKs a partition has beyond its parent's (gitlab's
    /// `organization_id IS NULL` on one partition, `IS NOT NULL` on the
    /// others): rows are steered only into the leaves that share the most
    /// common set of them, and the table's rows meet these too.
    package var leafChecks: [String] = []
    /// The leaf partitions' relation OIDs, in the order of `leaves` (a
    /// foreign key to one partition draws parent rows aimed at it).
    package var leafOids: [String] = []
    /// `x IS NULL` on some leaves and `x IS NOT NULL` (or nothing) on the
    /// others: per column (lower-cased), the leaves whose rows hold NULL
    /// there; the column is set in every other row.
    package var leafNulls: [String: Set<Int>] = [:]

    package init(strategy: Strategy, keyColumns: [String], bounds: [Bound] = [], hasDefault: Bool = false) {
        self.strategy = strategy
        self.keyColumns = keyColumns
        self.bounds = bounds
        self.hasDefault = hasDefault
    }

    /// Whether the key columns need steering: some value would land in no partition.
    package var steers: Bool {
        strategy != .hash && !hasDefault && !keyColumns.isEmpty && !leaves.isEmpty
    }

    /// What `bound` asks of each key column.
    package static func columnBounds(_ bound: Bound, keys: [String]) -> [String: ColumnBound]? {
        var out: [String: ColumnBound] = [:]
        switch bound {
        case .list(let values):
            guard keys.count == 1 else { return nil }
            out[keys[0].lowercased()] = .list(values)
        case .range(let from, let to):
            guard from.count == keys.count, to.count == keys.count else { return nil }
            if keys.count == 1 {
                out[keys[0].lowercased()] = .range(from: from[0], to: to[0])
            } else {
                guard from.allSatisfy({ $0 != nil }) else { return nil }
                for (k, v) in zip(keys, from) { out[k.lowercased()] = .literal(v!) }
            }
        }
        return out
    }
}
