import RehearseCore
import RehearsePostgres
import RehearseSQLite

extension RehearseVersion {
    /// The version line, with the database client libraries actually linked.
    public static var describe: String {
        "rehearse \(current) (SQLite \(SQLiteConnection.libraryVersion), libpq \(PGConnection.libraryVersion))"
    }
}
