import CSQLite3
import Foundation
import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

/// Fingerprints an existing SQLite file without changing it: opened
/// read-only with immutable=1, so not even a journal or WAL file appears.
package enum SQLiteFingerprint {
    package static func of(file: URL) throws -> Fingerprint {
        try SQLiteFingerprinter(db: open(file: file)).fingerprint()
    }

    /// Opens a user's SQLite file read-only and immutable.
    package static func open(file: URL) throws -> SQLiteConnection {
        guard FileManager.default.isReadableFile(atPath: file.path) else {
            throw RehearseError.badInput("\(file.path): no such readable file. Give the path of an SQLite database.")
        }
        var components = URLComponents()
        components.scheme = "file"
        components.path = file.standardizedFileURL.path
        components.queryItems = [URLQueryItem(name: "mode", value: "ro"), URLQueryItem(name: "immutable", value: "1")]
        let db: SQLiteConnection
        do {
            db = try SQLiteConnection(uri: components.string ?? file.path)
            _ = try db.rows("SELECT count(*) FROM sqlite_schema")
        } catch let error as SQLiteError {
            throw RehearseError.badInput("\(file.path): not a readable SQLite database (\(error.message)).")
        }
        return db
    }
}

extension SQLiteConnection {
    /// Opens a `file:` URI read-only (see SQLite's URI filenames).
    package convenience init(uri: String) throws {
        try self.init(path: uri, readOnly: true, create: false, uri: true)
    }
}
