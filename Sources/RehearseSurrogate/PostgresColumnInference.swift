import RehearseCore
import RehearseEvidence

/// The default generator of a PostgreSQL column, from its catalog type: the
/// type decides what values are valid, and name hints (email, name, …) only
/// pick among valid ones. Numbers keep inside the type's range and the
/// column's CHECKs; text keeps inside its declared length; every other type
/// gets a `PostgresTypeGenerator`. A type nothing can be derived for is
/// refused here, while the plan is built, before any row is written.
extension ColumnPlan {
    package static func inferTyped(_ fact: PostgresTypeFact, column: ColumnShape, table: TableShape, unique: Bool, rows: Int64,
                           distinct: Int64?, domain: ColumnDomain?, here: String) throws -> Kind {
        let n = column.name.lowercased()
        let resolved = fact.resolved
        if let (lo, hi) = resolved.integerBounds {
            let inferred: Kind
            if table.primaryKey.map({ $0.lowercased() }) == [n] {
                guard rows <= hi else {
                    throw RehearseError.badInput("\(here): the primary key is \(fact.display), which holds keys up to \(hi), fewer than the \(rows) rows asked for. Lower the row count or widen the type.")
                }
                inferred = .spec(.sequence(start: 1, step: 1))
            } else if !unique && (n.hasPrefix("is_") || n.hasPrefix("has_")) {
                inferred = .spec(.boolean(rate: 0.5))
            } else {
                // Wide enough for a unique column or a learned distinct count.
                let width = unique ? Int64.max / 2 : max(1000, (distinct ?? 0) - 1)
                let low = max(lo, 0)
                inferred = .spec(.uniform(min: low, max: hi - low > width ? low + width : hi))
            }
            return clamp(try constrain(inferred, by: domain, column: column, table: table, unique: unique, rows: rows, here: here), lo, hi)
        }
        switch resolved.baseName {
        case "bool":
            return try constrain(.spec(.boolean(rate: 0.5)), by: domain, column: column, table: table, unique: unique, rows: rows, here: here)
        case "timestamp", "timestamptz":
            return .spec(.timestamp(from: CivilTime.parse("2020-01-01")!, to: CivilTime.parse("2026-01-01")!))
        case "bytea":
            return .bytes(16)
        case "float4", "float8":
            if unique { break }
            return try constrain(.spec(.uniformReal(min: 0, max: 1000, decimals: 2)), by: domain, column: column, table: table,
                                 unique: unique, rows: rows, here: here)
        case "numeric":
            // numeric(p, s): values up to 1000 within the precision, CHECK bounds applied.
            if unique { break }
            let scale = resolved.numericPrecision?.scale ?? 2
            let magnitude = min(1000, resolved.numericMagnitude ?? 1000)
            let k = try constrain(.spec(.uniformReal(min: 0, max: magnitude, decimals: min(max(scale, 0), 6))), by: domain,
                                  column: column, table: table, unique: unique, rows: rows, here: here)
            if case .spec(.uniformReal(let lo, let hi, let decimals)) = k {
                return .spec(.uniformReal(min: max(lo, -magnitude), max: min(hi, magnitude), decimals: min(decimals, max(scale, 0))))
            }
            return k
        default:
            break
        }
        if case .enumeration(_, let labels) = resolved, !labels.isEmpty, !unique, domain?.allowed != nil {
            // A CHECK narrows the labels: the list the CHECK allows.
            return try constrain(.spec(.categorical(labels.map { (DatabaseValue.text($0), 1) })), by: domain, column: column,
                                 table: table, unique: unique, rows: rows, here: here)
        }
        if resolved.isTextual, !(unique && (resolved.maxLength ?? Int64.max) < 64) {
            // Name hints shape text that is then cut to the declared length.
            let hinted = infer(ColumnShape(name: column.name, declaredType: "text", notNull: column.notNull), table: table, unique: unique)
            let text: Kind = if case .spec(.text) = hinted { hinted } else { .spec(.text(.word)) }
            return try constrain(text, by: domain, column: column, table: table, unique: unique, rows: rows, here: here)
        }
        guard let generator = PostgresTypeGenerator(fact) else {
            throw RehearseError.badInput("\(here): its type \(fact.display) is one rehearse cannot make values for (\(Self.why(fact))). Give the column a generator in the profile, for example:\n  tables:\n    \(table.name):\n      columns:\n        \(column.name): { generator: constant, value: '...' }\nwith a literal of that type, or allow NULL and set null_fraction: 1.")
        }
        if unique, let capacity = generator.capacity, capacity < rows {
            throw RehearseError.badInput("\(here): is unique, but its type \(fact.display) holds only \(capacity) distinct values for \(rows) rows. Lower the row count or widen the type.")
        }
        return .typed(generator)
    }

