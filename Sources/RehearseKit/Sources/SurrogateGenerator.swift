import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// Writes a surrogate to a new SQLite file, outside any rehearsal
/// (`rehearse generate`).
package enum SurrogateGenerator {
    package static func generate(_ source: SurrogateSource, seed: UInt64? = nil, scale: Double? = nil, to file: URL,
                                jobs: Int = ProcessInfo.processInfo.activeProcessorCount,
                                progress: ProgressHandler? = nil) throws -> LoadRecord {
        let fm = FileManager.default
        if fm.fileExists(atPath: file.path) {
            throw RehearseError.badInput("\(file.path) already exists. Give --out a new file name; rehearse never overwrites a database.")
        }
        let db: SQLiteConnection
        do {
            db = try SQLiteConnection(path: file.path)
        } catch let error as SQLiteError {
            throw RehearseError.environment("Cannot create \(file.path): \(error.message). Check that its folder exists and is writable.")
        }
        do {
            var loader = SQLiteSurrogateLoader(source: source, seed: seed ?? source.manifest.seed, scale: scale ?? source.manifest.scale,
                                               progress: progress)
            loader.jobs = jobs
            return try loader.load(into: db)
        } catch {
            // Leave nothing half-written behind.
            try? fm.removeItem(at: file)
            throw error
        }
    }

    /// Loads a surrogate into an existing, empty database of a local
    /// PostgreSQL server (`rehearse generate --pg-url`).
    package static func generate(_ source: SurrogateSource, seed: UInt64? = nil, scale: Double? = nil, into server: PostgresServerAddress,
                                jobs: Int = ProcessInfo.processInfo.activeProcessorCount,
                                progress: ProgressHandler? = nil) throws -> LoadRecord {
        guard let database = server.namedDatabase else {
            throw RehearseError.badInput("--pg-url names no database. Add dbname=... (an empty database you created for the surrogate).")
        }
        let db = try PostgresScratch.open(server.parameters, database: database)
        let existing = try? db.scalar("""
            SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p', 'v', 'm') AND \(PostgresCatalog.userSchema)
            """)
        guard existing == "0" else {
            throw RehearseError.badInput("Database \(database) already holds tables or views. Give --pg-url an empty database (createdb NAME); rehearse never writes into one that has data.")
        }
        var loader = PostgresSurrogateLoader(source: source, seed: seed ?? source.manifest.seed, scale: scale ?? source.manifest.scale,
                                             progress: progress)
        loader.jobs = jobs
        let parameters = server.parameters
        return try loader.load(connect: { try PostgresScratch.open(parameters, database: database) })
    }
}
