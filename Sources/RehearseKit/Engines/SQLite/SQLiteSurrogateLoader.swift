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
        let waves = RowWaves(table: table, jobs: max(1, jobs), batch: Self.batchRows)
        var pending = waves.start(0)
        var wave = 0
        while let current = pending.wait() {
            wave += 1
            pending = waves.start(wave)
            for (offset, row) in current.rows.enumerated() {
                for i in 0..<width {
                    try insert.bind(current.values[offset * width + i], at: i + 1)
                }
                do {
                    try insert.step()
                } catch let error as SQLiteError {
                    pending.cancel()
                    throw RehearseError.badInput("Generating row \(row + 1) of table \(table.name) failed: \(error.message). The generator does not read CHECK constraints yet: give the columns involved a generator in the profile whose values satisfy the constraint (see schemas/profile.schema.json).")
                }
                insert.reset()
            }
            done += Int64(current.rows.count)
            if let progress, done - lastReport >= 16384 || current.rows.upperBound == table.rows {
                lastReport = done
                progress(ProgressEvent(phase: "load", item: table.name, done: done, total: plan.totalRows,
                                       elapsedMicros: (ContinuousClock.now - clock).microseconds))
            }
        }
    }

    static let batchRows: Int64 = 4096
}

/// Computes a table's rows wave by wave on background threads: wave `n`
/// covers `jobs` consecutive batches, each computed by its own worker.
final class RowWaves: @unchecked Sendable {
    // @unchecked: `table` is immutable after planning; each worker writes only
    // its own batch slot, and the consumer reads slots only after `wait`.
    let table: TablePlan
    let jobs: Int
    let batch: Int64
    private let queue = DispatchQueue(label: "rehearse.generate", attributes: .concurrent)

    init(table: TablePlan, jobs: Int, batch: Int64) {
        self.table = table
        self.jobs = jobs
        self.batch = batch
    }

    struct Batch {
        var rows: Range<Int64>
        var values: [DatabaseValue]
    }

    /// A wave being computed; `wait` returns its rows as one batch, or nil
    /// past the end of the table.
    final class Pending: @unchecked Sendable {
        // @unchecked: each worker writes only its own slot, through a raw
        // pointer (no shared exclusivity-checked access), before leaving
        // `group`; the consumer reads the slots only after `group.wait()`.
        let group = DispatchGroup()
        let count: Int
        let slots: UnsafeMutablePointer<Batch?>

        init(count: Int) {
            self.count = count
            slots = .allocate(capacity: max(count, 1))
            slots.initialize(repeating: nil, count: max(count, 1))
        }

        deinit {
            group.wait()
            slots.deinitialize(count: max(count, 1))
            slots.deallocate()
        }

        func wait() -> Batch? {
            group.wait()
            let parts = (0..<count).compactMap { slots[$0] }
            guard let first = parts.first, let last = parts.last else { return nil }
            return Batch(rows: first.rows.lowerBound..<last.rows.upperBound, values: parts.flatMap(\.values))
        }

        /// Lets running workers finish before the caller gives up.
        func cancel() {
            group.wait()
        }
    }

    func start(_ wave: Int) -> Pending {
        let first = Int64(wave) * Int64(jobs) * batch
        guard first < table.rows else { return Pending(count: 0) }
        let pending = Pending(count: jobs)
        for slot in 0..<jobs {
            let lower = first + Int64(slot) * batch
            guard lower < table.rows else { break }
            let rows = lower..<min(lower + batch, table.rows)
            pending.group.enter()
            queue.async { [table] in
                defer { pending.group.leave() }
                var values: [DatabaseValue] = []
                values.reserveCapacity(rows.count * table.columns.count)
                for row in rows {
                    for i in table.columns.indices { values.append(table.value(i, row: row)) }
                }
                pending.slots[slot] = Batch(rows: rows, values: values)
            }
        }
        return pending
    }
}
