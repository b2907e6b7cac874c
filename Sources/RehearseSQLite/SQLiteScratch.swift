import CSQLite3
import Foundation
import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

/// A scratch SQLite database in a fresh private temporary directory.
package final class SQLiteScratch: ScratchEngine {
    package let directory: URL
    package let databaseURL: URL
    private var removed = false
    /// Threads generating values (the data is the same for any count).
    package let jobs: Int

    package convenience init(keep: Bool, parent: URL? = nil) throws {
        try self.init(ProvisionOptions(keep: keep, parent: parent))
    }

    /// A fresh scratch database; `scriptsAsSuperuser` has no meaning for SQLite.
    package init(_ options: ProvisionOptions) throws {
        let keep = options.keep
        jobs = options.jobs
        let base = options.parent ?? FileManager.default.temporaryDirectory
        // A run killed with SIGKILL (or a crash) cannot remove its scratch
        // directory; the next run under the same parent does.
        Self.cleanStale(in: base)
        directory = base.appendingPathComponent("\(Self.directoryPrefix)\(UUID().uuidString.lowercased().prefix(12))")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            // The owner mark (pid and process start time) is what the sweep
            // reads; the same words as an ephemeral cluster's.
            try ScratchOwner.mark(keep: keep).write(to: directory.appendingPathComponent(ScratchOwner.file), atomically: true, encoding: .utf8)
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw RehearseError.environment("Cannot create a scratch directory under \(base.path) (\(SystemErrorText.describe(error))). Set TMPDIR to a writable directory.")
        }
        databaseURL = directory.appendingPathComponent("scratch.sqlite")
        Interruption.register(directory, keep: keep)
    }

    package static let directoryPrefix = "rehearse-"

    /// Removes SQLite scratch directories under `parent` whose owning
    /// rehearse process is gone. Only real directories holding an owner mark
    /// this user wrote, never kept ones, never ephemeral PostgreSQL clusters
    /// (their own sweep stops the server first). Returns what was removed.
    @discardableResult
    package static func cleanStale(in parent: URL) -> [URL] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: parent.path) else { return [] }
        var removed: [URL] = []
        for name in names where name.hasPrefix(directoryPrefix) && !name.hasPrefix(ScratchOwner.postgresDirectoryPrefix) {
            let dir = parent.appendingPathComponent(name)
            let mark = dir.appendingPathComponent(ScratchOwner.file)
            var st = stat()
            guard lstat(dir.path, &st) == 0, st.st_mode & S_IFMT == S_IFDIR, st.st_uid == getuid(),
                  lstat(mark.path, &st) == 0, st.st_mode & S_IFMT == S_IFREG, st.st_uid == getuid(),
                  let text = try? String(contentsOf: mark, encoding: .utf8) else { continue }
            let fields = ScratchOwner.fields(text)
            if fields["kept"] == "1" { continue }
            // A mark naming no owner proves no owner dead: kept, as clusters are.
            guard let pid = fields["pid"].flatMap({ Int32($0) }), pid > 0 else { continue }
            if ScratchOwner.processAlive(pid, startTime: fields["start"]) { continue }
            Interruption.removeTree(dir)
            if !FileManager.default.fileExists(atPath: dir.path) { removed.append(dir) }
        }
        return removed
    }

    /// A scratch database at a chosen file (used to rebuild reference states).
    package init(file: URL, jobs: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.jobs = max(1, jobs)
        directory = file.deletingLastPathComponent()
        databaseURL = file
        removed = true  // owned by another scratch; never removes the directory
    }

    package var dialect: Dialect { .sqlite }
    package var engineVersion: String { SQLiteConnection.libraryVersion }
    package var location: URL { databaseURL }
    package var isolation: ScratchIsolation {
        ScratchIsolation(kind: "sqlite-file", network: "none", facts: ["private_temporary_directory": .bool(true)])
    }
    package var provisionSummary: String { "sqlite \(engineVersion) in a private temporary directory" }

    /// Opens the scratch database. `policy` restricts the connection for SQL
    /// the user wrote (scripts, checks); nil leaves it to the tool's own SQL
    /// and the surrogate schema, under the sandbox's default policy.
    package func connect(readOnly: Bool = false, policy: SQLiteSandbox.Policy? = nil) throws -> SQLiteConnection {
        do {
            let db = try SQLiteConnection(path: databaseURL.path, readOnly: readOnly)
            // A 64 MiB page cache: foreign-key checks and fingerprints read
            // every table, and SQLite's 2 MiB default makes that I/O bound.
            try db.execute("PRAGMA cache_size = -65536")
            if let policy { db.restrict(to: policy) }
            return db
        } catch let error as SQLiteError {
            throw RehearseError.environment("Cannot open the scratch database \(databaseURL.path): \(error.message).")
        }
    }

    package func loadSurrogate(_ source: SurrogateSource, seed: UInt64, scale: Double, progress: ProgressHandler?) throws -> LoadRecord {
        let db = try connect()
        var loader = SQLiteSurrogateLoader(source: source, seed: seed, scale: scale, progress: progress)
        loader.jobs = jobs
        return try loader.load(into: db)
    }

    package func fingerprint() throws -> Fingerprint {
        try SQLiteFingerprinter(db: connect(readOnly: true)).fingerprint()
    }

    /// SQLite always runs the script in one transaction: it has no statement
    /// that refuses one, so `transactional: false` changes nothing here.
    package func apply(_ script: SQLScript, transactional: Bool) throws(ScriptFailure) -> ScriptRun {
        let db: SQLiteConnection
        do { db = try connect(policy: .script(context: "a rehearsal script")) } catch {
            throw ScriptFailure(file: script.displayPath, line: 0, column: 0, statement: "", engineMessage: "\(error)")
        }
        func plain(_ sql: String) throws(ScriptFailure) {
            do { try db.execute(sql) } catch {
                throw ScriptFailure(file: script.displayPath, line: 0, column: 0, statement: sql, engineMessage: "\(error)")
            }
        }
        // Foreign keys are off while the script runs, as SQLite's documented
        // table-rebuild procedure requires, and checked in full before commit.
        try plain("PRAGMA foreign_keys = OFF")
        try plain("BEGIN IMMEDIATE")
        do throws(ScriptFailure) {
            let records = try db.runScript(script, inTransaction: true)
            let broken = (try? db.rows("SELECT \"table\", \"parent\", count(*) FROM pragma_foreign_key_check GROUP BY 1, 2 ORDER BY 1, 2")) ?? []
            if let first = broken.first {
                throw ScriptFailure(file: script.displayPath, line: 0, column: 0, statement: "PRAGMA foreign_key_check",
                                    engineMessage: "after the script, \(first[2]) rows of \(first[0].textValue ?? "?") reference missing rows of \(first[1].textValue ?? "?")")
            }
            guard db.isInTransaction else {
                throw ScriptFailure(file: script.displayPath, line: 0, column: 0, statement: "",
                                    engineMessage: SQLiteConnection.endedTransaction)
            }
            try plain("COMMIT")
            return ScriptRun(statements: records)
        } catch {
            if db.isInTransaction { try? db.execute("ROLLBACK") }
            throw error
        }
    }

    package func runChecks(_ script: SQLScript) throws -> [CheckResult] {
        let db = try connect(readOnly: true, policy: .check)
        var results: [CheckResult] = []
        var number = 0
        do {
            try db.forEachStatement(of: script) { statement, prepared in
                number += 1
                let line = script.line(ofByteOffset: statement.startOffset)
                let name = statement.checkName(number: number, line: line)
                var returned: String
                var passed = false
                // The authorizer already refuses every write; this is the
                // second lock on the same door, from SQLite's own verdict.
                guard prepared.isReadOnly else {
                    results.append(CheckResult(name: name, file: script.displayPath, line: line, passed: false,
                                               returned: "error: this check would change the database; checks run read-only. Write it as one SELECT returning 1 for pass", sql: statement.sql))
                    return
                }
                do {
                    var rows: [[DatabaseValue]] = []
                    while try prepared.step(), rows.count < 3 {
                        rows.append((0..<prepared.columnCount).map { prepared.value(at: $0) })
                    }
                    // SQLite has no boolean type: TRUE is the integer 1.
                    let value: CheckJudgement.Value = switch rows.first?.first {
                    case .integer(let i)?: .integer(i)
                    case .null?, nil: .null
                    default: .other
                    }
                    (passed, returned) = CheckJudgement.judge(rows: rows.count, columns: rows.first?.count ?? 0, value: value,
                                                              shown: rows.first?.first.map { "\($0)" } ?? "")
                } catch let error as SQLiteError {
                    returned = "error: \(error.message)"
                }
                results.append(CheckResult(name: name, file: script.displayPath, line: line, passed: passed, returned: returned, sql: statement.sql))
            }
        } catch let failure as ScriptFailure {
            // A check that does not even compile fails, with its location.
            results.append(CheckResult(name: "check at line \(failure.line)", file: failure.file, line: failure.line, passed: false,
                                       returned: "error: \(failure.engineMessage)", sql: failure.statement))
        }
        return results
    }

    package func localize(_ drift: Drift, pre: Fingerprint, rebuildPre: (ScratchEngine) throws -> Void) throws -> Drift {
        guard !drift.data.isEmpty else { return drift }
        let referenceURL = directory.appendingPathComponent("reference-pre.sqlite")
        try? FileManager.default.removeItem(at: referenceURL)
        defer { try? FileManager.default.removeItem(at: referenceURL) }
        let reference = SQLiteScratch(file: referenceURL, jobs: jobs)
        return try DriftLocalization.localize(drift, pre: pre, reference: reference, rebuildPre: rebuildPre) {
            let db = try connect(readOnly: true)
            try db.attachReference(referenceURL.path, as: "ref")
            return SQLiteDriftLocator(db: db)
        }
    }

    package func tearDown(keep: Bool) {
        guard !removed else { return }
        removed = true
        Interruption.unregister(directory)
        if !keep { try? FileManager.default.removeItem(at: directory) }
    }

    deinit { tearDown(keep: false) }
}

/// The generator's view of a schema written for SQLite, read from a private
/// in-memory database: what `rehearse-fuzz-spec` plans surrogates against
/// without touching a disk.
package enum SQLiteSchemaShapes {
    package static func read(schema text: String, displayPath: String = "schema.sql") throws -> [TableShape] {
        let db = try SQLiteConnection(path: ":memory:")
        let script = SQLScript(displayPath: displayPath, url: URL(fileURLWithPath: displayPath), text: text, sha256: "")
        do {
            try db.forEachStatement(of: script) { _, statement in while try statement.step() {} }
        } catch let failure as ScriptFailure {
            throw RehearseError.badInput("\(failure). Fix the schema file.")
        }
        return try SQLiteSchemaReader(db: db).tables()
    }
}
