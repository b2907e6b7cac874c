import Foundation
import RehearseCore
import RehearseEvidence

/// How every column of every table gets its values: the profile's generators
/// where it names one, inferred ones elsewhere, foreign keys drawn from the
/// parent's key space and unique columns from a permutation of the row index.
/// Values are pure functions of (seed, table, column, row).
public final class SurrogatePlan: Sendable {
    public let tables: [TablePlan]
    public let seed: UInt64
    /// Foreign keys on a cycle between tables that are inserted as NULL and
    /// set afterwards. A loader inserts every table's rows (these columns
    /// come out NULL), then, for each entry, updates every row whose
    /// `values(row:)` is not nil, addressing it by `key(row:)`, before it
    /// checks the foreign keys.
    public let deferredForeignKeys: [DeferredForeignKey]

    /// A row count for a message: exact while small, else in scientific notation.
    package static func describeRows(_ x: Double) -> String {
        x < 1e15 ? Limits.grouped(Int64(x)) : String(format: "%.3g", x)
    }

    /// Version of the value functions. Changing any generator's output for a
    /// given seed must bump it (and say so in the changelog): evidence and
    /// provenance record it, so a different version explains different data.
    public static let generatorVersion = "rehearse-surrogate/2"

    public init(shapes: [TableShape], profile: ShapeProfile, seed: UInt64, scale: Double, profileFile: String,
                targets: BirthTargets = BirthTargets()) throws {
        self.seed = seed
        // The plan is where every path meets (CLI, manifest, evidence under
        // --reproduce), so the bounds are enforced here whatever checked before.
        if let problem = Limits.scaleProblem(scale) {
            throw RehearseError.badInput("\(problem.prefix(1).uppercased() + problem.dropFirst()). Give a scale above 0 and at most \(Limits.grouped(Int64(Limits.maxScale))).")
        }
        let byName = Dictionary(shapes.map { ($0.name.lowercased(), $0) }, uniquingKeysWith: { a, _ in a })
        for name in profile.tables.keys where byName[name.lowercased()] == nil {
            throw RehearseError.badInput("\(profileFile): the profile describes table '\(name)', which the schema does not create. Fix the name or remove it.")
        }
        let shapes = try ColumnSource.planningShapes(shapes, profile: profile, profileFile: profileFile)
        // Columns other tables draw from keep their generator's values (no NULLs
        // or edge cases), so what the children copy satisfies them too.
        let referenced = Set(shapes.flatMap { s in s.foreignKeys.flatMap { fk in fk.parentColumns.map { "\(fk.parentTable.lowercased()).\($0.lowercased())" } } })
        let (order, deferredEdges) = try Self.parentFirst(shapes)
        var plans: [String: TablePlan] = [:]
        var ordered: [TablePlan] = []
        func tableProfile(_ shape: TableShape) -> TableProfile? {
            profile.tables[shape.name] ?? profile.tables.first { $0.key.lowercased() == shape.name.lowercased() }?.value
        }
        var totalRows: Int64 = 0
        for shape in order {
            let tp = tableProfile(shape)
            let base = max(0, tp?.rows ?? Self.defaultRows(shape, profile.defaultRows, plans: plans))
            // Computed in Double and compared before any conversion: a product
            // beyond Int64 would trap, one beyond the limit would run for days.
            let scaled = (Double(base) * scale).rounded()
            guard scaled <= Double(Limits.maxRowsPerTable) else {
                throw RehearseError.badInput("\(profileFile): table \(shape.name) would get \(Self.describeRows(scaled)) rows (\(base) scaled by \(scale)), above the maximum of \(Limits.grouped(Limits.maxRowsPerTable)) rows per table. Lower its rows or the scale.")
            }
            let rows = base == 0 ? 0 : max(1, Int64(scaled))
            totalRows += rows
            guard totalRows <= Limits.maxRowsPerRun else {
                throw RehearseError.badInput("\(profileFile): the surrogate would have more than \(Limits.grouped(Limits.maxRowsPerRun)) rows in all tables together (the maximum per run) at scale \(scale). Lower the row counts or the scale.")
            }
            let deferredColumns = Set(deferredEdges.filter { $0.table.name == shape.name }.flatMap { $0.foreignKey.columns.map { $0.lowercased() } })
            let plan = try TablePlan(shape: shape, profile: tp, rows: rows, seed: seed, parents: plans, profileFile: profileFile,
                                     deferred: deferredColumns, edges: (profile.edgeCases, targets, referenced))
            plans[shape.name.lowercased()] = plan
            ordered.append(plan)
        }
        tables = ordered
        // Each deferred foreign key is planned again once every table is, as
        // a table of just its columns: the same names give the same random
        // streams, so its values are what an acyclic schema would have got.
        var deferred: [DeferredForeignKey] = []
        for (shape, fk) in deferredEdges {
            let main = plans[shape.name.lowercased()]!
            let members = Set(fk.columns.map { $0.lowercased() })
            let sub = TableShape(name: shape.name, columns: shape.columns.filter { members.contains($0.name.lowercased()) }, primaryKey: [],
                                 foreignKeys: [fk], uniqueSets: shape.uniqueSets.filter { $0.allSatisfy { members.contains($0.lowercased()) } })
            var subProfile = tableProfile(shape)
            if var p = subProfile {
                p.columns = p.columns.filter { members.contains($0.key.lowercased()) }
                p.fanOuts = p.fanOuts.filter { Set($0.columns.map { $0.lowercased() }) == members }
                p.observedFanOuts = p.observedFanOuts.filter { Set($0.columns.map { $0.lowercased() }) == members }
                subProfile = p
            }
            let values = try TablePlan(shape: sub, profile: subProfile, rows: main.rows, seed: seed, parents: plans, profileFile: profileFile)
            let notNull = Set(shape.columns.filter(\.notNull).map { $0.name.lowercased() })
            let key = !shape.primaryKey.isEmpty ? shape.primaryKey
                : shape.uniqueSets.first { set in set.allSatisfy { notNull.contains($0.lowercased()) && !members.contains($0.lowercased()) } }
            guard let key, !key.contains(where: { members.contains($0.lowercased()) }) else {
                throw RehearseError.badInput("\(profileFile): table \(shape.name): its foreign key (\(fk.columns.joined(separator: ", "))) to \(fk.parentTable) closes a cycle and must be set after loading, which needs a primary key (or a NOT NULL UNIQUE key outside the foreign key) to find each row. Add one to the table.")
            }
            let keyIndexes = key.map { k in main.columns.firstIndex { $0.name.lowercased() == k.lowercased() }! }
            deferred.append(DeferredForeignKey(table: main, parentTable: fk.parentTable, keyIndexes: keyIndexes, values: values))
        }
        deferredForeignKeys = deferred
    }

