import Foundation
import RehearseCore
import RehearseEvidence

/// How every column of every table gets its values: the profile's generators
/// where it names one, inferred ones elsewhere, foreign keys drawn from the
/// parent's key space and unique columns from a permutation of the row index.
/// Values are pure functions of (seed, table, column, row).
package final class SurrogatePlan: Sendable {
    package let tables: [TablePlan]
    package let seed: UInt64
    /// Foreign keys on a cycle between tables that are inserted as NULL and
    /// set afterwards. A loader inserts every table's rows (these columns
    /// come out NULL), then, for each entry, updates every row whose
    /// `values(row:)` is not nil, addressing it by `key(row:)`, before it
    /// checks the foreign keys.
    package let deferredForeignKeys: [DeferredForeignKey]
    /// How far past the loaded keys the engine's counters are set
    /// (SQLite's AUTOINCREMENT `sqlite_sequence`, PostgreSQL sequences a
    /// column default uses). A production counter runs ahead of its rows
    /// (deleted rows, rolled-back inserts); a surrogate whose counter equals
    /// max(id) let a table rebuild that resets the counter to max(id) PASS
    /// (red team X-F5). 0 regenerates rehearse-surrogate/3 and older.
    package let counterGap: Int64
    /// The gap this build's generator leaves.
    package static let currentCounterGap: Int64 = 7

    /// A row count for a message: exact while small, else in scientific notation.
    package static func describeRows(_ x: Double) -> String {
        x < 1e15 ? Limits.grouped(Int64(x)) : String(format: "%.3g", x)
    }

    /// Version of the value functions. Changing any generator's output for a
    /// given seed must bump it (and say so in the changelog): evidence and
    /// provenance record it, so a different version explains different data.
    package static let generatorVersion = "rehearse-surrogate/4"

    /// Whether evidence of this generator version was made with the
    /// edge-case sweep (rehearse-surrogate/3 on): replay regenerates older
    /// evidence as it was made.
    package static func sweeps(_ generator: String) -> Bool {
        generator != "rehearse-surrogate/1" && generator != "rehearse-surrogate/2"
    }

    /// Whether this generator version sets counters past the loaded keys (`counterGap`).
    package static func gapsCounters(_ generator: String) -> Bool {
        sweeps(generator) && generator != "rehearse-surrogate/3"
    }

    package init(shapes: [TableShape], profile: ShapeProfile, seed: UInt64, scale: Double, profileFile: String,
                targets: BirthTargets = BirthTargets(), counterGap: Int64 = 0) throws {
        self.counterGap = counterGap
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

    package var totalRows: Int64 { tables.reduce(0) { $0 + $1.rows } }
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
