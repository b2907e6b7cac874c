/// How every column of every table gets its values: the profile's generators
/// where it names one, inferred ones elsewhere, foreign keys drawn from the
/// parent's key space and unique columns from a permutation of the row index.
/// Values are pure functions of (seed, table, column, row).
public final class SurrogatePlan: Sendable {
    public let tables: [TablePlan]
    public let seed: UInt64

    /// Version of the value functions. Changing any generator's output for a
    /// given seed must bump it (and say so in the changelog): evidence and
    /// provenance record it, so a different version explains different data.
    public static let generatorVersion = "rehearse-surrogate/1"

    public init(shapes: [TableShape], profile: ShapeProfile, seed: UInt64, scale: Double, profileFile: String) throws {
        self.seed = seed
        let byName = Dictionary(shapes.map { ($0.name.lowercased(), $0) }, uniquingKeysWith: { a, _ in a })
        for name in profile.tables.keys where byName[name.lowercased()] == nil {
            throw RehearseError.badInput("\(profileFile): the profile describes table '\(name)', which the schema does not create. Fix the name or remove it.")
        }
        let order = try Self.parentFirst(shapes)
        var plans: [String: TablePlan] = [:]
        var ordered: [TablePlan] = []
        for shape in order {
            let tp = profile.tables[shape.name] ?? profile.tables.first { $0.key.lowercased() == shape.name.lowercased() }?.value
            let base = tp?.rows ?? profile.defaultRows
            let rows = base == 0 ? 0 : max(1, Int64((Double(base) * scale).rounded()))
            let plan = try TablePlan(shape: shape, profile: tp, rows: rows, seed: seed, parents: plans, profileFile: profileFile)
            plans[shape.name.lowercased()] = plan
            ordered.append(plan)
        }
        tables = ordered
    }

    public var totalRows: Int64 { tables.reduce(0) { $0 + $1.rows } }

    /// Tables ordered so every parent precedes its children. Self-references are
    /// fine (a row points at an earlier row); a cycle between tables is refused.
    static func parentFirst(_ shapes: [TableShape]) throws -> [TableShape] {
        var remaining = shapes.sorted { $0.name < $1.name }
        var done = Set<String>()
        var result: [TableShape] = []
        while !remaining.isEmpty {
            guard let i = remaining.firstIndex(where: { shape in
                shape.foreignKeys.allSatisfy { fk in
                    fk.parentTable.lowercased() == shape.name.lowercased() || done.contains(fk.parentTable.lowercased())
                        || !shapes.contains { $0.name.lowercased() == fk.parentTable.lowercased() }
                }
            }) else {
                let names = remaining.map(\.name).joined(separator: ", ")
                throw RehearseError.badInput("The foreign keys among tables \(names) form a cycle, which this generator version cannot fill. Make one edge of the cycle nullable and give it 'generator: constant, value: ...' is not enough either: break the cycle in the schema, or wait for cycle support (see the surrogate generator issue).")
            }
            let shape = remaining.remove(at: i)
            done.insert(shape.name.lowercased())
            result.append(shape)
        }
        for shape in shapes {
            for fk in shape.foreignKeys where !shapes.contains(where: { $0.name.lowercased() == fk.parentTable.lowercased() }) {
                throw RehearseError.badInput("Table \(shape.name) has a foreign key to \(fk.parentTable), which the schema does not create. Create the parent table or drop the foreign key.")
            }
        }
        return result
    }
}

public final class TablePlan: Sendable {
    public let name: String
    public let rows: Int64
    public let columns: [ColumnPlan]
    /// The primary key's column names (what a foreign key without named columns references).
    public let primaryKey: [String]