    public var totalRows: Int64 { tables.reduce(0) { $0 + $1.rows } }

    /// Tables ordered so every parent precedes its children. Self-references are
    /// fine (a row points at an earlier row). A cycle between tables is broken
    /// at a foreign key whose columns all allow NULL: it is returned as
    /// deferred (inserted NULL, set after loading). A cycle without such an
    /// edge is refused, naming its tables.
    package static func parentFirst(_ shapes: [TableShape]) throws -> (order: [TableShape], deferred: [(table: TableShape, foreignKey: ForeignKeyShape)]) {
        var remaining = shapes.sorted { $0.name < $1.name }
        var done = Set<String>()
        var result: [TableShape] = []
        var deferred: [(table: TableShape, foreignKey: ForeignKeyShape)] = []
        var deferredKeys = Set<String>()
        let known = Set(shapes.map { $0.name.lowercased() })
        func edgeKey(_ shape: TableShape, _ i: Int) -> String { "\(shape.name.lowercased())#\(i)" }
        /// Foreign keys of `shape` that wait for a table not yet planned.
        func blocking(_ shape: TableShape) -> [Int] {
            shape.foreignKeys.indices.filter { i in
                let parent = shape.foreignKeys[i].parentTable.lowercased()
                return parent != shape.name.lowercased() && known.contains(parent) && !done.contains(parent) && !deferredKeys.contains(edgeKey(shape, i))
            }
        }
        func shapeNamed(_ name: String) -> TableShape? { remaining.first { $0.name.lowercased() == name } }
        /// Whether `from` waits, directly or through others, for `to`.
        func waits(_ from: String, for to: String) -> Bool {
            var seen: Set<String> = [from], queue = [from]
            while let t = queue.popLast() {
                if t == to { return true }
                guard let s = shapeNamed(t) else { continue }
                for i in blocking(s) {
                    let p = s.foreignKeys[i].parentTable.lowercased()
                    if seen.insert(p).inserted { queue.append(p) }
                }
            }
            return false
        }
        while !remaining.isEmpty {
            if let i = remaining.firstIndex(where: { blocking($0).isEmpty }) {
                let shape = remaining.remove(at: i)
                done.insert(shape.name.lowercased())
                result.append(shape)
                continue
            }
            // Every table left waits for another: defer a nullable foreign key on a cycle.
            var chosen: (TableShape, Int)?
            search: for shape in remaining {
                let notNull = Set(shape.columns.filter(\.notNull).map { $0.name.lowercased() }).union(shape.primaryKey.map { $0.lowercased() })
                for i in blocking(shape) {
                    let fk = shape.foreignKeys[i]
                    if fk.columns.allSatisfy({ !notNull.contains($0.lowercased()) }) && waits(fk.parentTable.lowercased(), for: shape.name.lowercased()) {
                        chosen = (shape, i)
                        break search
                    }
                }
            }
            if let (shape, i) = chosen {
                deferredKeys.insert(edgeKey(shape, i))
                deferred.append((shape, shape.foreignKeys[i]))
                continue
            }
            // No way out: walk the waits until a table repeats, and name that cycle.
            var path: [TableShape] = []
            var edges: [String] = []
            var current = remaining[0]
            while !path.contains(where: { $0.name == current.name }) {
                path.append(current)
                let fk = current.foreignKeys[blocking(current)[0]]
                edges.append("\(current.name)(\(fk.columns.joined(separator: ", "))) → \(fk.parentTable)")
                current = shapeNamed(fk.parentTable.lowercased())!
            }
            let start = path.firstIndex { $0.name == current.name }!
            let names = path[start...].map(\.name) + [current.name]
            throw RehearseError.badInput("The foreign keys \(edges[start...].joined(separator: ", ")) form a cycle between tables \(names.joined(separator: " → ")) in which every foreign key column is NOT NULL, so no order of inserts can fill it. Allow NULL in the columns of one of these foreign keys: rehearse then inserts NULL there and sets the values once every table is loaded.")
        }
        for shape in shapes {
            for fk in shape.foreignKeys where !shapes.contains(where: { $0.name.lowercased() == fk.parentTable.lowercased() }) {
                throw RehearseError.badInput("Table \(shape.name) has a foreign key to \(fk.parentTable), which the schema does not create. Create the parent table or drop the foreign key.")
            }
        }
        return (result, deferred)
    }
}

