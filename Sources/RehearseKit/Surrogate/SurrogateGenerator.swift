import Foundation

/// Writes a surrogate to a new SQLite file, outside any rehearsal
/// (`rehearse generate`).
public enum SurrogateGenerator {
    public static func generate(_ source: SurrogateSource, seed: UInt64? = nil, scale: Double? = nil, to file: URL,
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
}
