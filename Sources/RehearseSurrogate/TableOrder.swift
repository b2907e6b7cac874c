import Foundation
import RehearseCore
import RehearseEvidence

extension SurrogatePlan {
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
                // A column a CHECK wants set (`x IS NOT NULL`, gitlab's NOT NULL
                // added NOT VALID) counts as NOT NULL: it cannot be loaded NULL.
                let required = CheckDomains.analyse(shape.checks).presence.filter { $0.lo >= $0.columns.count }.flatMap(\.columns)
                let notNull = Set(shape.columns.filter(\.notNull).map { $0.name.lowercased() }).union(shape.primaryKey.map { $0.lowercased() })
                    .union(required)
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
