import Foundation
import RehearseCore
import RehearseEvidence

/// A foreign key on a cycle between tables: inserted as NULL, then set by an
/// update pass once every table is loaded (see `SurrogatePlan.deferredForeignKeys`).
package final class DeferredForeignKey: Sendable {
    /// The child table.
    package let table: String
    package let parentTable: String
    /// The foreign key's columns, in the order `values(row:)` gives them.
    package let columns: [String]
    /// Columns that find a row of `table` (its primary key, or a NOT NULL
    /// UNIQUE key), in the order `key(row:)` gives them.
    package let keyColumns: [String]
    /// Rows of `table`.
    package let rows: Int64
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
    package func key(row: Int64) -> [DatabaseValue] {
        keyIndexes.map { main.value($0, row: row) }
    }

    /// The foreign key's values in row `row`, or nil when they stay NULL.
    package func values(row: Int64) -> [DatabaseValue]? {
        let v = valuePlan.columns.indices.map { valuePlan.value($0, row: row) }
        return v.allSatisfy { $0 == .null } ? nil : v
    }
}
