import CSQLite3
import Foundation
import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

/// Creates a surrogate in an SQLite database: tables first, then the rows
/// (one transaction, one prepared INSERT per table reused for every row),
/// then indexes, views and triggers, then the provenance table with its tag.
package struct SQLiteSurrogateLoader {
    package let source: SurrogateSource
    package let seed: UInt64
    package let scale: Double
    package let progress: ProgressHandler?
    /// Worker threads computing values; any count gives the same rows.
    package var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    package func load(into db: SQLiteConnection) throws -> LoadRecord {
        // Scratch-appropriate settings: nothing here needs to survive a crash.
        try db.execute("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA foreign_keys = OFF; PRAGMA cache_size = -\(Self.loadCacheKiB)")
        var deferred: [ScriptStatement] = []
        var rows: [String: Int64] = [:]
        let loading = SurrogateLoading(
            createStructure: { schema in deferred = try createTables(schema, db) },
            tableShapes: { try SQLiteSchemaReader(db: db).tables() },
            verifyNoTriggers: { schema in try SchemaDataGuard.verifyNoTriggers(db, schema: schema) },
            writeRows: { plan in
                try db.execute("BEGIN")
                let clock = ContinuousClock.now
                var done: Int64 = 0
                for table in plan.tables {
                    try insertRows(table, db, plan: plan, done: &done, clock: clock)
                    rows[table.name] = table.rows
                }
            },
            finishStructure: { plan, schema in
                try setDeferredForeignKeys(plan, db)
                if plan.counterGap > 0, try !db.rows("SELECT 1 FROM main.sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'").isEmpty {
                    try db.execute("UPDATE main.sqlite_sequence SET seq = seq + \(plan.counterGap) WHERE seq >= 0")
                }
                try db.execute("COMMIT")
                // CREATE INDEX sorts in memory up to the cache size before spilling
                // runs to a temporary file: with the 64 MiB cache that buffer came on
                // top of the cache at 10M rows (peak RSS 126 MiB at 1M, 182 at 10M).
                // A small cache while the indexes are built caps the sort buffer and
                // gives back the cache's pages, which the sort then reuses; the index
                // builds read and write in order and need no cache of their own.
                try db.execute("PRAGMA cache_size = -\(Self.indexBuildCacheKiB)")
                for statement in deferred {
                    do {
                        try db.prepare(statement.sql).step()
                    } catch let error as SQLiteError {
                        let loc = schema.location(ofByteOffset: statement.startOffset)
                        throw RehearseError.badInput("\(schema.displayPath):\(loc.line):\(loc.column): SQLite error \(error.resultCode): \(error.message) - in statement `\(SQLExcerpt.of(statement.sql))`. Fix the schema file.")
                    }
                }
                try db.execute("PRAGMA cache_size = -\(Self.loadCacheKiB)")
            },
            writeProvenance: { tag in
                try db.execute("CREATE TABLE \(SurrogateTag.provenanceTable) (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
                let insert = try db.prepare("INSERT INTO \(SurrogateTag.provenanceTable) (key, value) VALUES (?, ?)")
                for (k, v) in tag {
                    try insert.bind([.text(k), .text(v)])
                    try insert.step()
                    insert.reset()
                }
            },
            verify: { plan, schema in
                // The full check (and its message) only when the quick one finds something.
                let violations = try Self.foreignKeysMayBeBroken(db)
                    ? try db.rows("SELECT \"table\", count(*) FROM pragma_foreign_key_check GROUP BY 1 ORDER BY 1") : []
                if let first = violations.first {
                    throw RehearseError.badInput("The generated surrogate breaks a foreign key in table \(first[0].textValue ?? "?") (\(first[1]) rows). This is a generator bug or a profile 'constant'/'categorical' on a key column; give the column a reference-compatible generator.")
                }
                // Every row must be the generator's: nothing the schema ran may have added any.
                try SchemaDataGuard.verifyRows(db, plan: plan, schema: schema)
            })
        let (plan, digest) = try loading.load(source, seed: seed, scale: scale, dialect: .sqlite)
        return LoadRecord(rowsPerTable: rows, totalRows: plan.totalRows, specDigest: digest, seed: seed, scale: scale)
    }

    /// Whether some foreign key may be broken: false only when every row's keys
    /// were found. `pragma_foreign_key_check` reads each child table in rowid
    /// order and looks every key up in its parent, so at 10M rows most lookups
    /// miss the page cache. Here a single-column key whose columns have the same
    /// affinity, pointing at its parent's one-column primary key, is checked by
    /// a query that SQLite runs over the child column's index when there is one,
    /// in key order, so the parent's pages are read once. With the same affinity
    /// on both sides the comparison converts nothing, and the parent column's
    /// collation applies (it is the left operand), as in the foreign key check.
    /// Any other key, in its table, goes through the pragma.
    package static func foreignKeysMayBeBroken(_ db: SQLiteConnection) throws -> Bool {
        struct Column { var name: String; var type: String; var pk: Int64 }
        func columns(_ table: String) throws -> [Column] {
            try db.rows("SELECT name, type, pk FROM pragma_table_info(?)", [.text(table)]).map {
                Column(name: $0[0].textValue ?? "", type: $0[1].textValue ?? "", pk: { if case .integer(let i) = $0 { i } else { 0 } }($0[2]))
            }
        }
        let tables = try db.rows("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").compactMap { $0[0].textValue }
        for child in tables {
            let keys = try db.rows("SELECT id, \"table\", \"from\", \"to\" FROM pragma_foreign_key_list(?) ORDER BY id, seq", [.text(child)])
            if keys.isEmpty { continue }
            var queries: [String] = []
            var quick = true
            let childColumns = try columns(child)
            for key in Dictionary(grouping: keys, by: { $0[0] }).values {
                guard key.count == 1, let parent = key[0][1].textValue, let from = key[0][2].textValue else { quick = false; break }
                let parentColumns = try columns(parent)
                let primary = parentColumns.filter { $0.pk > 0 }
                guard primary.count == 1,
                      key[0][3] == .null || key[0][3].textValue?.lowercased() == primary[0].name.lowercased(),
                      let source = childColumns.first(where: { $0.name.lowercased() == from.lowercased() }),
                      Self.affinity(source.type) == Self.affinity(primary[0].type)
                else { quick = false; break }
                let c = SQLiteFingerprinter.quote(source.name), p = SQLiteFingerprinter.quote(primary[0].name)
                queries.append("SELECT 1 FROM \(SQLiteFingerprinter.quote(child)) AS c WHERE c.\(c) IS NOT NULL AND NOT EXISTS (SELECT 1 FROM \(SQLiteFingerprinter.quote(parent)) AS p WHERE p.\(p) = c.\(c)) LIMIT 1")
            }
            if !quick { queries = ["SELECT 1 FROM pragma_foreign_key_check(\(DatabaseValue.text(child))) LIMIT 1"] }
            for query in queries where try !db.rows(query).isEmpty { return true }
        }
        return false
    }

    /// A declared type's column affinity, by SQLite's rules (section 3.1 of its
    /// datatype page).
    package static func affinity(_ declared: String) -> Int {
        let t = declared.uppercased()
        if t.contains("INT") { return 0 }
        if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") { return 1 }
        if t.contains("BLOB") || t.isEmpty { return 2 }
        if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") { return 3 }
        return 4
    }

    /// Runs CREATE TABLE statements now; returns the others (indexes, views,
    /// triggers) to run after the data, as pg_restore does.
    private func createTables(_ schema: SQLScript, _ db: SQLiteConnection) throws -> [ScriptStatement] {
        var deferred: [ScriptStatement] = []
        do {
            try db.forEachStatement(of: schema) { statement, prepared in
                let head = SQLNormalizer.tokens(String(statement.sql.prefix(64))).prefix(3)
                // The kind is the word after CREATE [TEMP|VIRTUAL]: a trigger
                // named "table" is a trigger, made after the data, so it never
                // fires on the generator's rows.
                if head.first == "create" && head.dropFirst().first(where: { !["temp", "temporary", "virtual"].contains($0) }) == "table" {
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

    package static let batchRows: Int64 = 4096
    /// The page cache while rows go in (and for the foreign key check): a fixed
    /// size, so memory does not grow with the surrogate.
    package static let loadCacheKiB = 65536
    /// The page cache, and so the in-memory sort buffer, while indexes are built.
    package static let indexBuildCacheKiB = 8192

    package init(source: SurrogateSource, seed: UInt64, scale: Double, progress: ProgressHandler?, jobs: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.source = source
        self.seed = seed
        self.scale = scale
        self.progress = progress
        self.jobs = jobs
    }
}
