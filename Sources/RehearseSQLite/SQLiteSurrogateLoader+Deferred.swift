import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

extension SQLiteSurrogateLoader {
    /// Foreign keys on a cycle between tables were inserted as NULL; set them
    /// now that every table is loaded, one UPDATE per row by its key, inside
    /// the load's transaction (see `SurrogatePlan.deferredForeignKeys`).
    package func setDeferredForeignKeys(_ plan: SurrogatePlan, _ db: SQLiteConnection) throws {
        let q = SQLiteFingerprinter.quote
        for fk in plan.deferredForeignKeys {
            let set = fk.columns.map { "\(q($0)) = ?" }.joined(separator: ", ")
            let key = fk.keyColumns.map { "\(q($0)) = ?" }.joined(separator: " AND ")
            let update = try db.prepare("UPDATE \(q(fk.table)) SET \(set) WHERE \(key)")
            for row in 0..<fk.rows {
                guard let values = fk.values(row: row) else { continue }
                try update.bind(values + fk.key(row: row))
                do {
                    try update.step()
                } catch let error as SQLiteError {
                    throw RehearseError.badInput("Setting the foreign key (\(fk.columns.joined(separator: ", "))) of table \(fk.table) to \(fk.parentTable) after loading failed at row \(row + 1): \(error.message). Give these columns a generator in the profile whose values meet the table's constraints.")
                }
                update.reset()
            }
        }
    }
}
