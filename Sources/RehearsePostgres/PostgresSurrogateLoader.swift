import Foundation
import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

/// Creates a surrogate in a PostgreSQL database the way pg_restore restores a
/// dump, on `jobs` connections at once where the steps are independent:
/// tables first (their keys and foreign keys dropped for the load); then each
/// table's rows through `COPY ... FREEZE` in a transaction that truncates it
/// first (so no WAL at wal_level minimal and no later vacuum); then primary
/// keys and UNIQUE, then foreign keys, then indexes, then views and triggers
/// in file order; then the provenance table with the surrogate's tag.
package struct PostgresSurrogateLoader {
    package let source: SurrogateSource
    package let seed: UInt64
    package let scale: Double
    package let progress: ProgressHandler?
    package var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    package static let dialect = Dialect.postgres

    /// Gives the scratch cluster the grantee roles a schema file names:
    /// returns those it has, each with how (`created NOLOGIN` or `existing`);
    /// the rest are mapped to the scratch owner (PgDumpSchemaPlan). Nil: map all.
    package var provideRoles: (([String]) throws -> [String: String])?
    package static let maxRoles = 1000

    /// Settings of every loading session: timestamps without a zone are read
    /// as UTC whatever the server's default, so the data is the same anywhere.
    package static let session = ["SET TimeZone = 'UTC'", "SET DateStyle = 'ISO, YMD'", "SET check_function_bodies = off",
                          "SET synchronous_commit = off"]

    /// `connect` opens a fresh connection to the target database.
    package func load(connect: @escaping @Sendable () throws -> PGConnection) throws -> LoadRecord {
        var db: PGConnection!
        var relations: [String: PostgresCatalog.Relation] = [:]
        var constraints: [[String?]] = []
        var pool: ConnectionPool!
        var deferred: [ScriptStatement] = []
        var schemaPlan: PgDumpSchemaPlan!
        var provided: [String: String] = [:]
        var run: (ScriptStatement, PGConnection) throws -> Void = { _, _ in }
        let loading = SurrogateLoading(
            createStructure: { schema in
                let structure = try createStructure(schema, connect: connect)
                (db, deferred, schemaPlan, provided, run, pool) = structure
            },
            tableShapes: {
                var (shapes, rels) = try Self.catalog { try PostgresCatalog.tableShapes(db) }
                relations = rels
                // UNIQUE indexes the schema creates after the rows bind them already.
                for index in PgDumpSchemaPlan.uniqueIndexes(deferred) {
                    guard let i = shapes.firstIndex(where: { $0.name == index.table }) else { continue }
                    let columns = index.columns.compactMap { c in shapes[i].columns.first { $0.name == c } }
                    guard columns.count == index.columns.count else { continue }
                    if index.predicate != nil, let flag = columns.first(where: { $0.pgType?.resolved.baseName == "bool" }) {
                        let q = PGConnection.quoteIdentifier(flag.name)
                        if let p = index.predicate, ["(\(flag.name) = true)", "\(flag.name)", "(\(flag.name) IS TRUE)", "(\(q) = true)", q].contains(p) {
                            shapes[i].checks.append("\(q) = false")
                        }
                        continue
                    }
                    let names = columns.map(\.name)
                    if !shapes[i].uniqueSets.contains(names) { shapes[i].uniqueSets.append(names) }
                }
                return shapes
            },
            verifyNoTriggers: { schema in try SchemaDataGuard.verifyNoTriggers(db, schema: schema) },
            writeRows: { plan in
                constraints = try dropKeys(db)
                // The rows, a table per connection; values are computed by `jobs`
                // workers per table whatever the number of connections.
                let counter = LoadCounter(total: plan.totalRows, progress: progress)
                let tables = plan.tables.filter { relations[$0.name] != nil && $0.rows > 0 && !$0.columns.isEmpty }
                    .sorted { $0.rows * Int64($0.columns.count) > $1.rows * Int64($1.columns.count) }
                try pool.run(tables.map { table in
                    { conn in try self.copyRows(table, relations[table.name]!, conn, counter: counter) }
                })
            },
            finishStructure: { plan, _ in
                try finishStructure(plan, db: db, relations: relations, constraints: constraints, deferred: deferred, pool: pool, run: run)
            },
            writeProvenance: { tag in
                // Whatever the schema set (an empty search_path, say), the tag goes in public.
                try Self.exec(db, "RESET ALL")
                try Self.exec(db, "CREATE TABLE public.\(SurrogateTag.provenanceTable) (key text PRIMARY KEY, value text NOT NULL)")
                for (k, v) in tag {
                    _ = try Self.catalog { try db.execute("INSERT INTO public.\(SurrogateTag.provenanceTable) (key, value) VALUES ($1, $2)", [k, v]) }
                }
            },
            verify: { plan, schema in
                // Every row must be the generator's: nothing the schema ran may have added any.
                try SchemaDataGuard.verifyRows(db, plan: plan, schema: schema)
            })
        let (plan, digest) = try loading.load(source, seed: seed, scale: scale, dialect: Self.dialect)
        var rows: [String: Int64] = [:]
        for table in plan.tables where relations[table.name] != nil { rows[table.name] = table.rows }
        return LoadRecord(rowsPerTable: rows, totalRows: plan.totalRows, specDigest: digest, seed: seed, scale: scale,
                          roles: Dictionary(uniqueKeysWithValues: schemaPlan.mappedRoles.map { ($0, "scratch owner") })
                              .merging(provided) { _, how in how })
    }

    /// The schema's structure, run in one transaction left open: what
    /// pg_dump would create before the data (PgDumpSchemaPlan). Returns the
    /// loading connection, what waits until after the rows, the plan, the
    /// roles provided, how a schema statement runs, and the connection pool.
    private func createStructure(_ schema: SQLScript, connect: @escaping @Sendable () throws -> PGConnection) throws
        -> (PGConnection, [ScriptStatement], PgDumpSchemaPlan, [String: String], (ScriptStatement, PGConnection) throws -> Void, ConnectionPool) {
        let statements = PostgresScript.statements(schema)
        // Indexes, views, triggers and rules come after the data, as in a
        // restore, with whatever targets them; owners and grantees are the
        // scratch cluster's (see PgDumpSchemaPlan).
        let grantees = PgDumpSchemaPlan.grantees(of: statements)
        if grantees.count > Self.maxRoles {
            throw RehearseError.badInput("\(schema.displayPath) grants to \(grantees.count) roles; rehearse provides at most \(Self.maxRoles) in the scratch cluster. Grant to fewer roles.")
        }
        let provided = grantees.isEmpty ? [:] : try provideRoles?(grantees) ?? [:]
        let schemaPlan = PgDumpSchemaPlan(statements, existing: Set(provided.keys))
        let deferred = schemaPlan.deferred
        var now = schemaPlan.now
        // psql meta-commands are not SQL. pg_dump's \restrict and \unrestrict
        // only guard psql itself and are skipped; any other is refused.
        for statement in statements where statement.sql.hasPrefix("\\") {
            let command = statement.sql.split(separator: " ").first.map(String.init) ?? statement.sql
            if command != "\\restrict" && command != "\\unrestrict" {
                let loc = schema.location(ofByteOffset: statement.startOffset)
                throw RehearseError.badInput("\(schema.displayPath):\(loc.line): \(command) is a psql meta-command, not SQL. Remove it from the schema file.")
            }
        }
        now.removeAll { $0.sql.hasPrefix("\\") }
        // Session settings the schema makes (pg_dump's search_path, say) hold
        // on every loading connection, not only the first.
        let sessionStatements = now.filter { st in
            let t = SQLNormalizer.tokens(String(st.sql.prefix(80)))
            return t.first == "set" || (t.first == "select" && st.sql.lowercased().contains("set_config("))
        }.map(\.sql)
        func run(_ statement: ScriptStatement, on db: PGConnection) throws {
            // One command per call, as the server counts them (see PGConnection.executeStatement).
            // A newer pg_dump's `SET transaction_timeout = 0` on an older
            // server is skipped; in a transaction, behind a savepoint.
            let guarded = db.isInTransaction && SQLNormalizer.tokens(String(statement.sql.prefix(20))).first == "set"
            do {
                if guarded { try db.execute("SAVEPOINT rehearse_set") }
                try db.executeStatement(statement.sql)
                if guarded { try db.execute("RELEASE SAVEPOINT rehearse_set") }
            } catch let error as PGError where Self.isUnknownSetting(error, statement.sql) {
                if guarded { _ = try? db.execute("ROLLBACK TO SAVEPOINT rehearse_set") }
            } catch {
                throw RehearseError.badInput("\(PostgresScript.failure(error, statement: statement, in: schema)). Fix the schema file.")
            }
        }
        let open: @Sendable () throws -> PGConnection = {
            let db = try connect()
            for s in Self.session { try Self.exec(db, s) }
            for s in sessionStatements {
                do { try db.executeStatement(s) } catch let error as PGError where Self.isUnknownSetting(error, s) {
                } catch {
                    throw RehearseError.badInput("\(schema.displayPath): the session setting `\(s.prefix(120))` failed: \(error). Fix the schema file.")
                }
            }
            return db
        }
        let db = try open()

        try Self.exec(db, "BEGIN")
        for statement in now { try run(statement, on: db) }
        let pool = ConnectionPool(first: db, open: open, size: max(1, min(jobs, 4)))
        return (db, deferred, schemaPlan, provided, { try run($0, on: $1) }, pool)
    }

    /// Keys and foreign keys are dropped before the rows and added back after
    /// them, so COPY maintains no index and checks no reference row by row.
    /// Commits the structure's transaction; returns the constraints dropped.
    private func dropKeys(_ db: PGConnection) throws -> [[String?]] {
        let constraints = try Self.catalog {
            try db.rows("""
                SELECT n.nspname, c.relname, con.conname, pg_catalog.pg_get_constraintdef(con.oid), con.contype::text
                FROM pg_catalog.pg_constraint con
                JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
                JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                WHERE con.contype IN ('p', 'u', 'f') AND con.conparentid = 0 AND \(PostgresCatalog.userSchema)
                ORDER BY CASE con.contype WHEN 'f' THEN 0 ELSE 1 END, n.nspname, c.relname, con.conname
                """)
        }
        for (i, c) in constraints.enumerated() {
            // A schema of thousands of tables (gitlab's) would hold more locks
            // than one transaction may: commit every few hundred drops.
            if i > 0, i % 256 == 0 { try Self.exec(db, "COMMIT"); try Self.exec(db, "BEGIN") }
            try Self.exec(db, "ALTER TABLE \(PostgresCatalog.qualified(schema: c[0]!, name: c[1]!)) DROP CONSTRAINT \(PGConnection.quoteIdentifier(c[2]!))")
        }
        try Self.exec(db, "COMMIT")
        return constraints
    }

    /// After the rows: deferred foreign key values, the keys and references
    /// back, the schema's deferred statements, sequences past the data.
    private func finishStructure(_ plan: SurrogatePlan, db: PGConnection, relations: [String: PostgresCatalog.Relation], constraints: [[String?]],
                                 deferred: [ScriptStatement], pool: ConnectionPool, run: @escaping (ScriptStatement, PGConnection) throws -> Void) throws {
        if !plan.deferredForeignKeys.isEmpty {
            try Self.exec(db, "BEGIN")
            try setDeferredForeignKeys(plan, relations, db)
            try Self.exec(db, "COMMIT")
        }

        // Keys first (a foreign key needs its parent's), then references.
        func add(_ c: [String?]) -> (PGConnection) throws -> Void {
            { conn in
                let table = PostgresCatalog.qualified(schema: c[0]!, name: c[1]!)
                do {
                    try conn.execute("ALTER TABLE \(table) ADD CONSTRAINT \(PGConnection.quoteIdentifier(c[2]!)) \(c[3]!)")
                } catch {
                    let what = c[4] == "f" ? "breaks the foreign key" : "has duplicate keys for"
                    throw RehearseError.badInput("The generated surrogate \(what) \(c[2]!) on \(c[1]!): \(error). This is a generator bug or a profile 'constant'/'categorical' on a key column; give the column a generator that respects the constraint.")
                }
            }
        }
        try pool.run(constraints.filter { $0[4] != "f" }.map(add))
        try pool.run(constraints.filter { $0[4] == "f" }.map(add))
        // In the file's order (pg_dump's dependency order), a run of
        // consecutive CREATE INDEX side by side.
        let isIndex: (ScriptStatement) -> Bool = { st in
            let head = SQLNormalizer.tokens(String(st.sql.prefix(80))).prefix(3)
            return head.first == "create" && head.contains("index")
        }
        var batch: [ScriptStatement] = []
        for statement in deferred + [nil] as [ScriptStatement?] {
            if let statement, isIndex(statement) { batch.append(statement); continue }
            try pool.run(batch.map { index in { conn in try run(index, conn) } })
            batch = []
            if let statement { try run(statement, db) }
        }
        try resetSequences(db, gap: plan.counterGap)
    }

    /// Streams a table's rows through COPY in a transaction that truncates
    /// the table first (which lets FREEZE apply): workers compute and encode
    /// batches while this connection sends the previous wave.
    private func copyRows(_ table: TablePlan, _ rel: PostgresCatalog.Relation, _ db: PGConnection, counter: LoadCounter) throws {
        let columns = table.columns.map { PGConnection.quoteIdentifier($0.name) }.joined(separator: ", ")
        // A partitioned parent takes no FREEZE (its partitions get the rows).
        let freeze = rel.kind == "r" ? " WITH (FREEZE)" : ""
        let waves = RowWaves(table: table, jobs: max(1, jobs), batch: Self.batchRows) { table, rows in
            Self.encode(table, rows)
        }
        var pending = waves.start(0)
        var wave = 0
        do {
            try db.execute("BEGIN")
            if rel.kind == "r" { try db.execute("TRUNCATE ONLY \(rel.qualified)") }
            // Each batch goes to the server as the worker encoded it: no
            // second copy of the table's bytes on this thread.
            try db.beginCopyIn("COPY \(rel.qualified) (\(columns)) FROM STDIN\(freeze)")
            do {
                while let parts = pending.wait() {
                    wave += 1
                    pending = waves.start(wave)
                    for part in parts { try part.output.withUnsafeBytes { try db.putCopyData($0) } }
                    counter.add(parts.last!.rows.upperBound - parts.first!.rows.lowerBound, table: table.name)
                }
            } catch {
                db.abortCopyIn("rehearse stopped the load")
                throw error
            }
            _ = try db.endCopyIn()
            try db.execute("COMMIT")
        } catch {
            pending.cancel()
            if db.isInTransaction { _ = try? db.execute("ROLLBACK") }
            guard let error = error as? PGError else { throw error }
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
            try Self.exec(db, "DROP TABLE IF EXISTS pg_temp.rehearse_deferred")
            try Self.exec(db, "CREATE TEMPORARY TABLE rehearse_deferred AS SELECT \((keys + cols).joined(separator: ", ")) FROM \(rel.qualified) WITH NO DATA")
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
    package static func encode(_ table: TablePlan, _ rows: Range<Int64>) -> [UInt8] {
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

    /// Sets every sequence a column owns or a column default calls past the
    /// values loaded (PostgresSequences), so the next insert does not collide.
    private func resetSequences(_ db: PGConnection, gap: Int64) throws {
        do { try PostgresSequences.reset(db, gap: gap) } catch {
            throw RehearseError.environment("Setting the sequences past the loaded values failed: \(error).")
        }
    }

    /// `SET name = …` of a parameter this server does not know (SQLSTATE
    /// 42704): pg_dump writes its own version's settings.
    package static func isUnknownSetting(_ error: PGError, _ sql: String) -> Bool {
        // Only an unknown parameter: `SET ROLE nobody` is 42704 too, and must fail.
        error.sqlstate == "42704" && error.message.hasPrefix("unrecognized configuration parameter")
            && SQLNormalizer.tokens(String(sql.prefix(80))).first == "set"
    }

    package static func exec(_ db: PGConnection, _ sql: String) throws {
        do { try db.execute(sql) } catch {
            throw RehearseError.environment("PostgreSQL refused `\(sql.prefix(120))` while loading the surrogate: \(error).")
        }
    }

    package static func catalog<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch {
            throw RehearseError.environment("Reading the PostgreSQL catalog failed: \(error).")
        }
    }

    package static let batchRows: Int64 = 4096

    package init(source: SurrogateSource, seed: UInt64, scale: Double, progress: ProgressHandler?, jobs: Int = ProcessInfo.processInfo.activeProcessorCount, provideRoles: (([String]) throws -> [String: String])? = nil) {
        self.source = source
        self.seed = seed
        self.scale = scale
        self.progress = progress
        self.jobs = jobs
        self.provideRoles = provideRoles
    }
}