    init(shape: TableShape, profile: TableProfile?, rows: Int64, seed: UInt64, parents: [String: TablePlan], profileFile: String) throws {
        name = shape.name
        self.rows = rows
        primaryKey = shape.primaryKey
        let where_ = "\(profileFile): table \(shape.name)"
        for col in profile?.columns.keys.sorted() ?? [] where !shape.columns.contains(where: { $0.name.lowercased() == col.lowercased() }) {
            throw RehearseError.badInput("\(where_): the profile describes column '\(col)', which the table does not have. Fix the name or remove it.")
        }
        let uniqueColumns = Set(shape.uniqueSets.filter { $0.count == 1 }.map { $0[0].lowercased() })
        var plans: [ColumnPlan] = []
        for column in shape.columns {
            let cp = profile?.columns.first { $0.key.lowercased() == column.name.lowercased() }?.value
            let fk = shape.foreignKeys.first { $0.columns.contains { $0.lowercased() == column.name.lowercased() } }
            plans.append(try ColumnPlan(table: shape, column: column, profile: cp, foreignKey: fk, unique: uniqueColumns.contains(column.name.lowercased()),
                                        rows: rows, seed: seed, parents: parents, context: where_))
        }
        columns = plans
        // A timestamp_after must name an earlier-or-any column of this table that yields timestamps.
        for (i, c) in plans.enumerated() {
            if case .spec(.timestampAfter(let other, _, _)) = c.kind {
                guard let j = plans.firstIndex(where: { $0.name.lowercased() == other.lowercased() }), j != i else {
                    throw RehearseError.badInput("\(where_), column \(c.name): timestamp_after names column '\(other)', which is not another column of this table.")
                }
                guard case .spec(.timestamp) = plans[j].kind else {
                    throw RehearseError.badInput("\(where_), column \(c.name): timestamp_after needs '\(other)' to use the timestamp generator.")
                }
                c.afterColumn = j
            }
        }
        // Observed fan-outs: a foreign key draws from as many parents as the
        // real data referenced, so the share of childless parents carries over.
        for (columns, histogram) in profile?.observedFanOuts ?? [] {
            let total = histogram.reduce(Int64(0)) { $0 + $1.parents }
            let childless = histogram.first { $0.bucket == "0" }?.parents ?? 0
            guard total > 0, childless > 0 else { continue }
            for name in columns {
                guard let i = plans.firstIndex(where: { $0.name.lowercased() == name.lowercased() }) else { continue }
                let parentRows: Int64
                switch plans[i].kind {
                case .reference(let parent, _): parentRows = parent.rows
                case .selfReference: parentRows = rows
                default: continue
                }
                let active = max(1, Int64((Double(parentRows) * Double(total - childless) / Double(total)).rounded()))
                plans[i].activeParents = (active, IndexPermutation(count: max(parentRows, 1), key: plans[i].rng.key ^ 0xFA40))
            }
        }
        // A composite key made of foreign keys to different parents (a join
        // table's primary key) is unique by construction: a permutation of
        // the row index is split, mixed-radix, into one row of each parent.
        for set in shape.uniqueSets where set.count > 1 {
            let members = set.compactMap { name in plans.firstIndex { $0.name.lowercased() == name.lowercased() } }
            guard members.count == set.count, !members.contains(where: { plans[$0].permutation != nil }) else { continue }
            var parents: [Int64] = []
            var subsets: [IndexPermutation?] = []
            for m in members {
                guard case .reference(let parent, _) = plans[m].kind, plans[m].groupLeader == nil else { parents = []; break }
                parents.append(plans[m].activeParents?.count ?? parent.rows)
                subsets.append(plans[m].activeParents?.subset)
            }
            guard parents.count == members.count else { continue }
            let capacity = parents.reduce(Int64(1)) { $0.multipliedReportingOverflow(by: $1).overflow ? Int64.max : $0 * $1 }
            guard capacity >= rows else {
                throw RehearseError.badInput("\(where_): the key (\(set.joined(separator: ", "))) combines parents with only \(capacity) distinct combinations, fewer than the \(rows) rows asked for. Lower the row count or raise the parents'.")
            }
            let key = CompositeKey(radices: parents, subsets: subsets, permutation: IndexPermutation(count: capacity, key: plans[members[0]].rng.key ^ 0xC0_4B05))
            for (position, m) in members.enumerated() {
                if plans[m].nullFraction > 0 {
                    throw RehearseError.badInput("\(where_), column \(plans[m].name): part of the key (\(set.joined(separator: ", "))), so it cannot have a null_fraction.")
                }
                plans[m].composite = (key, position)
            }
        }
        // Composite foreign keys draw one parent row for all their columns.
        for fk in shape.foreignKeys where fk.columns.count > 1 {
            let ids = fk.columns.compactMap { n in plans.firstIndex { $0.name.lowercased() == n.lowercased() } }
            for id in ids {
                plans[id].groupLeader = ids[0]
                plans[id].position = id
            }
        }
    }

