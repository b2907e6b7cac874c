import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

/// Reads the type-level facts the generator needs from a PostgreSQL catalog
/// (the scratch database once the schema ran, or the database `rehearse
/// profile` learns from): each column's type resolved through domains,
/// arrays, ranges and enums; a partitioned table's key and its partitions'
/// bounds; foreign keys declared only on partitions. Never a row's value:
/// enum labels, domain CHECKs and partition bounds are schema text.
package struct PostgresTypeCatalog {
    package let db: PGConnection
    private var cache: [String: PostgresTypeFact] = [:]

    package init(db: PGConnection) {
        self.db = db
    }

    /// The fact for type `oid` used with modifier `typmod`.
    package mutating func fact(oid: String, typmod: Int32, depth: Int = 0) throws(PGError) -> PostgresTypeFact {
        let key = "\(oid)/\(typmod)"
        if let known = cache[key] { return known }
        guard depth < 16, let row = try db.rows("""
            SELECT t.typname, t.typtype::text, t.typcategory::text, t.typelem::text, t.typbasetype::text, t.typtypmod::text,
                   pg_catalog.format_type(t.oid, NULL),
                   (SELECT r.rngsubtype::text FROM pg_catalog.pg_range r WHERE r.rngtypid = t.oid),
                   (SELECT r.rngtypid::text FROM pg_catalog.pg_range r WHERE r.rngmultitypid = t.oid)
            FROM pg_catalog.pg_type t WHERE t.oid = \(oid)
            """).first else { return .other(name: "type \(oid)", kind: "?") }
        let name = row[0]!, display = row[6]!
        let fact: PostgresTypeFact
        switch row[1] {
        case "e":
            let labels = try db.rows("SELECT enumlabel FROM pg_catalog.pg_enum WHERE enumtypid = \(oid) ORDER BY enumsortorder").map { $0[0]! }
            fact = .enumeration(name: display, labels: labels)
        case "d":
            let checks = try db.rows("""
                SELECT pg_catalog.pg_get_constraintdef(oid) FROM pg_catalog.pg_constraint
                WHERE contypid = \(oid) AND contype = 'c' ORDER BY conname
                """).map { $0[0]! }
            let base = try self.fact(oid: row[4]!, typmod: Int32(row[5] ?? "-1") ?? -1, depth: depth + 1)
            fact = .domain(name: display, base: base, checks: checks)
        case "r":
            fact = .range(name: display, subtype: try self.fact(oid: row[7] ?? "0", typmod: -1, depth: depth + 1))
        case "m":
            fact = .multirange(name: display, range: try self.fact(oid: row[8] ?? "0", typmod: -1, depth: depth + 1))
        case "b" where row[2] == "A" && row[3] != "0":
            // An array column's typmod belongs to its elements (varchar(10)[]).
            fact = .array(try self.fact(oid: row[3]!, typmod: typmod, depth: depth + 1))
        case "b":
            fact = .base(name: name, category: row[2] ?? "", typmod: typmod)
        default:
            fact = .other(name: display, kind: row[1] == "c" ? "composite" : "pseudo")
        }
        cache[key] = fact
        return fact
    }

    /// A domain CHECK (`CHECK (VALUE > 0)`) as the column's own CHECK: the
    /// keyword VALUE, outside string literals and quoted names, becomes the
    /// quoted column name.
    package static func check(_ definition: String, for column: String) -> String {
        var body = Substring(definition.trimmingCharacters(in: .whitespaces))
        if body.uppercased().hasPrefix("CHECK") { body = body.dropFirst(5).drop(while: { $0 == " " }) }
        if body.hasPrefix("("), body.hasSuffix(")") { body = body.dropFirst().dropLast() }
        var out = ""
        var word = ""
        var quote: Character?
        func flush() {
            out += word.uppercased() == "VALUE" ? PGConnection.quoteIdentifier(column) : word
            word = ""
        }
        for c in body {
            if let q = quote {
                out.append(c)
                if c == q { quote = nil }
                continue
            }
            if c.isLetter || c.isNumber || c == "_" || c == "$" {
                word.append(c)
                continue
            }
            flush()
            if c == "'" || c == "\"" { quote = c }
            out.append(c)
        }
        flush()
        return out
    }

    /// A partitioned table's strategy, key columns and its partitions'
    /// bounds (nil for a table that is not partitioned). A key on an
    /// expression gives no key columns, and no values are steered.
    package func partitionLayout(relid: String) throws(PGError) -> PartitionLayout? {
        guard let key = try db.rows("""
            SELECT p.partstrat::text,
                   (SELECT string_agg(a.attname, E'\\x1f' ORDER BY k.i) FROM unnest(p.partattrs::int2[]) WITH ORDINALITY k(attnum, i)
                      JOIN pg_catalog.pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = k.attnum),
                   0 = ALL (p.partattrs::int2[])
            FROM pg_catalog.pg_partitioned_table p WHERE p.partrelid = \(relid)
            """).first else { return nil }
        let strategy: PartitionLayout.Strategy = switch key[0] { case "r": .range; case "l": .list; default: .hash }
        let hasExpression = key[2] == "t" || key[1] == nil
        let columns = hasExpression ? [] : key[1]!.split(separator: "\u{1f}").map(String.init)
        let children = try db.rows("""
            SELECT pg_catalog.pg_get_expr(c.relpartbound, c.oid), c.relkind::text, c.oid::text
            FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = \(relid) ORDER BY c.relname
            """)
        var layout = PartitionLayout(strategy: strategy, keyColumns: columns)
        layout.attached = children.count
        var ownChecks: [[String]] = []
        for child in children {
            let bound = child[0] ?? ""
            if bound == "DEFAULT" { layout.hasDefault = true; continue }
            if strategy == .hash, let modulus = PartitionLayout.Bound.groups(bound).first?.first.flatMap({ $0 })
                .flatMap({ Double($0.split(separator: " ").last ?? "") }), modulus > 0 {
                layout.hashCoverage += 1 / modulus
                continue
            }
            guard let parsed = PartitionLayout.Bound(parsing: bound) else { continue }
            layout.bounds.append(parsed)
            guard let here = PartitionLayout.columnBounds(parsed, keys: columns) else { continue }
            if child[1] == "p", let sub = try partitionLayout(relid: child[2]!), sub.steers {
                // Rows aimed into a sub-partitioned partition must also land in
                // one of its own partitions: its leaves, under this bound.
                layout.leaves += sub.leaves.map { leaf in here.merging(leaf) { _, deeper in deeper } }
                layout.leafOids += sub.leafOids
            } else if child[1] == "p", let sub = try partitionLayout(relid: child[2]!), sub.attached == 0 {
                continue
            } else {
                layout.leaves.append(here)
                layout.leafOids.append(child[2]!)
                ownChecks.append(child[1] == "r" ? try db.rows("""
                    SELECT pg_catalog.pg_get_constraintdef(con.oid) FROM pg_catalog.pg_constraint con
                    WHERE con.conrelid = \(child[2]!) AND con.contype = 'c' AND con.coninhcount = 0 ORDER BY con.conname
                    """).flatMap { CheckDomains.checks(inCreateTable: $0[0]!) } : [])
            }
            while ownChecks.count < layout.leaves.count { ownChecks.append([]) }
            while layout.leafOids.count < layout.leaves.count { layout.leafOids.append("") }
        }
        guard layout.steers, ownChecks.count == layout.leaves.count, ownChecks.contains(where: { !$0.isEmpty }) else { return layout }
        // Leaves with CHECKs of their own. One every leaf has binds every row.
        let common = ownChecks.dropFirst().reduce(Set(ownChecks[0])) { $0.intersection($1) }
        let differing = ownChecks.map { $0.filter { !common.contains($0) } }
        // `x IS NULL` here, `x IS NOT NULL` there: the row's leaf decides.
        var nulls: [String: Set<Int>] = [:]
        var readable = true
        for (leaf, checks) in differing.enumerated() {
            for check in checks {
                let presence = CheckDomains.analyse([check])
                guard presence.unread.isEmpty, presence.domains.isEmpty, presence.presence.count == 1,
                      let rule = presence.presence.first, rule.columns.count == 1 else { readable = false; break }
                if rule.hi == 0 { nulls[rule.columns[0], default: []].insert(leaf) } else { nulls[rule.columns[0], default: []].formUnion([]) }
            }
        }
        if readable {
            layout.leafChecks = ownChecks[0].filter { common.contains($0) }
            layout.leafNulls = nulls
            return layout
        }
        // Otherwise rows go only to the leaves sharing the most common set
        // (the first such set on a tie), which the rows then meet.
        do {
            var counts: [[String]: Int] = [:]
            for set in ownChecks { counts[set.sorted(), default: 0] += 1 }
            let best = counts.values.max()!
            let pick = ownChecks.map { $0.sorted() }.first { counts[$0]! == best }!
            let kept = ownChecks.indices.filter { ownChecks[$0].sorted() == pick }
            layout.leaves = kept.map { layout.leaves[$0] }
            layout.leafOids = kept.map { layout.leafOids[$0] }
            layout.leafChecks = pick
        }
        return layout
    }

    /// The columns a table is partitioned by (none for an expression key).
    package func partitionKeyColumns(relid: String) throws(PGError) -> [String] {
        try db.rows("""
            SELECT a.attname FROM pg_catalog.pg_partitioned_table p, unnest(p.partattrs::int2[]) k(attnum)
            JOIN pg_catalog.pg_attribute a ON a.attnum = k.attnum
            WHERE p.partrelid = \(relid) AND a.attrelid = p.partrelid
            """).compactMap { $0[0] }
    }

    /// Foreign keys declared on a partition (not inherited from the
    /// parent), lifted to the partitioned root: values drawn from the
    /// referenced keys satisfy them in whichever partition a row lands.
    package func partitionForeignKeys(relid: String) throws(PGError) -> [ForeignKeyShape] {
        var out: [ForeignKeyShape] = []
        for row in try db.rows("""
            SELECT (SELECT string_agg(a.attname, E'\\x1f' ORDER BY k.i) FROM unnest(con.conkey) WITH ORDINALITY k(attnum, i)
                      JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum),
                   (SELECT string_agg(a.attname, E'\\x1f' ORDER BY k.i) FROM unnest(con.confkey) WITH ORDINALITY k(attnum, i)
                      JOIN pg_catalog.pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum),
                   pn.nspname, pc.relname, pc.relispartition::text, t.relid::oid::text, pc.oid::text,
                   rn.nspname, rc.relname
            FROM pg_catalog.pg_partition_tree(\(relid)::oid::regclass) t
            JOIN pg_catalog.pg_constraint con ON con.conrelid = t.relid AND con.contype = 'f' AND con.conparentid = 0
            JOIN pg_catalog.pg_class pc ON pc.oid = con.confrelid
            JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
            JOIN pg_catalog.pg_class rc ON rc.oid = coalesce(pg_catalog.pg_partition_root(pc.oid), pc.oid)
            JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
            WHERE t.relid <> \(relid)::oid::regclass
            ORDER BY t.level, con.conname
            """) {
            guard let c = row[0], let p = row[1] else { continue }
            if row[4] == "true" {
                // A partition's key to a partition of another table (gitlab's
                // ci_runner_taggings_instance_type → instance_type_ci_runners):
                // lifted to the roots, without the columns this table is
                // partitioned by (they steer the row), as a key whose rows aimed
                // at that partition draw from the parent's rows aimed at that one.
                let keys = Set(try partitionKeyColumns(relid: relid))
                let pairs = zip(c.split(separator: "\u{1f}").map(String.init), p.split(separator: "\u{1f}").map(String.init))
                    .filter { !keys.contains($0.0) }
                guard !pairs.isEmpty else { continue }
                let parent = PostgresCatalog.displayName(schema: row[7]!, name: row[8]!)
                if let i = out.firstIndex(where: { $0.columns == pairs.map(\.0) && $0.parentTable == parent && !$0.leafMap.isEmpty }) {
                    out[i].leafMap[row[5]!] = row[6]!
                } else {
                    var fk = ForeignKeyShape(columns: pairs.map(\.0), parentTable: parent, parentColumns: pairs.map(\.1))
                    fk.leafMap = [row[5]!: row[6]!]
                    out.append(fk)
                }
                continue
            }
            let fk = ForeignKeyShape(columns: c.split(separator: "\u{1f}").map(String.init),
                                     parentTable: PostgresCatalog.displayName(schema: row[2]!, name: row[3]!),
                                     parentColumns: p.split(separator: "\u{1f}").map(String.init))
            if !out.contains(where: { $0.columns == fk.columns }) { out.append(fk) }
        }
        return out
    }
}
