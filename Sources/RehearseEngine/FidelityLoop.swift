import RehearseCore
import RehearseSurrogate

/// The engine hooks of the fidelity report (`FidelityRow.measure`): each
/// engine finds the generated tables and counts in its own SQL; the walk over
/// the profile's tables and columns and the rows made of the counts are
/// written once.
package protocol FidelityHooks {
    /// How the engine names a table in its queries.
    associatedtype Relation
    /// The generated table a profiled table name stands for, or nil to pass it by.
    func table(_ name: String) throws -> (shape: TableShape, relation: Relation)?
    func rowCount(_ relation: Relation) throws -> Int64
    /// Non-null and distinct values of one column.
    func counts(_ column: ColumnShape, of relation: Relation) throws -> (nonNull: Int64, distinct: Int64)
    /// Rows about the column's type, before its counts (the profile's type facts).
    func typeRows(_ column: ColumnShape, subject: String, observed: ColumnProfile.Observed) -> [FidelityRow]
    /// How many distinct values the column's type holds at most, when that is few.
    func distinctCap(_ column: ColumnShape) -> Int64?
    /// Rows about the whole table, after its columns (fan-outs, partitions).
    func tableRows(_ shape: TableShape, _ relation: Relation, profile: TableProfile, rows: Int64) throws -> [FidelityRow]
    /// Rows about the whole database, after every table.
    func closingRows() throws -> [FidelityRow]
}

extension FidelityHooks {
    package func typeRows(_ column: ColumnShape, subject: String, observed: ColumnProfile.Observed) -> [FidelityRow] { [] }
    package func distinctCap(_ column: ColumnShape) -> Int64? { nil }
    package func closingRows() throws -> [FidelityRow] { [] }
}

extension FidelityRow {
    /// The fidelity report, for every engine: per profiled table (in name
    /// order) its row count, per observed column its type rows, null
    /// fraction and distinct count, then the engine's table rows; last the
    /// engine's closing rows. `rows` is what the generator planned per table.
    package static func measure<Hooks: FidelityHooks>(profile: ShapeProfile, rows: [String: Int64], with hooks: Hooks) throws -> [FidelityRow] {
        var out: [FidelityRow] = []
        for tableName in profile.tables.keys.sorted() {
            guard let tp = profile.tables[tableName], let planned = rows.first(where: { $0.key.lowercased() == tableName.lowercased() })?.value,
                  let (shape, relation) = try hooks.table(tableName) else { continue }
            let n = try hooks.rowCount(relation)
            out.append(FidelityRow(subject: shape.name, metric: "rows", target: String(planned), achieved: String(n), tolerance: "exact", withinTolerance: n == planned))
            let scale = tp.rows > 0 ? Double(planned) / Double(tp.rows) : 1
            for column in shape.columns {
                guard let observed = tp.columns.first(where: { $0.key.lowercased() == column.name.lowercased() })?.value.observed else { continue }
                let subject = "\(shape.name).\(column.name)"
                out += hooks.typeRows(column, subject: subject, observed: observed)
                let (nonNull, distinct) = try hooks.counts(column, of: relation)
                out += columnRows(subject: subject, observed: observed, tableRows: tp.rows, scale: scale,
                                  rows: n, nonNull: nonNull, distinct: distinct, isForeignKey: shape.isForeignKey(column.name),
                                  distinctCap: hooks.distinctCap(column))
            }
            out += try hooks.tableRows(shape, relation, profile: tp, rows: n)
        }
        return out + (try hooks.closingRows())
    }
}
