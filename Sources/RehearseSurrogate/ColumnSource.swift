import RehearseCore
import RehearseEvidence

/// `from: table.column` in a profile: a column whose values are drawn from
/// another table's column, for relationships the schema does not declare
/// with a foreign key (a tenant id `nid` on every table, a polymorphic
/// owner id). The plan treats it as a foreign key it alone knows about:
/// the referenced table is generated first, each row takes the value of one
/// of its rows, so the values agree across tables at any `--scale` (the
/// draw follows the referenced table's row count) and depend only on the seed.
package struct ColumnSource: Sendable, Equatable {
    package var table: String
    package var column: String

    package init(_ node: YAMLNode) throws {
        let text = try node.string()
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw node.fail("'from' names the column to draw values from as table.column (e.g. from: networks.id), not '\(text)'. A timestamp's start needs 'generator: timestamp'.")
        }
        table = parts[0]
        column = parts[1]
    }

    /// The shapes with each profile `from:` added as a foreign key for
    /// planning only (the database never sees it), checked against the schema.
    package static func planningShapes(_ shapes: [TableShape], profile: ShapeProfile, profileFile: String) throws -> [TableShape] {
        let byName = Dictionary(shapes.map { ($0.name.lowercased(), $0) }, uniquingKeysWith: { a, _ in a })
        var out = shapes
        for (i, shape) in shapes.enumerated() {
            let tp = profile.tables[shape.name] ?? profile.tables.first { $0.key.lowercased() == shape.name.lowercased() }?.value
            for (column, cp) in (tp?.columns ?? [:]).sorted(by: { $0.key < $1.key }) {
                guard let source = cp.drawnFrom else { continue }
                let here = "\(profileFile): table \(shape.name), column \(column)"
                guard let parent = byName[source.table.lowercased()] else {
                    throw RehearseError.badInput("\(here): 'from: \(source.table).\(source.column)' names a table the schema does not create. Fix the name.")
                }
                guard parent.columns.contains(where: { $0.name.lowercased() == source.column.lowercased() }) else {
                    throw RehearseError.badInput("\(here): 'from: \(source.table).\(source.column)' names a column \(parent.name) does not have. Fix the name.")
                }
                guard parent.name.lowercased() != shape.name.lowercased() else {
                    throw RehearseError.badInput("\(here): 'from' names its own table; draw from another table's column.")
                }
                guard !shape.foreignKeys.contains(where: { $0.columns.contains { $0.lowercased() == column.lowercased() } }) else {
                    throw RehearseError.badInput("\(here): the column is already part of a foreign key, which decides its values; remove 'from'.")
                }
                out[i].foreignKeys.append(ForeignKeyShape(columns: [column], parentTable: parent.name, parentColumns: [source.column]))
            }
        }
        return out
    }
}