/// A foreign key on a cycle between tables: inserted as NULL, then set by an
/// update pass once every table is loaded (see `SurrogatePlan.deferredForeignKeys`).
public final class DeferredForeignKey: Sendable {
    /// The child table.
    public let table: String
    public let parentTable: String
    /// The foreign key's columns, in the order `values(row:)` gives them.
    public let columns: [String]
    /// Columns that find a row of `table` (its primary key, or a NOT NULL
    /// UNIQUE key), in the order `key(row:)` gives them.
    public let keyColumns: [String]
    /// Rows of `table`.
    public let rows: Int64
    package let main: TablePlan
    package let keyIndexes: [Int]
    package let valuePlan: TablePlan

    package init(table main: TablePlan, parentTable: String, keyIndexes: [Int], values: TablePlan) {
        self.main = main
        self.keyIndexes = keyIndexes
        valuePlan = values
        table = main.name
        self.parentTable = parentTable
        columns = values.columns.map(\.name)
        keyColumns = keyIndexes.map { main.columns[$0].name }
        rows = main.rows
    }

    /// The key of row `row`, as it was inserted.
    public func key(row: Int64) -> [DatabaseValue] {
        keyIndexes.map { main.value($0, row: row) }
    }

    /// The foreign key's values in row `row`, or nil when they stay NULL.
    public func values(row: Int64) -> [DatabaseValue]? {
        let v = valuePlan.columns.indices.map { valuePlan.value($0, row: row) }
        return v.allSatisfy { $0 == .null } ? nil : v
    }
}

public final class TablePlan: Sendable {
    public let name: String
    public let rows: Int64
    public let columns: [ColumnPlan]
    /// The primary key's column names (what a foreign key without named columns references).
    public let primaryKey: [String]

