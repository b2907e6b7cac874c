import Foundation

/// Creates a surrogate in a PostgreSQL database the way pg_restore restores a
/// dump: tables first; then, in the transaction that created them, the rows
/// through `COPY ... FREEZE` (no WAL at wal_level minimal, no later vacuum);
/// then primary keys, UNIQUE and foreign keys, indexes, views and triggers;
/// then the provenance table with the surrogate's tag.
struct PostgresSurrogateLoader {
    let source: SurrogateSource
    let seed: UInt64
    let scale: Double
    let progress: ProgressHandler?
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    static let dialect = "postgres"

    func load(into db: PGConnection) throws -> LoadRecord {
        let schema = try source.script(source.manifest.schema, dialect: Self.dialect)
        let statements = PostgresScript.statements(schema)
        // Indexes, views, triggers and rules come after the data, as in a restore.
        var deferred: [ScriptStatement] = []
        var now: [ScriptStatement] = []
        for statement in statements {
            let head = SQLNormalizer.tokens(String(statement.sql.prefix(80))).prefix(4)
            let laterKinds: Set<String> = ["index", "view", "trigger", "rule", "materialized", "policy"]
            if head.first == "create", head.dropFirst().contains(where: laterKinds.contains) {
                deferred.append(statement)
            } else {
                now.append(statement)
            }
        }
        func run(_ statement: ScriptStatement) throws {
            do { try db.execute(statement.sql) } catch {
                throw RehearseError.badInput("\(PostgresScript.failure(error, statement: statement, in: schema)). Fix the schema file.")
            }
        }

        try exec(db, "SET check_function_bodies = off")
        try exec(db, "BEGIN")
        for statement in now { try run(statement) }
        let (shapes, relations) = try catalog { try PostgresCatalog.tableShapes(db) }
        if shapes.contains(where: { $0.name.lowercased() == SurrogateTag.provenanceTable }) {
            throw RehearseError.badInput("\(schema.displayPath): the schema creates a table named \(SurrogateTag.provenanceTable), which rehearse reserves for the surrogate's tag. Rename it.")
        }
        let profile = try source.loadProfile(dialect: Self.dialect)
        let profileFile = source.file(source.manifest.profile, dialect: Self.dialect).display
        let plan = try SurrogatePlan(shapes: shapes, profile: profile, seed: seed, scale: scale, profileFile: profileFile)

        // Keys and foreign keys are dropped now and added back after the data,
        // so COPY maintains no index and checks no reference row by row.
        let constraints = try catalog {
            try db.rows("""
                SELECT n.nspname, c.relname, con.conname, pg_catalog.pg_get_constraintdef(con.oid), con.contype::text
                FROM pg_catalog.pg_constraint con
                JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
                JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                WHERE con.contype IN ('p', 'u', 'f') AND con.conparentid = 0 AND \(PostgresCatalog.userSchema)
                ORDER BY CASE con.contype WHEN 'f' THEN 0 ELSE 1 END, n.nspname, c.relname, con.conname
                """)
        }
        for c in constraints {
            try exec(db, "ALTER TABLE \(PostgresCatalog.qualified(schema: c[0]!, name: c[1]!)) DROP CONSTRAINT \(PGConnection.quoteIdentifier(c[2]!))")
        }

        var rows: [String: Int64] = [:]
        let clock = ContinuousClock.now
        var done: Int64 = 0
        for table in plan.tables {
            guard let rel = relations[table.name] else { continue }
            try copyRows(table, rel, db, plan: plan, done: &done, clock: clock)
            rows[table.name] = table.rows
        }
        try setDeferredForeignKeys(plan, relations, db)
        try exec(db, "COMMIT")

        // Keys first (a foreign key needs its parent's), then references.
        for c in constraints.reversed() {
            let table = PostgresCatalog.qualified(schema: c[0]!, name: c[1]!)
            do {
                try db.execute("ALTER TABLE \(table) ADD CONSTRAINT \(PGConnection.quoteIdentifier(c[2]!)) \(c[3]!)")
            } catch {
                let what = c[4] == "f" ? "breaks the foreign key" : "has duplicate keys for"
                throw RehearseError.badInput("The generated surrogate \(what) \(c[2]!) on \(c[1]!): \(error). This is a generator bug or a profile 'constant'/'categorical' on a key column; give the column a generator that respects the constraint.")
            }
        }
        for statement in deferred { try run(statement) }
        try resetSequences(db)

        let digest = try source.specDigest(dialect: Self.dialect)
        try exec(db, "CREATE TABLE \(SurrogateTag.provenanceTable) (key text PRIMARY KEY, value text NOT NULL)")
        for (k, v) in SurrogateProvenance.rows(specDigest: digest, seed: String(seed), scale: describeScale(scale),
                                               generator: SurrogatePlan.generatorVersion, name: source.manifest.name) {
            try catalog { try db.execute("INSERT INTO \(SurrogateTag.provenanceTable) (key, value) VALUES ($1, $2)", [k, v]) }
        }
        try exec(db, "ANALYZE")
        return LoadRecord(rowsPerTable: rows, totalRows: plan.totalRows, specDigest: digest, seed: seed, scale: scale)
    }

