import CLibPQ

public enum RehearseVersion {
    public static let current = "0.1.0"

    /// The version line, with the database client libraries actually linked.
    public static var describe: String {
        let pq = PQlibVersion()
        return "rehearse \(current) (SQLite \(SQLiteConnection.libraryVersion), libpq \(pq / 10000).\(pq % 10000))"
    }
}

extension CivilTime {
    /// RFC 3339 UTC with whole seconds: `2026-11-24T22:15:30Z`.
    package static func rfc3339(_ seconds: Int64) -> String {
        format(seconds).replacingOccurrences(of: " ", with: "T") + "Z"
    }
}
