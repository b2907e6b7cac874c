import CLibPQ
import RehearseCore
import RehearseSQLite

extension RehearseVersion {
    /// The version line, with the database client libraries actually linked.
    public static var describe: String {
        let pq = PQlibVersion()
        return "rehearse \(current) (SQLite \(SQLiteConnection.libraryVersion), libpq \(pq / 10000).\(pq % 10000))"
    }
}
