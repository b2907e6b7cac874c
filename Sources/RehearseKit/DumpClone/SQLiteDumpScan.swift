import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// The secret scan of an SQLite database file: its schema SQL as text, then
/// every TEXT and BLOB value of every table (SQLite's statistics tables
/// too), with its table and column, read
/// from the private copy opened read-only. Findings name `table.column` and the
/// row number (in the line field), never a value.
package enum SQLiteDumpScan {
    package static func scan(_ copy: URL, into scanner: inout SecretScanner, shown: String) throws {
        func refuse(_ why: String) -> RehearseError {
            RehearseError.refused("Refused: the secret scan could not read the SQLite dump \(RunFolder.display(shown)): \(why). Nothing was restored.")
        }
        let db: SQLiteConnection
        do { db = try SQLiteConnection(path: copy.path, readOnly: true, create: false) } catch { throw refuse("\(error)") }
        do {
            let schema = try db.rows("SELECT coalesce(sql, '') FROM sqlite_master ORDER BY rowid")
            for row in schema { if case .text(let sql) = row[0] { try scanner.feed(Array((sql + "\n").utf8)) } }
            // Every table, SQLite's own included: sqlite_stat4 keeps sample
            // index keys, values that may have left the table itself. (A
            // pattern `sqlite_%` would also skip any table named sqliteX...,
            // `_` being LIKE's one-character wildcard.)
            let tables = try db.rows("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").compactMap { row -> String? in
                if case .text(let name) = row[0] { return name }
                return nil
            }
            for table in tables {
                let statement = try db.prepare("SELECT * FROM \"\(table.replacingOccurrences(of: "\"", with: "\"\""))\"")
                let names = (0..<statement.columnCount).map(statement.columnName)
                var row = 0
                while try statement.step() {
                    row += 1
                    for i in names.indices {
                        guard statement.isTextOrBlob(at: i) else { continue }
                        statement.withBytes(at: i) { scanner.value(table: table, column: names[i], bytes: $0, row: row) }
                    }
                }
            }
        } catch let error as RehearseError {
            throw error
        } catch {
            throw refuse("\(error)")
        }
    }
}
