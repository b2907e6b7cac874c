import Foundation
import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

/// The schema guard's checks inside an SQLite scratch database.
extension SchemaDataGuard {
    /// SQLite: no trigger may exist when the rows go in (the loader makes
    /// the schema's triggers after the data).
    package static func verifyNoTriggers(_ db: SQLiteConnection, schema: SQLScript) throws {
        if let row = try db.rows("SELECT name, tbl_name FROM sqlite_schema WHERE type = 'trigger' ORDER BY name").first {
            throw triggerBeforeData(schema, "the trigger \(row[0].textValue ?? "?") on table \(row[1].textValue ?? "?")")
        }
    }

    /// SQLite: every table of the main database holds exactly the generated
    /// rows (SQLite's own `sqlite_` tables, the provenance table, virtual
    /// tables and their shadow tables aside), and no other database is attached.
    package static func verifyRows(_ db: SQLiteConnection, plan: SurrogatePlan, schema: SQLScript) throws {
        let expected = Dictionary(expectedRows(plan).map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: max)
        if let other = try db.rows("SELECT name FROM pragma_database_list WHERE name NOT IN ('main', 'temp')").first {
            throw RehearseError.refused("\(schema.displayPath): after the load, the database \(other[0].textValue ?? "?") is attached. A schema file may not attach other databases; remove the ATTACH.")
        }
        let all = try db.rows("SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")
        let virtual = all.filter { ($0[1].textValue ?? "").uppercased().hasPrefix("CREATE VIRTUAL") }.compactMap { $0[0].textValue?.lowercased() }
        for row in all {
            guard let name = row[0].textValue, name.lowercased() != SurrogateTag.provenanceTable else { continue }
            let lower = name.lowercased()
            if virtual.contains(where: { lower == $0 || lower.hasPrefix($0 + "_") }) { continue }
            let count = try db.rows("SELECT count(*) FROM \(SQLiteFingerprinter.quote(name))").first?[0]
            guard case .integer(let holds)? = count else { continue }
            let wrote = expected[lower] ?? 0
            if holds != wrote { throw unexpectedRows(schema, table: name, holds: holds, wrote: wrote) }
        }
    }
}