    package init(shape: TableShape, profile: TableProfile?, rows: Int64, seed: UInt64, parents: [String: TablePlan], profileFile: String,
         deferred: Set<String> = [], edges: (settings: EdgeCaseSettings, targets: BirthTargets, referenced: Set<String>)? = nil) throws {
        name = shape.name
        self.rows = rows
        primaryKey = shape.primaryKey
        let where_ = "\(profileFile): table \(shape.name)"
        try Self.checkPartitionsHold(shape, rows: rows, here: where_)
        for col in profile?.columns.keys.sorted() ?? [] where !shape.columns.contains(where: { $0.name.lowercased() == col.lowercased() }) {
            throw RehearseError.badInput("\(where_): the profile describes column '\(col)', which the table does not have. Fix the name or remove it.")
        }
        let uniqueColumns = Set(shape.uniqueSets.filter { $0.count == 1 }.map { $0[0].lowercased() })
            .union(Self.compositeKeyAnchors(shape, profile: profile, rows: rows))
        for spec in profile?.fanOuts ?? [] where !shape.foreignKeys.contains(where: { $0.columns.map { $0.lowercased() } == spec.columns.map { $0.lowercased() } }) {
            throw RehearseError.badInput("\(where_): the foreign_keys entry for (\(spec.columns.joined(separator: ", "))) matches no foreign key of the table. Name the columns of one of its foreign keys, in order.")
        }
        func columnProfile(_ name: String) -> ColumnProfile? {
            profile?.columns.first { $0.key.lowercased() == name.lowercased() }?.value
        }
        let fkColumns = Set(shape.foreignKeys.flatMap { $0.columns.map { $0.lowercased() } })
        func silent(_ c: ColumnShape) -> Bool { columnProfile(c.name)?.generator == nil && !fkColumns.contains(c.name.lowercased()) }
        // CHECK constraints, as domains for the columns the profile is silent about.
        let domains = CheckDomains.domains(shape.checks)
        // A comparison between two columns of the row: the silent one follows
        // the other (or, both silent, the later follows the earlier).
        var derived: [String: GeneratorSpec] = [:]
        let keyColumns = uniqueColumns.union(shape.primaryKey.map { $0.lowercased() })
        for (i, column) in shape.columns.enumerated() where silent(column) && !keyColumns.contains(column.name.lowercased()) {
            for relation in domains[column.name.lowercased()]?.relations ?? [] {
                guard let j = shape.columns.firstIndex(where: { $0.name.lowercased() == relation.column }), j != i else { continue }
                let other = shape.columns[j]
                if silent(other) && j > i { continue }
                let timeLike = ColumnPlan.timeLike(other, profile: columnProfile(other.name), table: shape)
                let span: Double = timeLike ? 30 * 86400 : 100
                // A PostgreSQL date keeps only the day: moving one takes whole days.
                let toDate = column.pgType?.baseName == "date"
                let least: Double = timeLike ? (toDate ? 86400 : 1) : 0.01
                let (lo, hi): (Double, Double)
                switch relation.op {
                case ">=": (lo, hi) = (toDate && other.pgType?.baseName != "date" ? least : 0, span)
                case ">": (lo, hi) = (least, span)
                case "<=": (lo, hi) = (-span, 0)
                default: (lo, hi) = (-span, -least)
                }
                derived[column.name.lowercased()] = .offset(column: other.name, min: lo, max: hi)
                break
            }
        }
        var mix: [String: ColumnEdges] = [:]
        if let edges {
            let drawnFrom = Set(shape.columns.map { $0.name.lowercased() }.filter { edges.referenced.contains("\(shape.name.lowercased()).\($0)") })
            mix = ColumnEdges.plan(shape: shape, profile: profile, settings: edges.settings, targets: edges.targets,
                                   keys: keyColumns.union(drawnFrom), derived: derived, deferred: deferred)
        }
        var plans: [ColumnPlan] = []
        for column in shape.columns {
            let cp = columnProfile(column.name)
            var fk = shape.foreignKeys.first { $0.columns.contains { $0.lowercased() == column.name.lowercased() } }
            // A composite foreign key to a parent with no rows holds while one
            // nullable member is NULL (MATCH SIMPLE): that member stays NULL, and
            // a NOT NULL member is an ordinary column, free of the empty parent.
            if let f = fk, column.notNull, f.columns.count > 1, parents[f.parentTable.lowercased()]?.rows == 0,
               f.columns.contains(where: { name in shape.columns.first { $0.name.lowercased() == name.lowercased() }?.notNull == false }) {
                fk = nil
            }
            let fanOut = profile?.fanOuts.first { $0.columns.contains { $0.lowercased() == column.name.lowercased() } }
            let lower = column.name.lowercased()
            plans.append(try ColumnPlan(table: shape, column: column, profile: cp, foreignKey: fk, unique: uniqueColumns.contains(lower),
                                        rows: rows, seed: seed, parents: parents, context: where_,
                                        fanOut: deferred.contains(lower) ? nil : fanOut, domain: domains[lower], derived: derived[lower],
                                        deferred: deferred.contains(lower), edges: mix[lower]))
        }
        columns = plans
        // A timestamp_after must name an earlier-or-any column of this table that yields timestamps.
        for (i, c) in plans.enumerated() {
            if case .spec(.timestampAfter(let other, _, _)) = c.kind {
                guard let j = plans.firstIndex(where: { $0.name.lowercased() == other.lowercased() }), j != i else {
                    throw RehearseError.badInput("\(where_), column \(c.name): timestamp_after names column '\(other)', which is not another column of this table.")
                }
                switch plans[j].kind {
                case .spec(.timestamp), .spec(.seasonalTimestamp): break
                default: throw RehearseError.badInput("\(where_), column \(c.name): timestamp_after needs '\(other)' to use the timestamp generator.")
                }
                c.afterColumn = j
            }
            if case .spec(.offset(let other, _, _)) = c.kind {
                c.afterColumn = plans.firstIndex { $0.name.lowercased() == other.lowercased() }
            }
        }
        // Observed fan-outs: a foreign key draws from as many parents as the
        // real data referenced, so the share of childless parents carries over.
        for (columns, histogram) in profile?.observedFanOuts ?? [] {
            let total = histogram.reduce(Int64(0)) { $0 + $1.parents }
            let childless = histogram.first { $0.bucket == "0" }?.parents ?? 0
            guard total > 0, childless > 0 else { continue }
            for name in columns {
                guard let i = plans.firstIndex(where: { $0.name.lowercased() == name.lowercased() }), plans[i].fanOut == nil else { continue }
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
                if plans[m].fanOut != nil {
                    throw RehearseError.badInput("\(where_), column \(plans[m].name): part of the key (\(set.joined(separator: ", "))), whose combinations are spread over the parents by construction, so it cannot take a fan-out distribution. Remove its foreign_keys entry.")
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

    public let name: String
    package let kind: Kind
    package let rng: CounterRandom
    package let nullFraction: Double
    package let permutation: IndexPermutation?
    package let asInteger: Bool
    package var afterColumn: Int?
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
    /// The edge-case mix and birth targets for this column, when it takes any.
    package let edges: ColumnEdges?

    package init(table: TableShape, column: ColumnShape, profile: ColumnProfile?, foreignKey: ForeignKeyShape?, unique: Bool,
         rows: Int64, seed: UInt64, parents: [String: TablePlan], context: String,
         fanOut fanOutSpec: FanOutSpec? = nil, domain: ColumnDomain? = nil, derived: GeneratorSpec? = nil, deferred: Bool = false,
         edges: ColumnEdges? = nil) throws {
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
        } else if deferred {
            // Set by the pass after loading (SurrogatePlan.deferredForeignKeys).
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

    package static func infer(_ column: ColumnShape, table: TableShape, unique: Bool) -> Kind {
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
    package func isNull(row: Int64) -> Bool {
        nullCount > 0 && rowOrder!(row) < nullCount
    }

    /// The row's number among the non-NULL rows, in the keyed order.
    @inline(__always)
    package func nonNullIndex(row: Int64) -> Int64 {
        rowOrder!(row) - nullCount
    }

    package func value(row: Int64, in table: TablePlan) -> DatabaseValue {
        if let leader = groupLeader, leader != position {
            if table.columns[leader].isNull(row: row) { return .null }
        } else if isNull(row: row) {
            return .null
        }
        let index = permutation.map { $0(row) }
        switch kind {
        case .spec(let spec):
            let v: DatabaseValue
            if let poolSize, afterColumn == nil {
                // Evaluate at the pool slot, so equal slots give equal values.
                let slot = nonNullIndex(row: row) % poolSize
                v = evaluate(spec, row: slot, unique: poolUnique ? slot : nil, table: table)
            } else {
                v = evaluate(spec, row: row, unique: index, table: table)
            }
            if let lengthBounds, case .text(let text) = v { return .text(fit(text, lengthBounds, row: row)) }
            if let edges {
                return edges.apply(v, row: row, rng: rng) { other in
                    poolSize != nil ? v : evaluate(spec, row: other, unique: nil, table: table)
                }
            }
            return v
        case .typed(let generator):
            let v: DatabaseValue
            if let poolSize {
                let slot = nonNullIndex(row: row) % poolSize
                v = generator.value(rng, row: slot, unique: poolUnique ? slot : nil).databaseValue
            } else {
                v = generator.value(rng, row: row, unique: index).databaseValue
            }
            if let lengthBounds, case .text(let text) = v, generator.fact.resolved.isTextual { return .text(fit(text, lengthBounds, row: row)) }
            if let edges, !edges.temporal.isEmpty { return edges.apply(v, row: row, rng: rng) { _ in v } }
            return v
        case .partition(let steered):
            if let poolSize { return steered.value(row: nonNullIndex(row: row) % poolSize, unique: nil) }
            return steered.value(row: row, unique: index)
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
            if index == nil, let fanOut = drawer.fanOut {
                return parent.value(parentColumn, row: fanOut.parentRow(child: drawer.nonNullIndex(row: row), rng: drawer.rng, row: row))
            }
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

    package func evaluate(_ spec: GeneratorSpec, row: Int64, unique: Int64?, table: TablePlan) -> DatabaseValue {
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
        case .normal(let mean, let sd, let lo, let hi, let decimals):
            return shaped(row: row, min: lo, max: hi, decimals: decimals) { mean + sd * self.rng.gaussian(row, $0) }
        case .logNormal(let mu, let sigma, let lo, let hi, let decimals):
            return shaped(row: row, min: lo, max: hi, decimals: decimals) { Foundation.exp(mu + sigma * self.rng.gaussian(row, $0)) }
        case .zipf:
            let k = zipf!.sample(rng, row, stream: 8)
            return asInteger ? .integer(k) : .real(Double(k))
        case .seasonalTimestamp:
            let s = seconds(row: row, unique: unique)
            return asInteger ? .integer(s) : .text(CivilTime.format(s))
        case .offset(_, let lo, let hi):
            guard let base = afterColumn else { return .null }
            switch table.value(base, row: row) {
            case .integer(let i):
                // Bounds come from a schema's CHECK and may be any size:
                // clamped conversions and wrapping sums, never a trap.
                let a = Int64(clamping: lo.rounded(.up)), b = Int64(clamping: hi.rounded(.down))
                let v = i &+ a &+ Int64(bitPattern: Self.belowOrAny(rng, b, a, row))
                return asInteger ? .integer(v) : .real(Double(v))
            case .real(let x):
                let d = max(lo, min(hi, ((lo + (hi - lo) * rng.unit(row, 3)) * 100).rounded() / 100))
                return asInteger ? .integer(Int64(clamping: (x + d).rounded(lo > 0 ? .up : hi < 0 ? .down : .toNearestOrAwayFromZero))) : .real(x + d)
            case .text(let text):
                guard let t = CivilTime.parse(text) else { return .text(text) }
                let a = Int64(clamping: lo.rounded(.up)), b = Int64(clamping: hi.rounded(.down))
                let s = t &+ a &+ Int64(bitPattern: Self.belowOrAny(rng, b, a, row))
                guard (CivilTime.earliest...CivilTime.latest).contains(s) else { return .text(text) }
                return asInteger ? .integer(s) : .text(CivilTime.format(s))
            case let other:
                return other
            }
        }
    }

    /// A draw in 0...(b - a) (any 64 bits when that span is the whole range,
    /// 0 when b < a), without overflow.
    package static func belowOrAny(_ rng: CounterRandom, _ b: Int64, _ a: Int64, _ row: Int64) -> UInt64 {
        guard b >= a else { return 0 }
        let span = UInt64(bitPattern: b &- a) &+ 1
        return span == 0 ? rng.bits(row, 3) : rng.below(span, row, 3)
    }

    /// A normal or log-normal draw, redrawn while outside the bounds (at most
    /// 16 times, then clamped), rounded for the column: whole numbers for an
    /// INTEGER column, `decimals` digits otherwise.
    package func shaped(row: Int64, min lo: Double?, max hi: Double?, decimals: Int, draw: (UInt64) -> Double) -> DatabaseValue {
        let low = asInteger ? lo.map { $0.rounded(.up) } : lo
        let high = asInteger ? hi.map { $0.rounded(.down) } : hi
        let p = Self.powersOfTen[min(max(decimals, 0), Self.powersOfTen.count - 1)]
        var x = 0.0
        for attempt in 0..<16 as Range<UInt64> {
            x = draw(5 &+ 2 &* attempt)
            x = asInteger ? x.rounded() : (x * p).rounded() / p
            if (low.map { x >= $0 } ?? true) && (high.map { x <= $0 } ?? true) { break }
        }
        if let low, x < low { x = low }
        if let high, x > high { x = high }
        if asInteger { return .integer(Int64(clamping: x)) }
        return .real(x)
    }

    /// Text cut or padded with made-up letters to a length a CHECK allows.
    package func fit(_ text: String, _ bounds: (min: Int64, max: Int64?), row: Int64) -> String {
        let n = Int64(text.count)
        if let hi = bounds.max, n > hi { return String(text.prefix(Int(max(hi, 0)))) }
        guard n < bounds.min else { return text }
        var out = text
        var k: UInt64 = 0
        while Int64(out.count) < bounds.min {
            out.unicodeScalars.append(Unicode.Scalar(UInt8(97 + rng.below(26, row, 60 &+ k))))
            k += 1
        }
        return out
    }

    package func seconds(row: Int64, unique: Int64?) -> Int64 {
        if let seasonal { return seasonal.seconds(rng, row, stream: 12) }
        guard case .spec(.timestamp(let from, let to)) = kind else { return 0 }
        if let unique { return from + unique }
        return from + Int64(rng.below(UInt64(to - from), row, 4))
    }

    /// Whether a column holds timestamps (so a comparison with it moves in seconds).
    package static func timeLike(_ column: ColumnShape, profile: ColumnProfile?, table: TableShape) -> Bool {
        switch profile?.generator {
        case .timestamp?, .seasonalTimestamp?, .timestampAfter?: return true
        case .some: return false
        case nil:
            if case .spec(.timestamp) = infer(column, table: table, unique: false) { return true }
            return column.affinity == .text
        }
    }

    /// Narrows an inferred generator to what the column's CHECK constraints
    /// allow. An inferred generator that already stays inside is kept as it
    /// is; a domain with no value is an error that says how to fix it.
    package static func constrain(_ inferred: Kind, by domain: ColumnDomain?, column: ColumnShape, table: TableShape,
                          unique: Bool, rows: Int64, here: String) throws -> Kind {
        guard let d = domain, !d.isEmpty else { return inferred }
        let numeric = column.affinity != .text
        func refuse(_ why: String) -> RehearseError {
            let example: String
            if let allowed = d.allowed, let first = allowed.first {
                example = "{ generator: categorical, values: [\(first.description)] }"
            } else if numeric && (d.lower != nil || d.upper != nil) {
                example = column.affinity == .integer ? "{ generator: uniform, min: 1, max: 100 }" : "{ generator: uniform_real, min: 1, max: 100 }"
            } else {
                example = "{ generator: constant, value: ... }"
            }
            let constraint = d.sources.map { "CHECK (\($0))" }.joined(separator: " and ")
            return RehearseError.badInput("\(here): \(constraint) cannot be satisfied: \(why). Fix the constraint, or give the column a generator in the profile whose values meet it, for example:\n  tables:\n    \(table.name):\n      columns:\n        \(column.name): \(example)")
        }
        if let lo = d.minLength, let hi = d.maxLength, lo > hi {
            throw refuse("the length must be at least \(lo) and at most \(hi)")
        }
        if let hi = d.maxLength, hi < 0 { throw refuse("the length must be below 0") }
        if let l = d.lower, let u = d.upper, l.value > u.value || (l.value == u.value && !(l.inclusive && u.inclusive)) {
            func number(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : String(x) }
            throw refuse("no value is \(l.inclusive ? ">=" : ">") \(number(l.value)) and \(u.inclusive ? "<=" : "<") \(number(u.value))")
        }
        if column.affinity == .integer, case let (lo?, hi?) = d.integerRange, lo > hi {
            throw refuse("no whole number lies between the bounds")
        }
        if let allowed = d.allowed {
            var ok: [DatabaseValue] = []
            for v in allowed where d.admits(v) && !ok.contains(where: { CheckDomains.same($0, v) }) { ok.append(v) }
            guard !ok.isEmpty else { throw refuse("no value of the list meets the other conditions") }
            if case .spec(.boolean) = inferred, ok.contains(.integer(0)), ok.contains(.integer(1)), ok.count == 2 { return inferred }
            return .spec(.categorical(ok.map { ($0, 1) }))
        }
        guard numeric, d.lower != nil || d.upper != nil else { return inferred }
        if satisfies(inferred, d, rows: rows) { return inferred }
        let integral = column.affinity == .integer
            || (column.affinity != .real && [d.lower?.value, d.upper?.value].allSatisfy { $0.map { $0 == $0.rounded() } ?? true })
        if integral {
            let (lo, hi) = d.integerRange
            let width: Int64 = unique ? Int64.max / 4 : 1000
            switch (lo, hi) {
            case let (lo?, hi?): return .spec(.uniform(min: lo, max: hi))
            case let (lo?, nil): return .spec(.uniform(min: lo, max: lo > Int64.max - width ? Int64.max : lo + width))
            case let (nil, hi?):
                if !unique && hi >= 0 { return .spec(.uniform(min: max(0, hi - width), max: hi)) }
                return .spec(.uniform(min: hi < Int64.min + width ? Int64.min : hi - width, max: hi))
            default: return inferred
            }
        }
        let step = 0.01
        let lo = d.lower.map { $0.inclusive ? $0.value : $0.value + step }
        let hi = d.upper.map { $0.inclusive ? $0.value : $0.value - step }
        switch (lo, hi) {
        case let (lo?, hi?):
            guard lo <= hi else { throw refuse("no value with 2 decimals lies between the bounds") }
            return .spec(.uniformReal(min: lo, max: hi, decimals: 2))
        case let (lo?, nil): return .spec(.uniformReal(min: lo, max: lo + 1000, decimals: 2))
        case let (nil, hi?): return .spec(.uniformReal(min: hi >= 0 ? max(0, hi - 1000) : hi - 1000, max: hi, decimals: 2))
        default: return inferred
        }
    }

    /// Refuses, before any row is written, a profile generator whose values
    /// can fall outside the column's CHECK: the bounds of numeric generators
    /// and every categorical, constant or boolean value are compared with the
    /// domain. Text patterns and comparisons between columns are left to the
    /// database.
    package static func verify(_ spec: GeneratorSpec, against d: ColumnDomain, column: ColumnShape, table: TableShape, rows: Int64, here: String) throws {
        var outside: DatabaseValue?
        var unbounded: String?
        func number(_ x: Double) -> DatabaseValue { x == x.rounded() && abs(x) < 9e15 ? .integer(Int64(x)) : .real(x) }
        func isText(_ v: DatabaseValue) -> Bool { if case .text = v { return true }; return false }
        func check(_ values: [DatabaseValue]) {
            // A list of another type (1 against '1') is left to the column's
            // affinity and the database: only like is compared with like.
            let judged = values.filter { v in v != .null && (d.allowed.map { list in list.contains { isText($0) == isText(v) } } ?? true) }
            if outside == nil { outside = judged.first { !d.admits($0) } }
        }
        func bounded(_ lo: Double?, _ hi: Double?, _ name: String) {
            if let lo { check([number(lo)]) } else if d.lower != nil { unbounded = "\(name) without 'min'" }
            if let hi { check([number(hi)]) } else if d.upper != nil { unbounded = "\(name) without 'max'" }
        }
        switch spec {
        case .uniform(let lo, let hi): check([.integer(lo), .integer(hi)])
        case .uniformReal(let lo, let hi, _): check([.real(lo), .real(hi)])
        case .normal(_, _, let lo, let hi, _): bounded(lo, hi, "normal")
        case .logNormal(_, _, let lo, let hi, _):
            // Log-normal values are above 0, so only a positive lower bound needs a 'min'.
            if let lo { check([number(lo)]) } else if let l = d.lower, l.value > 0 { unbounded = "log-normal without 'min'" }
            if let hi { check([number(hi)]) } else if d.upper != nil { unbounded = "log-normal without 'max'" }
        case .zipf(let n, _): check([.integer(1), .integer(n)])
        case .sequence(let start, let step): check([.integer(start), .integer(start &+ max(rows - 1, 0) &* step)])
        case .categorical(let values): check(values.filter { $0.weight > 0 }.map(\.value))
        case .constant(let v): check([v])
        case .boolean(let rate): check((rate > 0 ? [DatabaseValue.integer(1)] : []) + (rate < 1 ? [.integer(0)] : []))
        default: return
        }
        guard outside != nil || unbounded != nil else { return }
        let constraint = d.sources.map { "CHECK (\($0))" }.joined(separator: " and ")
        let what = outside.map { "can give \($0.description)" } ?? "is \(unbounded!), so it can give values"
        throw RehearseError.badInput("\(here): the profile's generator \(what) outside \(constraint), so the insert would fail. Change its parameters so that every value meets the constraint (schemas/profile.schema.json lists them).")
    }

    /// Whether every value an inferred generator can give lies inside the bounds.
    package static func satisfies(_ kind: Kind, _ d: ColumnDomain, rows: Int64) -> Bool {
        switch kind {
        case .spec(.uniform(let lo, let hi)): return d.inRange(Double(lo)) && d.inRange(Double(hi))
        case .spec(.uniformReal(let lo, let hi, _)): return d.inRange(lo) && d.inRange(hi)
        case .spec(.boolean): return d.inRange(0) && d.inRange(1)
        case .spec(.timestamp(let from, let to)): return d.inRange(Double(from)) && d.inRange(Double(to))
        case .spec(.sequence(let start, let step)):
            return d.inRange(Double(start)) && d.inRange(Double(start) + Double(max(rows - 1, 0)) * Double(step))
        default: return false
        }
    }

    package static let powersOfTen: [Double] = [1, 10, 100, 1000, 10000, 100000, 1000000]
}


/// Distinct combinations of parent rows for a composite key: row `r` takes
/// combination `permutation(r)`, written in mixed radix (one digit per parent).
package struct CompositeKey: Sendable {
    package let radices: [Int64]
    /// Per parent, the keyed subset of its rows in use (nil: all of them).
    package let subsets: [IndexPermutation?]
    package let permutation: IndexPermutation

    package func parentRow(_ position: Int, forRow row: Int64) -> Int64 {
        var combination = permutation(row)
        for i in stride(from: radices.count - 1, to: position, by: -1) {
            combination /= radices[i]
        }
        let digit = combination % radices[position]
        return subsets[position].map { $0(digit) } ?? digit
    }
}

extension SurrogatePlan {
    /// Rows for a table the profile gives no count: the default, except where
    /// the schema itself makes rows impossible. A partitioned table with no
    /// partition stores none (gitlab's structure.sql has such tables), and a
    /// table with a NOT NULL foreign key to a table that got no rows cannot
    /// hold one either. A count the profile states is never changed: asking
    /// for rows there is still refused, naming the table.
    package static func defaultRows(_ shape: TableShape, _ fallback: Int64, plans: [String: TablePlan]) -> Int64 {
        if let layout = shape.partitions, layout.attached == 0 { return 0 }
        for fk in shape.foreignKeys where !fk.columns.isEmpty {
            let required = fk.columns.allSatisfy { name in shape.columns.first { $0.name.lowercased() == name.lowercased() }?.notNull ?? false }
            if required, let parent = plans[fk.parentTable.lowercased()], parent.rows == 0 { return 0 }
        }
        return fallback
    }
}
