import CSQLite3
import Foundation

/// Creates a surrogate in an SQLite database: tables first, then the rows
/// (one transaction, one prepared INSERT per table reused for every row),
/// then indexes, views and triggers, then the provenance table with its tag.
struct SQLiteSurrogateLoader {
    let source: SurrogateSource
    let seed: UInt64
    let scale: Double
    let progress: ProgressHandler?
    /// Worker threads computing values; any count gives the same rows.
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    func load(into db: SQLiteConnection) throws -> LoadRecord {
        // Scratch-appropriate settings: nothing here needs to survive a crash.
        try db.execute("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA foreign_keys = OFF; PRAGMA cache_size = -65536")
        let schema = try source.script(source.manifest.schema, dialect: "sqlite")
        let deferred = try createTables(schema, db)
        let shapes = try SQLiteSchemaReader(db: db).tables()
        if shapes.contains(where: { $0.name.lowercased() == SurrogateTag.provenanceTable }) {
            throw RehearseError.badInput("\(schema.displayPath): the schema creates a table named \(SurrogateTag.provenanceTable), which rehearse reserves for the surrogate's tag. Rename it.")
        }
        let profile = try source.loadProfile(dialect: "sqlite")
        let profileFile = source.file(source.manifest.profile, dialect: "sqlite").display
        let plan = try SurrogatePlan(shapes: shapes, profile: profile, seed: seed, scale: scale, profileFile: profileFile)

        try db.execute("BEGIN")
        var rows: [String: Int64] = [:]
        let clock = ContinuousClock.now
        var done: Int64 = 0
        for table in plan.tables {
            try insertRows(table, db, plan: plan, done: &done, clock: clock)
            rows[table.name] = table.rows
        }
        try setDeferredForeignKeys(plan, db)
        try db.execute("COMMIT")

        for statement in deferred {
            do {
                try db.prepare(statement.sql).step()
            } catch let error as SQLiteError {
                let loc = schema.location(ofByteOffset: statement.startOffset)
                throw RehearseError.badInput("\(schema.displayPath):\(loc.line):\(loc.column): SQLite error \(error.resultCode): \(error.message) - in statement `\(SQLiteError.excerpt(statement.sql))`. Fix the schema file.")
            }
        }

        let digest = try source.specDigest(dialect: "sqlite")
        try db.execute("CREATE TABLE \(SurrogateTag.provenanceTable) (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        let insert = try db.prepare("INSERT INTO \(SurrogateTag.provenanceTable) (key, value) VALUES (?, ?)")
        for (k, v) in SurrogateProvenance.rows(specDigest: digest, seed: String(seed), scale: describeScale(scale),
                                               generator: SurrogatePlan.generatorVersion, name: source.manifest.name) {
            try insert.bind([.text(k), .text(v)])
            try insert.step()
            insert.reset()
        }

        let violations = try db.rows("SELECT \"table\", count(*) FROM pragma_foreign_key_check GROUP BY 1 ORDER BY 1")
        if let first = violations.first {
            throw RehearseError.badInput("The generated surrogate breaks a foreign key in table \(first[0].textValue ?? "?") (\(first[1]) rows). This is a generator bug or a profile 'constant'/'categorical' on a key column; give the column a reference-compatible generator.")
        }
        return LoadRecord(rowsPerTable: rows, totalRows: plan.totalRows, specDigest: digest, seed: seed, scale: scale)
    }

    /// Runs CREATE TABLE statements now; returns the others (indexes, views,
    /// triggers) to run after the data, as pg_restore does.
    private func createTables(_ schema: SQLScript, _ db: SQLiteConnection) throws -> [ScriptStatement] {
        var deferred: [ScriptStatement] = []
        do {
            try db.forEachStatement(of: schema) { statement, prepared in
                let head = SQLNormalizer.tokens(String(statement.sql.prefix(64))).prefix(3)
                if head.first == "create" && (head.contains("table")) {
                    while try prepared.step() {}
                } else {
                    deferred.append(statement)
                }
            }
        } catch let failure as ScriptFailure {
            throw RehearseError.badInput("\(failure). Fix the schema file.")
        }
        return deferred
    }

    private func insertRows(_ table: TablePlan, _ db: SQLiteConnection, plan: SurrogatePlan, done: inout Int64, clock: ContinuousClock.Instant) throws {
        guard table.rows > 0, !table.columns.isEmpty else { return }
        let columns = table.columns.map { SQLiteFingerprinter.quote($0.name) }.joined(separator: ", ")
        let marks = Array(repeating: "?", count: table.columns.count).joined(separator: ", ")
        let insert = try db.prepare("INSERT INTO \(SQLiteFingerprinter.quote(table.name)) (\(columns)) VALUES (\(marks))")
        let width = table.columns.count
        var lastReport = done
        // Values are computed in batches, `jobs` batches at a time on worker
        // threads, while this thread inserts the previous wave. Every value is
        // a pure function of its row, so the rows are the same for any `jobs`.
        let waves = RowWaves(table: table, jobs: max(1, jobs), batch: Self.batchRows) { table, rows in table.values(rows) }
        var pending = waves.start(0)
        var wave = 0
        while let parts = pending.wait() {
            wave += 1
            pending = waves.start(wave)
            for part in parts {
                for (offset, row) in part.rows.enumerated() {
                    for i in 0..<width {
                        try insert.bind(part.output[offset * width + i], at: i + 1)
                    }
                    do {
                        try insert.step()
                    } catch let error as SQLiteError {
                        pending.cancel()
                        throw RehearseError.badInput("Generating row \(row + 1) of table \(table.name) failed: \(error.message). The generator reads the CHECK forms it understands (ranges, IN lists, lengths, column comparisons); give the columns involved a generator in the profile whose values satisfy this constraint (see schemas/profile.schema.json).")
                    }
                    insert.reset()
                }
            }
            let covered = parts.last!.rows.upperBound - parts.first!.rows.lowerBound
            done += covered
            if let progress, done - lastReport >= 16384 || parts.last!.rows.upperBound == table.rows {
                lastReport = done
                progress(ProgressEvent(phase: "load", item: table.name, done: done, total: plan.totalRows,
                                       elapsedMicros: (ContinuousClock.now - clock).microseconds))
            }
        }
    }

    static let batchRows: Int64 = 4096
}
