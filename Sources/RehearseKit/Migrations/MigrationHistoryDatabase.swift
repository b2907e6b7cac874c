import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// The database the walk carries forward: the prelude, then each up in
/// order, applied by the same engine code a rehearsal uses. Before each
/// rehearsed step its structure is dumped (SQLite: the schema table's DDL;
/// PostgreSQL: `pg_dump --schema-only --no-owner --no-privileges`) and that
/// dump is the step's surrogate schema, so the schema before step k is what
/// ups 1..k-1 really built (drops, renames and rebuilds included), and its
/// rows come from the generator. Rows the ups themselves inserted (seeds)
/// stay behind in this database: a schema file carries structure only.
package final class MigrationHistoryDatabase {
    package let scratch: ScratchEngine
    package let dialect: Dialect
    private let work: URL
    /// Why the schema before later steps cannot be built, once an up failed.
    package private(set) var broken: String?
    /// How many steps of the set are applied (or stood for by a baseline).
    package private(set) var applied = 0
    private var prelude: MigrationScript?

    package init(engine: EngineChoice, superuser: Bool, parent: URL?, work: URL) throws {
        scratch = try engine.provision(ProvisionOptions(parent: parent, jobs: 1, scriptsAsSuperuser: superuser))
        dialect = engine.dialect
        self.work = work
    }

    package func tearDown() { scratch.tearDown(keep: false) }

    /// Applies a script (the prelude, or one step's up) with line numbers
    /// kept: the text is padded so that its lines are the file's lines.
    package func apply(_ script: MigrationScript, transactional: Bool, what: String) {
        guard broken == nil else { return }
        var prepared = MigrationScan.prepare(script, dialect: dialect, history: true)
        // psql meta-commands never run; in the history they are left out
        // (the step itself is reported not rehearsable).
        if prepared.metaCommand != nil {
            prepared.script.text = MigrationLines.split(prepared.script.text)
                .map { $0.drop { $0 == " " || $0 == "\t" }.hasPrefix("\\") ? "" : String($0) }.joined(separator: "\n")
            prepared = MigrationScan.prepare(prepared.script, dialect: dialect, history: true)
        }
        let ownTransaction = transactional && !prepared.ownTransactions && !(dialect != .sqlite && prepared.concurrently)
        let text = String(repeating: "\n", count: max(0, script.line - 1)) + prepared.script.text
        let sql = SQLScript(displayPath: script.file, url: URL(fileURLWithPath: script.file), text: text, sha256: Digest.sha256Hex(Data(text.utf8)))
        do {
            _ = try scratch.apply(sql, transactional: ownTransaction)
        } catch {
            broken = "\(what) failed while building the schema for the later steps: \(error)"
        }
    }

    /// The prelude, then a baseline standing for every up before `range`.
    package func begin(prelude: MigrationScript?, baseline: MigrationScript?, range: ClosedRange<Int>?) {
        self.prelude = prelude
        if let prelude { apply(prelude, transactional: true, what: "the prelude \(prelude.file)") }
        if let baseline, let range {
            apply(baseline, transactional: true, what: "the baseline \(baseline.file)")
            applied = range.lowerBound
        }
    }

    /// Carries the database forward to "every up of the set before `end` applied".
    package func advance(_ set: MigrationSet, to end: Int) {
        while applied < end {
            let step = set.steps[applied]
            if step.skip?.status != "SKIPPED" {
                for up in step.up { apply(up, transactional: step.transactional, what: "the up of \(step.version) (\(up.file))") }
            }
            applied += 1
        }
    }

    /// A step's schema: the dump, and on PostgreSQL the prelude again after it
    /// (database-level settings such as `ALTER DATABASE … SET search_path` are
    /// not in a schema dump). Nil once the history is broken.
    package func stepSchema() throws -> String? {
        guard broken == nil else { return nil }
        var schema = try dump()
        if dialect != .sqlite, let prelude { schema += "\n-- rehearse: the prelude, again\n" + prelude.text + "\n" }
        return schema
    }

    /// The structure the history database holds now, as a schema file.
    package func dump() throws -> String {
        if let sqlite = scratch as? SQLiteScratch {
            // Nothing applied yet: the database file does not exist, the schema is empty.
            guard FileManager.default.fileExists(atPath: sqlite.location.path) else { return "" }
            return try SQLiteProfiler.schemaDDL(file: sqlite.location)
        }
        guard let pg = scratch as? PostgresScratch else { return "" }
        let file = work.appendingPathComponent("schema-dump.sql")
        let log = work.appendingPathComponent("pg_dump.log")
        let bindir = try pg.cluster?.bindir ?? PostgresCluster.locateBinaries()
        var args = ["--schema-only", "--no-owner", "--no-privileges", "--no-comments", "-f", file.path, "-d", pg.database]
        var env = ["PATH": "/usr/bin:/bin", "LC_ALL": "C"]
        for (key, flag) in [("host", "-h"), ("port", "-p"), ("user", "-U")] {
            if let v = pg.server[key] { args += [flag, v] }
        }
        if let password = pg.server["password"] { env["PGPASSWORD"] = password }
        let outcome = try ChildProcess.run(bindir.appendingPathComponent("pg_dump").path, args, environment: env, output: log)
        guard outcome.status == 0, let data = FileManager.default.contents(atPath: file.path) else {
            throw RehearseError.environment("pg_dump of the migrations' schema failed (exit \(outcome.status)): \(outcome.output.trimmingCharacters(in: .whitespacesAndNewlines)). Check that \(bindir.path)/pg_dump matches the server's version.")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