    /// Narrows integer bounds a CHECK derived (or an inferred range) to the type's.
    package static func clamp(_ kind: Kind, _ lo: Int64, _ hi: Int64) -> Kind {
        if case .spec(.uniform(let a, let b)) = kind, a < lo || b > hi {
            return .spec(.uniform(min: max(a, lo), max: max(min(b, hi), max(a, lo))))
        }
        return kind
    }

    package static func why(_ fact: PostgresTypeFact) -> String {
        switch fact.resolved {
        case .other(_, let kind): "a \(kind) type"
        case .enumeration: "an enum without labels"
        case .array(let e): "an array of \(e.display)"
        case .range(_, let s), .multirange(_, let s): "a range over \(s.display)"
        case .base(let name, let category, _): "base type \(name), category \(category)"
        case .domain: "a domain"
        }
    }

    /// Widens an inferred integer range that holds fewer values than the
    /// profile's learned distinct count, so a column observed with 16,044
    /// distinct values does not get 1,001.
    package static func widened(_ kind: Kind, distinct: Int64?, fact: PostgresTypeFact?, domain: ColumnDomain?) -> Kind {
        guard let distinct, case .spec(.uniform(let lo, let hi)) = kind, hi &- lo &+ 1 < distinct, hi >= lo else { return kind }
        // A CHECK's bounds hold: only a range nothing narrowed is widened.
        if let domain, domain.lower != nil || domain.upper != nil || domain.allowed != nil { return kind }
        let top = fact?.resolved.integerBounds?.hi ?? Int64.max
        return .spec(.uniform(min: lo, max: top - lo < distinct - 1 ? top : lo + distinct - 1))
    }
}

extension TablePlan {
    /// A partitioned table with no partition stores no row: asking it for
    /// rows is refused here, naming it, rather than failing mid-load.
    package static func checkPartitionsHold(_ shape: TableShape, rows: Int64, here: String) throws {
        guard rows > 0, let layout = shape.partitions else { return }
        if layout.strategy == .hash, layout.attached > 0, layout.hashCoverage < 1 - 1e-9 {
            throw RehearseError.badInput("\(here): is hash-partitioned, but its partitions cover only \(Int((layout.hashCoverage * 100).rounded()))% of hash values, so some of the \(rows) rows would have no partition. Create the missing partitions (every remainder of the modulus) in the schema file, or give it rows: 0 in the profile.")
        }
        guard layout.attached == 0 else { return }
        throw RehearseError.badInput("\(here): is partitioned but has no partition, so it cannot store the \(rows) rows asked for. Create its partitions in the schema file, or give it rows: 0 in the profile:\n  tables:\n    \(shape.name):\n      rows: 0")
    }

    /// PostgreSQL: for a composite PRIMARY KEY or UNIQUE set that no single
    /// column makes unique and that is not made of foreign keys alone (the
    /// plan spreads those over their parents), the first member the
    /// generator is free to make unique (no foreign key, no partition key,
    /// no profile generator, a type that holds enough values) is made
    /// unique, so the set is unique by construction: random draws of every
    /// member collide (16,044 rows of two 0...1000 columns repeat ~128 times).
    package static func compositeKeyAnchors(_ shape: TableShape, profile: TableProfile?, rows: Int64,
                                            domains: [String: ColumnDomain] = [:]) -> Set<String> {
        let single = Set(shape.uniqueSets.filter { $0.count == 1 }.map { $0[0].lowercased() })
        let fk = Set(shape.foreignKeys.flatMap { $0.columns.map { $0.lowercased() } })
        let steered = shape.partitions?.steers == true ? Set(shape.partitions!.keyColumns.map { $0.lowercased() }) : []
        var anchors = Set<String>()
        for set in shape.uniqueSets where set.count > 1 {
            let members = set.map { $0.lowercased() }
            guard !members.contains(where: { single.contains($0) || anchors.contains($0) }), !members.allSatisfy(fk.contains) else { continue }
            // A member a CHECK narrows to a list, a pattern or month starts cannot be made unique.
            for name in members where !fk.contains(name) && !steered.contains(name)
                && domains[name].map({ $0.allowed == nil && $0.pattern == nil && $0.truncated == nil }) ?? true {
                guard let column = shape.columns.first(where: { $0.name.lowercased() == name }), let fact = column.pgType,
                      profile?.columns.first(where: { $0.key.lowercased() == name })?.value.generator == nil else { continue }
                let resolved = fact.resolved
                let capable: Bool
                if let (lo, hi) = resolved.integerBounds {
                    capable = hi &- max(lo, 0) >= rows
                } else if PostgresTypeGenerator.supported(fact), ["bool"].contains(resolved.baseName ?? "") == false {
                    capable = (PostgresTypeGenerator.capacity(fact) ?? Int64.max) >= rows
                } else {
                    capable = false
                }
                if capable {
                    anchors.insert(name)
                    break
                }
            }
        }
        return anchors
    }
}