    /// The value of column `index` in row `row`.
    public func value(_ index: Int, row: Int64) -> DatabaseValue {
        columns[index].value(row: row, in: self)
    }
}

public final class ColumnPlan: @unchecked Sendable {
    // @unchecked: `afterColumn`, `groupLeader`, `composite` and
    // `activeParents` are set once while the
    // owning TablePlan is built, before the plan is shared; never written after.
    enum Kind {
        case spec(GeneratorSpec)
        case reference(parent: TablePlan, parentColumn: Int)
        /// Points at an earlier row of the same table, through column `keyColumn`.
        case selfReference(keyColumn: Int)
        case bytes(Int)
    }

    public let name: String
    let kind: Kind
    let rng: CounterRandom
    let nullFraction: Double
    let permutation: IndexPermutation?
    let asInteger: Bool
    var afterColumn: Int?
    var groupLeader: Int?
    /// This column's index in its table, set with `groupLeader`.
    var position = 0
    /// Set when the column is one part of a composite key drawn by construction.
    var composite: (key: CompositeKey, position: Int)?
    /// Sum of a categorical generator's weights, computed once.
    let categoricalTotal: Double
    /// A keyed order of the rows. The first `nullCount` rows in this order are
    /// NULL, so a null fraction is met exactly, by construction; the others
    /// are numbered 0, 1, 2 … for pools and for covering parents.
    let rowOrder: IndexPermutation?
    let nullCount: Int64
    /// With `distinct: N`, the k-th non-NULL row takes pool slot k mod N: the
    /// column has exactly min(N, non-NULL rows) distinct slots.
    let poolSize: Int64?
    /// Set when a foreign key draws from only this many of its parents (the
    /// rest stay childless, as `rehearse profile` observed), through a keyed
    /// subset of the parent's rows.
    var activeParents: (count: Int64, subset: IndexPermutation)?

