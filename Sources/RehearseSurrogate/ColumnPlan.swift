import Foundation
import RehearseCore
import RehearseEvidence

package final class ColumnPlan: @unchecked Sendable {
    // @unchecked: `afterColumn`, `groupLeader`, `composite` and
    // `activeParents` are set once while the
    // owning TablePlan is built, before the plan is shared; never written after.
    package enum Kind {
        case spec(GeneratorSpec)
        case reference(parent: TablePlan, parentColumn: Int)
        /// Points at an earlier row of the same table, through column `keyColumn`.
        case selfReference(keyColumn: Int)
        case bytes(Int)
        /// A PostgreSQL type's own values (PostgresTypeValues.swift).
        case typed(PostgresTypeGenerator)
        /// A partition key column: inside a partition's bounds.
        case partition(PartitionValues)
    }

    package let name: String
    package private(set) var kind: Kind
    package let rng: CounterRandom
    package let nullFraction: Double
    package let permutation: IndexPermutation?
    package let asInteger: Bool
    package var afterColumn: Int?
    /// A foreign key whose value must differ from this earlier column's (`x <> y`).
    package var distinctFrom: Int?
    /// Leaves (TablePlan.leaf) whose rows hold NULL here: a partition's own `x IS NULL`.
    package var nullInLeaves: Set<Int> = []
    /// A column that follows another (`offset`): its own CHECK bounds, which the sum is kept inside.
    package var offsetDomain: ColumnDomain?
    /// A foreign key to one partition: the parent's rows aimed at it, which
    /// its values draw from (a unique one takes each at most once).
    package var leafRows: [Int64]?
    /// A key declared per partition: per leaf of this table, the parent's rows to draw from.
    package var leafRowsByLeaf: [Int: [Int64]] = [:]
    package var groupLeader: Int?
    /// This column's index in its table, set with `groupLeader`.
    package var position = 0
    /// Set when the column is one part of a composite key drawn by construction.
    package var composite: (key: CompositeKey, position: Int)?
    /// Sum of a categorical generator's weights, computed once.
    package let categoricalTotal: Double
    /// A keyed order of the rows. The first `nullCount` rows in this order are
    /// NULL, so a null fraction is met exactly, by construction; the others
    /// are numbered 0, 1, 2 … for pools and for covering parents.
    package let rowOrder: IndexPermutation?
    package let nullCount: Int64
    /// With `distinct: N`, the k-th non-NULL row takes pool slot k mod N: the
    /// column has exactly min(N, non-NULL rows) distinct slots.
    package let poolSize: Int64?
    /// Whether pool slots are evaluated as unique indexes (see init).
    package let poolUnique: Bool
    /// Set when a foreign key draws from only this many of its parents (the
    /// rest stay childless, as `rehearse profile` observed), through a keyed
    /// subset of the parent's rows.
    package var activeParents: (count: Int64, subset: IndexPermutation)?
    /// Set when the profile gives this foreign key a fan-out distribution.
    package let fanOut: FanOutPlan?
    package let zipf: ZipfSampler?
    package let seasonal: SeasonalCalendar?
    /// Text lengths a CHECK allows, applied to an inferred generator's text.
    package let lengthBounds: (min: Int64, max: Int64?)?
    /// Sizes in bytes a CHECK (`octet_length`) allows, applied to inferred text.
    package let byteBounds: (min: Int64, max: Int64?)?
    /// Text matching a CHECK's regular expression (`x ~ '^[0-9]{14}$'`), for inferred text.
    package let pattern: RegexText?
    /// `x = date_trunc('month', x)` on a date column: values moved to the first of the month or year.
    package let truncated: String?
    /// `x !~ 'pattern'`: a value matching one is replaced by a plain word.
    package let forbidden: [NSRegularExpression]
    /// The edge-case mix and birth targets for this column, when it takes any.
    package let edges: ColumnEdges?

    package init(table: TableShape, column: ColumnShape, profile: ColumnProfile?, foreignKey: ForeignKeyShape?, unique: Bool,
         rows: Int64, seed: UInt64, parents: [String: TablePlan], context: String,
         fanOut fanOutSpec: FanOutSpec? = nil, domain: ColumnDomain? = nil, derived: GeneratorSpec? = nil, deferred: Bool = false,
         edges: ColumnEdges? = nil, forcedNull: Bool = false) throws {
        name = column.name
        let here = "\(context), column \(column.name)"
        rng = CounterRandom(seed: seed, table: table.name.lowercased(), column: column.name.lowercased())
        asInteger = column.affinity == .integer
        nullFraction = edges?.nullFraction ?? profile?.nullFraction ?? fanOutSpec?.nullFraction ?? 0
        self.edges = edges?.isActive == true ? edges : nil
        if nullFraction > 0 && column.notNull {
            throw RehearseError.badInput("\(here): null_fraction is \(nullFraction) but the column is NOT NULL. Set null_fraction to 0 or allow NULL in the schema.")
        }
        var inferredText = false
        if let spec = profile?.generator {
            kind = .spec(spec)
            if foreignKey == nil, let domain { try Self.verify(spec, against: domain, column: column, table: table, rows: rows, here: here) }
        } else if deferred || forcedNull {
            // Deferred: set by the pass after loading (SurrogatePlan.deferredForeignKeys).
            // Forced NULL: a CHECK the generator does not read passes on NULL,
            // or a rule on NULLs (num_nonnulls, IS NULL) wants it NULL.
            kind = .spec(.constant(.null))
        } else if let fk = foreignKey {
            let parentName = fk.parentTable.lowercased()
            let position = fk.columns.firstIndex { $0.lowercased() == column.name.lowercased() }!
            let selfRef = parentName == table.name.lowercased()
            if selfRef {
                // The parent is this very table, whose plan is being built: the
                // reference goes through the key column's own generator.
                let keys = fk.parentColumns.isEmpty ? table.primaryKey : fk.parentColumns
                guard position < keys.count, let keyIndex = table.columns.firstIndex(where: { $0.name.lowercased() == keys[position].lowercased() }) else {
                    throw RehearseError.badInput("\(here): cannot find the column this self-reference points at.")
                }
                kind = .selfReference(keyColumn: keyIndex)
                if column.notNull {
                    throw RehearseError.badInput("\(here): a NOT NULL self-reference cannot be generated (the first row has no earlier row to point at). Allow NULL or give the column a generator in the profile.")
                }
            } else {
                guard let parent = parents[parentName] else {
                    throw RehearseError.badInput("\(here): references \(fk.parentTable), which is not planned before it.")
                }
                let parentCols = fk.parentColumns.isEmpty ? parent.primaryKey : fk.parentColumns
                guard position < parentCols.count,
                      let idx = parent.columns.firstIndex(where: { $0.name.lowercased() == parentCols[position].lowercased() }) else {
                    throw RehearseError.badInput("\(here): cannot find the referenced column of \(fk.parentTable).")
                }
                // A parent with no rows is fine while this table has none either.
                if parent.rows == 0 && column.notNull && rows > 0 {
                    throw RehearseError.badInput("\(here): references \(fk.parentTable), which the profile gives 0 rows, but the column is NOT NULL. Give the parent rows.")
                }
                kind = .reference(parent: parent, parentColumn: idx)
                if unique && parent.rows < rows {
                    throw RehearseError.badInput("\(here): is unique and references \(fk.parentTable), so it needs at most \(parent.rows) rows (one per parent), but the profile asks for \(rows). Lower the row count or the parent's.")
                }
            }
        } else if let layout = table.partitions,
                  let steered = PartitionValues(layout: layout, column: column.name, fact: column.pgType, seed: seed, table: table.name) {
            kind = .partition(steered)
        } else if let derived {
            kind = .spec(derived)
        } else if let fact = column.pgType {
            kind = try Self.inferTyped(fact, column: column, table: table, unique: unique, rows: rows, distinct: profile?.distinct,
                                       domain: domain, here: here)
            inferredText = true
        } else {
            kind = Self.widened(try Self.constrain(Self.infer(column, table: table, unique: unique), by: domain, column: column, table: table,
                                                   unique: unique, rows: rows, here: here), distinct: profile?.distinct, fact: nil, domain: domain)
            inferredText = true
        }
        if let d = domain, !forcedNull, profile?.generator == nil {
            switch kind {
            case .typed(let g) where d.jsonType != nil: kind = .typed(g.json(d.jsonType))
            case .typed(let g) where d.minCardinality != nil: kind = .typed(g.elements(atLeast: Int(d.minCardinality!)))
            case .bytes(let n) where d.minBytes != nil || d.maxBytes != nil:
                kind = .bytes(Int(max(min(Int64(n), d.maxBytes ?? Int64(n)), d.minBytes ?? 0)))
            default: break
            }
        }
        forbidden = inferredText && !forcedNull ? (domain?.forbidden ?? []).compactMap { try? NSRegularExpression(pattern: $0) } : []
        truncated = inferredText && column.pgType?.resolved.baseName == "date" ? domain?.truncated : nil
        pattern = inferredText && column.affinity == .text && !forcedNull ? domain?.pattern : nil
        byteBounds = inferredText ? domain.flatMap { d in d.minBytes != nil || d.maxBytes != nil ? (d.minBytes ?? 0, d.maxBytes) : nil } : nil
        let typeLength = column.pgType?.resolved.maxLength
        if inferredText, let d = domain, d.minLength != nil || d.maxLength != nil {
            lengthBounds = (d.minLength ?? 0, [d.maxLength, typeLength].compactMap { $0 }.min())
        } else if inferredText, let typeLength {
            lengthBounds = (0, typeLength)
        } else {
            lengthBounds = nil
        }
        switch kind {
        case .spec(.zipf(let n, let s)): zipf = ZipfSampler(n: n, exponent: s)
        default: zipf = nil
        }
        if case .spec(.seasonalTimestamp(let from, let to, let hours, let days)) = kind {
            seasonal = SeasonalCalendar(from: from, to: to, hourWeights: hours, weekdayWeights: days)
        } else {
            seasonal = nil
        }
        if case .spec(.normal(_, _, let lo, let hi, _)) = kind, asInteger, let lo, let hi, lo.rounded(.up) > hi.rounded(.down) {
            throw RehearseError.badInput("\(here): an integer column, but no whole number lies between min \(lo) and max \(hi). Widen the bounds.")
        }
        if case .spec(.logNormal(_, _, let lo, let hi, _)) = kind, asInteger, let lo, let hi, lo.rounded(.up) > hi.rounded(.down) {
            throw RehearseError.badInput("\(here): an integer column, but no whole number lies between min \(lo) and max \(hi). Widen the bounds.")
        }
        permutation = unique ? IndexPermutation(count: rows, key: rng.key ^ 0x5EED) : nil
        poolSize = (!unique && foreignKey == nil) ? profile?.distinct : nil
        // Pool slots of an inferred PostgreSQL-typed or widened integer
        // generator are numbered like a unique column's rows, so the column
        // gets exactly `distinct` values (random draws would repeat).
        var numbered = false
        if let poolSize, profile?.generator == nil {
            switch kind {
            case .typed: numbered = true
            case .spec(.uniform(let lo, let hi)): numbered = column.pgType != nil || hi &- lo &+ 1 == poolSize
            default: break
            }
            if numbered, (try? Self.checkUniqueCapable(kind, rows: poolSize, here: here)) == nil { numbered = false }
        }
        poolUnique = numbered
        nullCount = Int64((nullFraction * Double(rows)).rounded())
        rowOrder = IndexPermutation(count: max(rows, 1), key: rng.key ^ 0x0DE5)
        if case .spec(.categorical(let values)) = kind {
            categoricalTotal = values.reduce(0) { $0 + $1.weight }
        } else {
            categoricalTotal = 0
        }
        if let fanOutSpec {
            guard case .reference(let parent, _) = kind else {
                throw RehearseError.badInput("\(here): the profile gives its foreign key a fan-out, but the column does not draw from a parent table (it has a generator, or points at its own table). Remove the foreign_keys entry or the column's generator.")
            }
            if unique {
                throw RehearseError.badInput("\(here): is unique, so every parent has at most one child; a fan-out distribution does not apply. Remove the foreign_keys entry.")
            }
            fanOut = parent.rows > 0
                ? try FanOutPlan(spec: fanOutSpec, parents: parent.rows, children: rows - nullCount, key: rng.key,
                                 here: "\(here) (foreign key to \(parent.name))")
                : nil
        } else {
            fanOut = nil
        }
        if unique { try Self.checkUniqueCapable(kind, rows: rows, here: here) }
        if case .selfReference = kind, unique {
            throw RehearseError.badInput("\(here): a unique self-reference is not supported by this generator version. Give the column a generator in the profile.")
        }
    }

    package static func checkUniqueCapable(_ kind: Kind, rows: Int64, here: String) throws {
        switch kind {
        case .spec(.sequence(_, let step)) where step != 0: return
        // NULLs never collide: a column set after loading, or NULL for a CHECK.
        case .spec(.constant(.null)): return
        case .spec(.uniform(let lo, let hi)):
            if hi - lo + 1 >= rows { return }
            throw RehearseError.badInput("\(here): is unique, but uniform \(lo)...\(hi) holds only \(hi - lo + 1) values for \(rows) rows. Widen the range or use 'generator: sequence'.")
        case .spec(.timestamp(let from, let to)):
            if to - from >= rows { return }
            throw RehearseError.badInput("\(here): is unique, but the timestamp range holds fewer seconds than \(rows) rows. Widen it.")
        case .spec(.text(.hexLength(let n))):
            if n >= 16 || (1 << (4 * n)) >= rows { return }
            throw RehearseError.badInput("\(here): is unique, but hex of length \(n) cannot give \(rows) distinct values. Make it longer.")
        case .spec(.text), .reference, .selfReference, .bytes, .partition: return
        case .typed(let g):
            if let capacity = g.capacity, capacity < rows {
                throw RehearseError.badInput("\(here): is unique, but its type \(g.fact.display) holds only \(capacity) distinct values for \(rows) rows. Lower the row count or widen the type.")
            }
            return
        default:
            if rows <= 1 { return }
            throw RehearseError.badInput("\(here): is unique, but its generator cannot give \(rows) distinct values. Use sequence, uniform with a wide enough range, or a text pattern.")
        }
    }
}
