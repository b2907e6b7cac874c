import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// pg_restore, run as the ``DumpReader`` (never root) the only ways rehearse runs it: to render an archive as SQL
/// into a file (`-f`, no connection), which is scanned, checked and restored
/// by rehearse itself, and to list its table of contents (`-l`). It never
/// connects to a database. Each time with an
/// environment built from nothing: no PGHOST, PGSERVICE, PGSERVICEFILE,
/// PGPASSFILE, PGSYSCONFDIR, PGOPTIONS or any other variable of the caller
/// reaches it, so no setting can point it at another server or file.
package enum ArchiveTools {
    /// PGPASSFILE points at nothing, so libpq does not read a password file
    /// from the home directory either (the socket connection needs none).
    package static let environment = ["PATH": "/usr/bin:/bin", "LC_ALL": "C", "PGCLIENTENCODING": "UTF8", "PGPASSFILE": "/dev/null"]

    package static func pgRestore(bindir: URL?) throws -> URL {
        let dir = try bindir ?? PostgresCluster.locateBinaries()
        let tool = dir.appendingPathComponent("pg_restore")
        guard FileManager.default.isExecutableFile(atPath: tool.path) else {
            throw RehearseError.environment("pg_restore is not in \(dir.path): it is needed to read custom, directory and tar dumps. Install the PostgreSQL client tools or give --pg-bindir.")
        }
        return tool
    }

    /// `pg_restore (PostgreSQL) 15.x`, for the evidence.
    package static func version(bindir: URL?) throws -> String {
        let tool = try pgRestore(bindir: bindir)
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("rehearse-pgrestore-version-\(getpid())-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: log) }
        let out = try ChildProcess.run(tool.path, ["--version"], environment: environment, output: log)
        return out.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Renders an archive to an SQL script file.
    /// `file` must lie in a directory `reader` may write (``DumpReader/outputDirectory(in:)``).
    package static func render(_ archive: URL, format: DumpFormat, to file: URL, bindir: URL?, reader: DumpReader, shown: String) throws {
        let tool = try pgRestore(bindir: bindir)
        let log = file.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("pg_restore-render.log")
        defer { try? FileManager.default.removeItem(at: log) }
        // The options a restore used to give pg_restore -d: this rendering is what runs.
        let run = reader.command(tool, ["--format=\(flag(format))", "--file=\(file.path)"] + restoreOptions + ["--", archive.path])
        let out = try ChildProcess.run(run.executable, run.arguments, environment: environment, output: log)
        guard out.status == 0 else {
            throw RehearseError.refused("Refused: pg_restore could not read the \(format.rawValue) dump \(RunFolder.display(shown)) to scan it (exit \(out.status)): \(out.output.trimmingCharacters(in: .whitespacesAndNewlines).prefix(600)). Nothing was restored.")
        }
    }

    /// The archive's table of contents, one `pg_restore -l` line per entry.
    package static func tableOfContents(_ archive: URL, format: DumpFormat, work: URL, bindir: URL?, reader: DumpReader, shown: String) throws -> [String] {
        let tool = try pgRestore(bindir: bindir)
        let log = work.appendingPathComponent("pg_restore-list.out")
        defer { try? FileManager.default.removeItem(at: log) }
        let run = reader.command(tool, ["--format=\(flag(format))", "--list", "--", archive.path])
        let out = try ChildProcess.run(run.executable, run.arguments, environment: environment, output: log)
        guard out.status == 0 else {
            throw RehearseError.refused("Refused: pg_restore could not list the \(format.rawValue) dump \(RunFolder.display(shown)) (exit \(out.status)): \(out.output.trimmingCharacters(in: .whitespacesAndNewlines).prefix(600)). Nothing was restored.")
        }
        return out.output.split(separator: "\n").map(String.init).filter { !$0.hasPrefix(";") && !$0.isEmpty }
    }

    /// Owners, privileges and what acts outside the database left out: every
    /// object belongs to the scratch owner (``DumpCloneRestore/ownership``).
    package static let restoreOptions = ["--no-owner", "--no-privileges", "--no-comments", "--no-tablespaces", "--no-publications",
                                         "--no-subscriptions", "--no-security-labels"]

    package static func flag(_ format: DumpFormat) -> String {
        switch format {
        case .custom: "custom"
        case .directory: "directory"
        case .tar: "tar"
        case .plain, .sqlite: "custom"
        }
    }
}