    init(table: TableShape, column: ColumnShape, profile: ColumnProfile?, foreignKey: ForeignKeyShape?, unique: Bool,
         rows: Int64, seed: UInt64, parents: [String: TablePlan], context: String) throws {
        name = column.name
        let here = "\(context), column \(column.name)"
        rng = CounterRandom(seed: seed, table: table.name.lowercased(), column: column.name.lowercased())
        asInteger = column.affinity == .integer
        nullFraction = profile?.nullFraction ?? 0
        if nullFraction > 0 && column.notNull {
            throw RehearseError.badInput("\(here): null_fraction is \(nullFraction) but the column is NOT NULL. Set null_fraction to 0 or allow NULL in the schema.")
        }
        if let spec = profile?.generator {
            kind = .spec(spec)
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
                if parent.rows == 0 && column.notNull {
                    throw RehearseError.badInput("\(here): references \(fk.parentTable), which the profile gives 0 rows, but the column is NOT NULL. Give the parent rows.")
                }
                kind = .reference(parent: parent, parentColumn: idx)
                if unique && parent.rows < rows {
                    throw RehearseError.badInput("\(here): is unique and references \(fk.parentTable), so it needs at most \(parent.rows) rows (one per parent), but the profile asks for \(rows). Lower the row count or the parent's.")
                }
            }
        } else {
            kind = Self.infer(column, table: table, unique: unique)
        }
        permutation = unique ? IndexPermutation(count: rows, key: rng.key ^ 0x5EED) : nil
        poolSize = (!unique && foreignKey == nil) ? profile?.distinct : nil
        nullCount = Int64((nullFraction * Double(rows)).rounded())
        rowOrder = IndexPermutation(count: max(rows, 1), key: rng.key ^ 0x0DE5)
        if case .spec(.categorical(let values)) = kind {
            categoricalTotal = values.reduce(0) { $0 + $1.weight }
        } else {
            categoricalTotal = 0
        }
        if unique { try Self.checkUniqueCapable(kind, rows: rows, here: here) }
        if case .selfReference = kind, unique {
            throw RehearseError.badInput("\(here): a unique self-reference is not supported by this generator version. Give the column a generator in the profile.")
        }
    }

    static func checkUniqueCapable(_ kind: Kind, rows: Int64, here: String) throws {
        switch kind {
        case .spec(.sequence(_, let step)) where step != 0: return
        case .spec(.uniform(let lo, let hi)):
            if hi - lo + 1 >= rows { return }
            throw RehearseError.badInput("\(here): is unique, but uniform \(lo)...\(hi) holds only \(hi - lo + 1) values for \(rows) rows. Widen the range or use 'generator: sequence'.")
        case .spec(.timestamp(let from, let to)):
            if to - from >= rows { return }
            throw RehearseError.badInput("\(here): is unique, but the timestamp range holds fewer seconds than \(rows) rows. Widen it.")
        case .spec(.text(.hexLength(let n))):
            if n >= 16 || (1 << (4 * n)) >= rows { return }
            throw RehearseError.badInput("\(here): is unique, but hex of length \(n) cannot give \(rows) distinct values. Make it longer.")
        case .spec(.text), .reference, .selfReference, .bytes: return
        default:
            if rows <= 1 { return }
            throw RehearseError.badInput("\(here): is unique, but its generator cannot give \(rows) distinct values. Use sequence, uniform with a wide enough range, or a text pattern.")
        }
    }

    static func infer(_ column: ColumnShape, table: TableShape, unique: Bool) -> Kind {
        let n = column.name.lowercased()
        let pk = table.primaryKey.map { $0.lowercased() }
        if pk == [n] && column.affinity == .integer { return .spec(.sequence(start: 1, step: 1)) }
        if column.looksBoolean || n.hasPrefix("is_") || n.hasPrefix("has_") { return .spec(.boolean(rate: 0.5)) }
        if column.affinity == .blob && !column.declaredType.isEmpty { return .bytes(16) }
        let textual = column.affinity == .text || column.affinity == .blob
        if textual {
            if n.contains("email") { return .spec(.text(.email)) }
            if n.contains("phone") { return .spec(.text(.phone)) }
            if n == "first_name" || n == "given_name" { return .spec(.text(.firstName)) }
            if n == "last_name" || n == "surname" || n == "family_name" { return .spec(.text(.lastName)) }
            if n.contains("name") { return .spec(.text(.name)) }
            if n.contains("city") || n.contains("town") { return .spec(.text(.city)) }
            if n.contains("street") || n.contains("address") || n.hasPrefix("line") { return .spec(.text(.street)) }
            if n.contains("postcode") || n.contains("postal") || n.hasPrefix("zip") { return .spec(.text(.postcode)) }
            if n.contains("sku") { return .spec(.text(.sku)) }
            if n.contains("uuid") || n.contains("guid") { return .spec(.text(.uuid)) }
            if n.contains("token") || n.contains("hash") { return .spec(.text(.hexLength(32))) }
            if n.contains("description") || n.contains("note") || n.contains("comment") || n.contains("body") { return .spec(.text(.sentence)) }
        }
        if n.hasSuffix("_at") || n.hasSuffix("_on") || n.contains("date") || n.contains("time") {
            return .spec(.timestamp(from: CivilTime.parse("2020-01-01")!, to: CivilTime.parse("2026-01-01")!))
        }
        switch column.affinity {
        case .integer, .numeric: return .spec(.uniform(min: 0, max: unique ? Int64.max / 2 : 1000))
        case .real: return .spec(.uniformReal(min: 0, max: 1000, decimals: 2))
        case .text, .blob: return .spec(.text(.word))
        }
    }

    @inline(__always)
    func isNull(row: Int64) -> Bool {
        nullCount > 0 && rowOrder!(row) < nullCount
    }

    /// The row's number among the non-NULL rows, in the keyed order.
    @inline(__always)
    func nonNullIndex(row: Int64) -> Int64 {
        rowOrder!(row) - nullCount
    }

    func value(row: Int64, in table: TablePlan) -> DatabaseValue {
        if let leader = groupLeader, leader != position {
            if table.columns[leader].isNull(row: row) { return .null }
        } else if isNull(row: row) {
            return .null
        }
        let index = permutation.map { $0(row) }
        switch kind {
        case .spec(let spec):
            if let poolSize, afterColumn == nil {
                // Evaluate at the pool slot, so equal slots give equal values.
                return evaluate(spec, row: nonNullIndex(row: row) % poolSize, unique: nil, table: table)
            }
            return evaluate(spec, row: row, unique: index, table: table)
        case .bytes(let n):
            var bytes: [UInt8] = []
            var k: UInt64 = 0
            while bytes.count < n { bytes += withUnsafeBytes(of: rng.bits(row, 20 &+ k).bigEndian, Array.init); k += 1 }
            if let index { bytes.replaceSubrange(0..<8, with: withUnsafeBytes(of: UInt64(index).bigEndian, Array.init)) }
            return .blob(Array(bytes.prefix(max(n, 8))))
        case .selfReference(let keyColumn):
            guard row > 0 else { return .null }
            let drawer = groupLeader.map { table.columns[$0] } ?? self
            // With an observed share of parents, only the first rows are ever pointed at.
            let candidates = min(row, activeParents?.count ?? row)
            return table.value(keyColumn, row: Int64(drawer.rng.below(UInt64(candidates), row, 2)))
        case .reference(let parent, let parentColumn):
            if let composite {
                return parent.value(parentColumn, row: composite.key.parentRow(composite.position, forRow: row))
            }
            let drawer = groupLeader.map { table.columns[$0] } ?? self
            guard parent.rows > 0 else { return .null }
            if index == nil, let active = drawer.activeParents {
                // The first `count` non-NULL children cover every active parent
                // once; the rest draw among them. Other parents stay childless.
                let k = drawer.nonNullIndex(row: row)
                let slot = k < active.count ? k : Int64(drawer.rng.below(UInt64(active.count), row, 2))
                return parent.value(parentColumn, row: active.subset(slot))
            }
            let target = index ?? Int64(drawer.rng.below(UInt64(parent.rows), row, 2))
            return parent.value(parentColumn, row: target)
        }
    }

    func evaluate(_ spec: GeneratorSpec, row: Int64, unique: Int64?, table: TablePlan) -> DatabaseValue {
        switch spec {
        case .sequence(let start, let step):
            return .integer(start &+ row &* step)
        case .uniform(let lo, let hi):
            if let unique { return .integer(lo &+ unique) }
            let span = UInt64(bitPattern: hi &- lo) &+ 1
            return .integer(span == 0 ? Int64(bitPattern: rng.bits(row)) : lo &+ Int64(bitPattern: rng.below(span, row)))
        case .uniformReal(let lo, let hi, let decimals):
            let x = lo + (hi - lo) * rng.unit(row)
            let p = Self.powersOfTen[min(max(decimals, 0), Self.powersOfTen.count - 1)]
            return .real((x * p).rounded() / p)
        case .categorical(let values):
            var u = rng.unit(row) * categoricalTotal
            for v in values {
                if u < v.weight { return v.value }
                u -= v.weight
            }
            return values.last { $0.weight > 0 }!.value
        case .boolean(let rate):
            return .integer(rng.unit(row) < rate ? 1 : 0)
        case .timestamp:
            let s = seconds(row: row, unique: unique)
            return asInteger ? .integer(s) : .text(CivilTime.format(s))
        case .timestampAfter(_, let lo, let hi):
            guard let base = afterColumn else { return .null }
            let other = table.columns[base]
            if other.isNull(row: row) { return .null }
            let s = other.seconds(row: row, unique: other.permutation.map { $0(row) }) + lo + Int64(rng.below(UInt64(hi - lo) + 1, row, 3))
            return asInteger ? .integer(s) : .text(CivilTime.format(s))
        case .text(let pattern):
            return .text(MadeUpText.make(pattern, rng, row: row, uniqueSuffix: unique))
        case .constant(let v):
            return v
        }
    }

    func seconds(row: Int64, unique: Int64?) -> Int64 {
        guard case .spec(.timestamp(let from, let to)) = kind else { return 0 }
        if let unique { return from + unique }
        return from + Int64(rng.below(UInt64(to - from), row, 4))
    }

    static let powersOfTen: [Double] = [1, 10, 100, 1000, 10000, 100000, 1000000]
}


/// Distinct combinations of parent rows for a composite key: row `r` takes
/// combination `permutation(r)`, written in mixed radix (one digit per parent).
struct CompositeKey: Sendable {
    let radices: [Int64]
    /// Per parent, the keyed subset of its rows in use (nil: all of them).
    let subsets: [IndexPermutation?]
    let permutation: IndexPermutation

    func parentRow(_ position: Int, forRow row: Int64) -> Int64 {
        var combination = permutation(row)
        for i in stride(from: radices.count - 1, to: position, by: -1) {
            combination /= radices[i]
        }
        let digit = combination % radices[position]
        return subsets[position].map { $0(digit) } ?? digit
    }
}