    /// Streams a table's rows through COPY: workers compute and encode
    /// batches while this thread sends the previous wave.
    private func copyRows(_ table: TablePlan, _ rel: PostgresCatalog.Relation, _ db: PGConnection, plan: SurrogatePlan,
                          done: inout Int64, clock: ContinuousClock.Instant) throws {
        guard table.rows > 0, !table.columns.isEmpty else { return }
        let columns = table.columns.map { PGConnection.quoteIdentifier($0.name) }.joined(separator: ", ")
        // FREEZE needs the table created in this transaction; a partitioned
        // parent takes no FREEZE.
        let freeze = rel.kind == "r" ? " WITH (FREEZE)" : ""
        let waves = RowWaves(table: table, jobs: max(1, jobs), batch: Self.batchRows) { table, rows in
            Self.encode(table, rows)
        }
        var pending = waves.start(0)
        var wave = 0
        var lastReport = done
        do {
            _ = try db.copyIn("COPY \(rel.qualified) (\(columns)) FROM STDIN\(freeze)") {
                guard let parts = pending.wait() else { return nil }
                wave += 1
                pending = waves.start(wave)
                var chunk: [UInt8] = []
                chunk.reserveCapacity(parts.reduce(0) { $0 + $1.output.count })
                for part in parts { chunk.append(contentsOf: part.output) }
                done += parts.last!.rows.upperBound - parts.first!.rows.lowerBound
                if let progress, done - lastReport >= 16384 || parts.last!.rows.upperBound == table.rows {
                    lastReport = done
                    progress(ProgressEvent(phase: "load", item: table.name, done: done, total: plan.totalRows,
                                           elapsedMicros: (ContinuousClock.now - clock).microseconds))
                }
                return chunk
            }
        } catch let error as PGError {
            pending.cancel()
            throw RehearseError.badInput("Loading table \(table.name) failed: \(error). Give the columns involved a generator in the profile whose values the column's type and constraints accept (see schemas/profile.schema.json).")
        }
    }

    /// Foreign keys on a cycle between tables were loaded as NULL; set them
    /// now, per edge with one COPY of (key, value) rows into a temporary
    /// table and one UPDATE joined on the key.
    private func setDeferredForeignKeys(_ plan: SurrogatePlan, _ relations: [String: PostgresCatalog.Relation], _ db: PGConnection) throws {
        let q = PGConnection.quoteIdentifier
        for fk in plan.deferredForeignKeys {
            guard let rel = relations[fk.table] else { continue }
            let keys = fk.keyColumns.map(q), cols = fk.columns.map(q)
            try exec(db, "DROP TABLE IF EXISTS pg_temp.rehearse_deferred")
            try exec(db, "CREATE TEMPORARY TABLE rehearse_deferred AS SELECT \((keys + cols).joined(separator: ", ")) FROM \(rel.qualified) WITH NO DATA")
            var row: Int64 = 0
            do {
                _ = try db.copyIn("COPY pg_temp.rehearse_deferred FROM STDIN") {
                    var chunk: [UInt8] = []
                    while row < fk.rows, chunk.count < 1 << 20 {
                        defer { row += 1 }
                        guard let values = fk.values(row: row) else { continue }
                        for (i, v) in (fk.key(row: row) + values).enumerated() {
                            if i > 0 { chunk.append(0x09) }
                            PostgresCopyText.append(v, to: &chunk)
                        }
                        chunk.append(0x0a)
                    }
                    return chunk.isEmpty && row >= fk.rows ? nil : chunk
                }
                let set = cols.map { "\($0) = d.\($0)" }.joined(separator: ", ")
                let on = keys.map { "t.\($0) = d.\($0)" }.joined(separator: " AND ")
                try db.execute("UPDATE \(rel.qualified) AS t SET \(set) FROM pg_temp.rehearse_deferred AS d WHERE \(on)")
                try db.execute("DROP TABLE pg_temp.rehearse_deferred")
            } catch {
                throw RehearseError.badInput("Setting the foreign key (\(fk.columns.joined(separator: ", "))) of table \(fk.table) to \(fk.parentTable) after loading failed: \(error). Give these columns a generator in the profile whose values meet the table's constraints.")
            }
        }
    }

    /// Rows as COPY text lines.
    static func encode(_ table: TablePlan, _ rows: Range<Int64>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(rows.count * table.columns.count * 12)
        for row in rows {
            for i in table.columns.indices {
                if i > 0 { out.append(0x09) }
                PostgresCopyText.append(table.value(i, row: row), to: &out)
            }
            out.append(0x0a)
        }
        return out
    }

    /// Sets every column-owned sequence (serial, identity) past the largest
    /// value loaded, as a restore does, so the next insert does not collide.
    private func resetSequences(_ db: PGConnection) throws {
        let owned = try catalog {
            try db.rows("""
                SELECT sn.nspname, s.relname, tn.nspname, t.relname, a.attname
                FROM pg_catalog.pg_depend d
                JOIN pg_catalog.pg_class s ON s.oid = d.objid AND s.relkind = 'S'
                JOIN pg_catalog.pg_namespace sn ON sn.oid = s.relnamespace
                JOIN pg_catalog.pg_class t ON t.oid = d.refobjid
                JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
                JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
                WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.deptype IN ('a', 'i')
                ORDER BY 1, 2
                """)
        }
        for o in owned {
            let seq = PostgresCatalog.qualified(schema: o[0]!, name: o[1]!)
            let table = PostgresCatalog.qualified(schema: o[2]!, name: o[3]!)
            let column = PGConnection.quoteIdentifier(o[4]!)
            try exec(db, "SELECT pg_catalog.setval(\(PGConnection.quoteLiteral(seq))::regclass, m, true) FROM (SELECT max(\(column))::bigint AS m FROM \(table)) x WHERE m IS NOT NULL")
        }
    }

    private func exec(_ db: PGConnection, _ sql: String) throws {
        do { try db.execute(sql) } catch {
            throw RehearseError.environment("PostgreSQL refused `\(sql.prefix(120))` while loading the surrogate: \(error).")
        }
    }

    private func catalog<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch {
            throw RehearseError.environment("Reading the PostgreSQL catalog failed: \(error).")
        }
    }

    static let batchRows: Int64 = 4096
}
