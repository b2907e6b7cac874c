import Foundation
import Testing
@testable import RehearseCore
@testable import RehearseEngine
@testable import RehearseEvidence
@testable import RehearseKit
@testable import RehearsePostgres
@testable import RehearseSQLite
@testable import RehearseSurrogate
@testable import RehearseValidator

@Suite struct PostgresEngineTests {
    @Test func commercePassesOnAnEphemeralClusterAndLeavesNothingBehind() throws {
        let dir = TempDir()
        var options = Rehearsal.Options()
        options.scale = 0.2
        options.outputDirectory = dir.file("run")
        options.scratchParent = dir.url
        options.engine = .postgres(.ephemeral())
        let result = try Rehearsal(source: SurrogateSource(directory: Repo.surrogate("commerce")), options: options).run()
        #expect(result.record.verdict == .pass, "\(String(describing: result.record.drift)) \(String(describing: result.record.failure))")
        #expect(result.validation.isValid, "\(result.validation.findings)")
        #expect(result.record.engine.name == "postgres")
        let target = try #require(result.evidence["predicate"]?["target"])
        #expect(target["kind"] == "postgres-ephemeral-cluster")
        #expect(target["network"] == "none")
        #expect(target["listen_addresses"] == "")
        #expect(target["settings"]?["fsync"] == "off")
        // The birth surface as PostgreSQL observed it.
        let observed = try #require(result.evidence["predicate"]?["observed"]?["birth"])
        #expect(observed["rows"]?["customer_phones"]?["inserted"]?.integerValue ?? 0 > 0)
        #expect(observed["locks"]?["customers"] == "AccessExclusiveLock")
        #expect(try Seal.verify(directory: result.runDirectory).isEmpty)
        // No cluster directory and no server process survive the run.
        #expect(dir.leftovers("rehearse-pg-").isEmpty)
        #expect(postmasters(under: dir.url).isEmpty)
    }

    @Test func lossyRollbackFailsWithDriftNarrowedToColumnRowsAndKeyRange() throws {
        let dir = TempDir()
        let result = try rehearsePostgres(Repo.surrogate("lossy-rollback"), in: dir, scale: 0.2)
        #expect(result.record.verdict == .fail)
        #expect(result.validation.isValid, "\(result.validation.findings)")
        let drift = try #require(result.record.drift)
        #expect(drift.schema.isEmpty, "\(drift.schema)")
        #expect(drift.data.map(\.table) == ["customers"])
        // Count the phones left(…, 12) cuts, independently, on SQLite.
        let db = try generated("commerce", in: dir, scale: 0.2)
        let expected = try db.int("SELECT count(*) FROM customers WHERE length(phone) > 12")
        #expect(expected > 0)
        #expect(drift.data[0].changed == expected)
        #expect(drift.data[0].columns == ["phone": expected])
        #expect(drift.data[0].added == 0 && drift.data[0].removed == 0)
        #expect(drift.data[0].sampleKeys.count == 5)
        #expect(drift.data[0].note?.hasPrefix("differing rows span id ") == true)
    }

    @Test func sameSpecAndSeedGiveTheSameRowsAsSQLite() throws {
        let dir = TempDir()
        let (name, drop) = try TestPostgres.database()
        defer { drop() }
        let db = try TestPostgres.connect(name)
        var loader = PostgresSurrogateLoader(source: try SurrogateSource(directory: Repo.surrogate("commerce")), seed: 9, scale: 0.1, progress: nil)
        loader.jobs = 2
        let load = try loader.load(connect: { try TestPostgres.connect(name) })
        let lite = try generated("commerce", in: dir, seed: 9, scale: 0.1)
        for (table, rows) in load.rowsPerTable {
            #expect(try lite.int("SELECT count(*) FROM \(table)") == rows)
        }
        let pgEmails = try db.rows("SELECT id::text || ' ' || email || ' ' || coalesce(phone, 'NULL') || ' ' || tier FROM customers ORDER BY id").map { $0[0]! }
        let liteEmails = try lite.rows("SELECT id || ' ' || email || ' ' || coalesce(phone, 'NULL') || ' ' || tier FROM customers ORDER BY id").map { $0[0].textValue! }
        #expect(pgEmails == liteEmails)
        let pgTotals = try db.rows("SELECT sum(total_cents)::text, count(shipped_at)::text FROM orders")[0]
        let liteTotals = try lite.rows("SELECT sum(total_cents), count(shipped_at) FROM orders")[0]
        #expect(pgTotals == [liteTotals[0].description, liteTotals[1].description])
        // Keys, foreign keys and indexes were created after the data.
        #expect(try db.scalar("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conrelid = 'orders'::regclass") == "2")
        #expect(try db.scalar("SELECT count(*) FROM pg_indexes WHERE indexname = 'idx_orders_customer_placed'") == "1")
    }

    @Test func fingerprintsAreTheSameForAnyThreadCount() throws {
        let dir = TempDir()
        let a = try rehearsePostgres(Repo.surrogate("commerce"), in: dir, seed: 4, scale: 0.1, jobs: 1)
        let b = try rehearsePostgres(Repo.surrogate("commerce"), in: dir, seed: 4, scale: 0.1, jobs: 3)
        let c = try rehearsePostgres(Repo.surrogate("commerce"), in: dir, seed: 5, scale: 0.1, jobs: 2)
        #expect(a.record.pre == b.record.pre)
        #expect(a.evidence["predicate"]?["fingerprints"]?["pre"] == b.evidence["predicate"]?["fingerprints"]?["pre"])
        #expect(a.record.pre?.dataDigest != c.record.pre?.dataDigest)
        #expect(a.record.pre?.schemaDigest == c.record.pre?.schemaDigest)
    }

    @Test func birthErrorNamesFileLineColumnAndSQLSTATE() throws {
        let dir = TempDir()
        let url = Repo.copy("commerce", into: dir)
        try replace("birth.sql", in: url, with: "-- broken\nCREATE TABLE ok (id integer PRIMARY KEY);\n\nALTER TABLE customers DROPP COLUMN phone;\n")
        let result = try rehearsePostgres(url, in: dir, scale: 0.05)
        #expect(result.record.verdict == .fail)
        #expect(result.validation.isValid)
        let failure = try #require(result.record.failure)
        #expect(failure.phase == .birth)
        #expect(failure.message.hasPrefix("birth.sql:4:23: PostgreSQL error syntax error at or near \"DROPP\" (SQLSTATE 42601)"), "\(failure.message)")
        // The transaction was rolled back: the first statement left nothing.
        #expect(result.record.phases.first { $0.phase == .rollback }?.outcome == .skipped)
    }

    @Test func concurrentIndexNeedsTheNonTransactionalMode() throws {
        let dir = TempDir()
        let url = Repo.copy("commerce", into: dir)
        try replace("birth.sql", in: url, with: "CREATE INDEX CONCURRENTLY idx_orders_status ON orders (status);\n")
        try replace("rollback.sql", in: url, with: "DROP INDEX CONCURRENTLY idx_orders_status;\n")
        
        let manifest = url.appendingPathComponent("manifest.yaml")
        var text = try String(contentsOf: manifest, encoding: .utf8)
        text = text.components(separatedBy: "\n").filter { !$0.contains("after_") && !$0.hasPrefix("checks:") }.joined(separator: "\n")
        try text.write(to: manifest, atomically: true, encoding: .utf8)

        let inTransaction = try rehearsePostgres(url, in: dir, scale: 0.05)
        #expect(inTransaction.record.verdict == .fail)
        #expect(inTransaction.record.failure?.message.contains("SQLSTATE 25001") == true, "\(String(describing: inTransaction.record.failure))")
        #expect(inTransaction.record.failure?.message.hasPrefix("birth.sql:1:") == true)

        try (text + "\ntransactional: false\n").write(to: manifest, atomically: true, encoding: .utf8)
        let alone = try rehearsePostgres(url, in: dir, scale: 0.05)
        #expect(alone.record.verdict == .pass, "\(String(describing: alone.record.failure))")
        #expect(alone.evidence["predicate"]?["observed"]?["birth"]?["transactional"] == .bool(false))
        #expect(alone.record.birthSurface?.schema.contains { $0.kind == "index" && $0.name == "idx_orders_status" && $0.change == .added } == true)
    }

    @Test func checksCannotWrite() throws {
        let dir = TempDir()
        let url = Repo.copy("commerce", into: dir)
        try replace("after-birth.sql", in: url, with: "-- check: sneaky\nDELETE FROM orders RETURNING 1;\n\n-- check: honest\nSELECT count(*) > 0 FROM orders;\n")
        let result = try rehearsePostgres(url, in: dir, scale: 0.05)
        let checks = result.record.checksAfterBirth
        #expect(checks.count == 2)
        #expect(checks[0].passed == false)
        #expect(checks[0].returned.contains("read-only transaction"), "\(checks[0].returned)")
        #expect(checks[1].passed)
        // Nothing was deleted: the rollback restores everything.
        #expect(result.record.drift?.isEmpty == true)
    }

    @Test func tableRewriteAndStrongestLockAreObserved() throws {
        let dir = TempDir()
        let url = Repo.copy("commerce", into: dir)
        try replace("birth.sql", in: url, with: "ALTER TABLE payments ALTER COLUMN amount_cents TYPE bigint;\nUPDATE products SET price_cents = price_cents + 1 WHERE id <= 3;\n")
        try replace("rollback.sql", in: url, with: "ALTER TABLE payments ALTER COLUMN amount_cents TYPE integer;\nUPDATE products SET price_cents = price_cents - 1 WHERE id <= 3;\n")
        let manifest = url.appendingPathComponent("manifest.yaml")
        let text = try String(contentsOf: manifest, encoding: .utf8).components(separatedBy: "\n").filter { !$0.contains("after_") && !$0.hasPrefix("checks:") }
        try text.joined(separator: "\n").write(to: manifest, atomically: true, encoding: .utf8)
        let result = try rehearsePostgres(url, in: dir, scale: 0.05)
        #expect(result.record.verdict == .pass, "\(result.record.failure?.message ?? "")")
        let birth = try #require(result.record.birthObserved)
        #expect(birth["rewritten"] == ["payments"])
        #expect(birth["locks"]?["payments"] == "AccessExclusiveLock")
        #expect(birth["locks"]?["products"] == "RowExclusiveLock")
        #expect(birth["rows"]?["products"]?["updated"] == .integer(3))
        #expect(result.record.birthStatements.map(\.rowsChanged) == [0, 3])
        // The rewrite back is seen too; the data and schema are as before.
        #expect(result.record.rollbackObserved?["rewritten"] == ["payments"])
    }

    @Test func independentReproductionRegeneratesAPostgresRun() throws {
        let dir = TempDir()
        let result = try rehearsePostgres(Repo.surrogate("commerce"), in: dir, scale: 0.05)
        #expect(result.record.verdict == .pass)
        let findings = try Reproduction.check(runDirectory: result.runDirectory, scratchParent: dir.url)
        #expect(findings.isEmpty, "\(findings)")
        #expect(dir.leftovers("rehearse-pg-").isEmpty)
    }
}

/// Serialized: one test corrupts the shared data-directory cache on purpose.
@Suite(.serialized) struct PostgresClusterTests {
    @Test func aClusterLeftByAKilledRunIsRemovedByTheNextAndAKeptOneStays() throws {
        let dir = TempDir()
        let orphan = try PostgresCluster.start(parent: dir.url)
        // The first cluster left a cached data directory; later ones copy it.
        let template = try #require(PostgresCluster.templateDirectory(bindir: orphan.bindir, runAs: orphan.runAs))
        #expect(FileManager.default.fileExists(atPath: template.appendingPathComponent("data/PG_VERSION").path))
        #expect(FileManager.default.fileExists(atPath: template.appendingPathComponent(PostgresCluster.completeMark).path))
        let kept = try PostgresCluster.start(parent: dir.url)
        kept.remove(keep: true)
        #expect(postmasters(under: dir.url).count == 1)
        // Pretend the owner died: a pid that has exited.
        let child = try ChildProcess.run("/bin/true", [], environment: [:], output: dir.file("true.out"))
        #expect(child.status == 0)
        try "pid=999999 start=1 kept=0\n".write(to: orphan.directory.appendingPathComponent(PostgresCluster.ownerFile), atomically: true, encoding: .utf8)
        let removed = PostgresCluster.cleanStale(in: dir.url)
        #expect(removed.map(\.lastPathComponent) == [orphan.directory.lastPathComponent])
        #expect(postmasters(under: dir.url).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: orphan.directory.path))
        #expect(FileManager.default.fileExists(atPath: kept.directory.appendingPathComponent("data/PG_VERSION").path))
        // A live owner's cluster is never touched.
        let live = try PostgresCluster.start(parent: dir.url)
        #expect(PostgresCluster.cleanStale(in: dir.url).isEmpty)
        live.remove(keep: false)
        orphan.remove(keep: false)
        #expect(postmasters(under: dir.url).isEmpty)
    }

    @Test func aBrokenCachedDataDirectoryIsReplacedByAFreshInitdb() throws {
        let dir = TempDir()
        let first = try PostgresCluster.start(parent: dir.url)
        let template = try #require(PostgresCluster.templateDirectory(bindir: first.bindir, runAs: first.runAs))
        first.remove(keep: false)
        let conf = template.appendingPathComponent("data/postgresql.conf")
        let handle = try FileHandle(forWritingTo: conf)
        handle.seekToEndOfFile()
        handle.write(Data("this is not a setting\n".utf8))
        try handle.close()
        let second = try PostgresCluster.start(parent: dir.url)
        let db = try PGConnection(second.connectionParameters(database: "postgres"))
        #expect(try db.scalar("SELECT 1") == "1")
        // The broken cache was dropped (a fresh one may already stand in its place).
        #expect((try? String(contentsOf: conf, encoding: .utf8))?.contains("this is not a setting") != true)
        second.remove(keep: false)
        #expect(dir.leftovers("rehearse-pg-").isEmpty)
    }

    @Test func theServerListensOnNoTCPAddress() throws {
        let db = try TestPostgres.connect()
        #expect(try db.scalar("SHOW listen_addresses") == "")
        #expect(try db.scalar("SELECT inet_server_addr()::text") == nil)
        #expect(try db.scalar("SHOW unix_socket_directories") == (try TestPostgres.cluster.socketDirectory.path))
    }
}

@Suite struct PostgresScriptTests {
    @Test func parenthesesAndColumnNamesDoNotSplitOrSwallow() {
        let statements = PostgresScript.statements(of: """
            CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2));
            SELECT begin, atomic FROM odd;
            SELECT 3;
            \\restrict abc123
            SELECT 4;
            """)
        #expect(statements.map(\.sql) == ["CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2))",
                                           "SELECT begin, atomic FROM odd", "SELECT 3", "\\restrict abc123", "SELECT 4"])
    }

    @Test func statementsSplitOnlyOnTopLevelSemicolons() {
        let text = """
            -- lead
            CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$;
            SELECT 'a;b', "x;y", E'it\\'s;', $tag$ ; $$ ; $tag$;
            /* block ; /* nested ; */ still ; */ SELECT 2;
            CREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;
            SELECT $1
            """
        let statements = PostgresScript.statements(of: text)
        #expect(statements.count == 5, "\(statements.map(\.sql))")
        #expect(statements[0].leadingComments == ["lead"])
        #expect(statements[0].sql.hasSuffix("END $$"))
        #expect(statements[1].sql == "SELECT 'a;b', \"x;y\", E'it\\'s;', $tag$ ; $$ ; $tag$")
        #expect(statements[2].sql == "SELECT 2")
        #expect(statements[3].sql.hasSuffix("SELECT 2; END"))
        #expect(statements[4].sql == "SELECT $1")
    }

    @Test func serverPositionMapsToFileLineAndColumn() {
        let script = SQLScript(displayPath: "b.sql", url: URL(fileURLWithPath: "/b.sql"), text: "SELECT 1;\n\nSELECT 'é', nope FROM x;\n", sha256: "")
        let statement = PostgresScript.statements(script)[1]
        // PostgreSQL counts characters: "nope" starts at character 13.
        let failure = PostgresScript.failure(PGError(sqlstate: "42703", message: "column \"nope\" does not exist", position: 13), statement: statement, in: script)
        #expect(failure.line == 3)
        #expect(failure.column == 13)
    }

    @Test func copyTextEscapesWhatCOPYReadsSpecially() {
        var out: [UInt8] = []
        for v: DatabaseValue in [.null, .integer(-42), .real(0.1), .text("a\tb\\c\nd"), .blob([0, 255])] {
            if !out.isEmpty { out.append(0x09) }
            PostgresCopyText.append(v, to: &out)
        }
        #expect(String(decoding: out, as: UTF8.self) == "\\N\t-42\t0.1\ta\\tb\\\\c\\nd\t\\\\x00ff")
    }
}

@Suite struct PostgresServerAddressTests {
    @Test(arguments: ["host=/var/run/postgresql", "postgresql:///postgres", "postgresql://localhost/db", "host=127.0.0.1 port=5433",
                      "postgresql://[::1]:5432/x", "hostaddr=127.8.9.1", "host=/tmp,localhost"])
    func socketsAndLoopbackAreAccepted(_ url: String) throws {
        let address = try PostgresServerAddress(parsing: url)
        if url.contains("localhost") { #expect(address.parameters["hostaddr"]?.contains("127.0.0.1") == true) }
        #expect(address.network == ((url.contains("/var/run") || url == "postgresql:///postgres") ? "none" : "loopback"))
    }

    @Test(arguments: ["host=db.example.com", "postgresql://10.0.0.5/app", "host=/tmp,prod.internal", "hostaddr=192.168.1.2",
                      "postgresql://[2001:db8::1]/x", "host=localhost hostaddr=10.1.1.1", "service=prod",
                      "hostaddr=,10.0.0.5 dbname=postgres", "postgresql:///postgres?hostaddr=%2C10.0.0.5", "host=/tmp,/tmp hostaddr=127.0.0.1"])
    func otherHostsAndServicesAreRefusedWithExit3(_ url: String) {
        do {
            _ = try PostgresServerAddress(parsing: url)
            Issue.record("accepted \(url)")
        } catch let error as RehearseError {
            #expect(error.code == .refused)
            #expect(error.code.exitStatus == 3)
            #expect(error.message.contains("not this machine") || error.message.contains("service") || error.message.contains("hostaddr value"), "\(error.message)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func environmentCannotRedirectAConnection() throws {
        let cluster = try TestPostgres.cluster
        // PGHOST names the test cluster's socket. A connection that names no
        // host would reach it if libpq read PGHOST. The library, called
        // directly (no CLI scrubbed anything), refuses to connect while such
        // a variable is set, and changes nothing in the environment. The
        // hostile environment is handed in, not set: the process's own is
        // shared with the tests running beside this one.
        let hostile = ["PGHOST": cluster.socketDirectory.path, "PGUSER": PostgresCluster.superuser,
                       "PGSERVICE": "prod", "PGSSLMODE": "disable", "PGOPTIONS": "-c default_transaction_read_only=on"]
        let parameters = ["port": String(PostgresCluster.port), "dbname": "postgres", "connect_timeout": "2"]
        do {
            _ = try PGConnection(parameters, environment: hostile)
            Issue.record("connected with PGHOST set")
        } catch let error as RehearseError {
            #expect(error.code == .refused)
            #expect(error.message.contains("PGHOST, PGOPTIONS, PGSERVICE, PGSSLMODE, PGUSER"), "\(error.message)")
        }
        for (key, value) in hostile {
            #expect(throws: RehearseError.self) { try PGConnection.refuseEnvironment([key: value, "HOME": "/root"]) }
        }
        try PGConnection.refuseEnvironment(["HOME": "/root", "PATH": "/usr/bin", "XPGHOST": "x"])
        #expect(getenv("PGHOST") == nil && getenv("PGUSER") == nil)
        // Without them, a connection that names no host looks in libpq's
        // default socket directory, where this cluster is not.
        #expect(throws: PGError.self) {
            _ = try PGConnection(parameters)
        }
    }
}

@Suite struct PostgresProfileTests {
    @Test func profileFromPostgresHoldsShapesAndNoValues() throws {
        let dir = TempDir()
        let (name, drop) = try TestPostgres.database()
        defer { drop() }
        let loader = PostgresSurrogateLoader(source: try SurrogateSource(directory: Repo.surrogate("commerce")), seed: 2, scale: 0.1, progress: nil)
        let load = try loader.load(connect: { try TestPostgres.connect(name) })
        let server = try PostgresServerAddress(parsing: try TestPostgres.url.replacingOccurrences(of: "dbname=postgres", with: "dbname=\(name)"))
        let tables = try PostgresProfiler.learn(server: server)
        #expect(Set(tables.map(\.name)) == Set(load.rowsPerTable.keys))
        for t in tables { #expect(t.rows == load.rowsPerTable[t.name]) }
        let customers = try #require(tables.first { $0.name == "customers" })
        let phone = try #require(customers.columns.first { $0.name == "phone" })
        #expect(abs(phone.nullFraction - 0.25) < 0.02)
        let orders = try #require(tables.first { $0.name == "orders" })
        #expect(orders.fanOuts.contains { $0.parent == "customers" && $0.columns == ["customer_id"] })
        let total = try #require(orders.columns.first { $0.name == "total_cents" }?.range)
        // Rounded out to powers of ten, never the values themselves.
        let db0 = try TestPostgres.connect(name)
        let lowest = Int64(try db0.scalar("SELECT min(total_cents) FROM orders") ?? "0") ?? 0
        #expect(total.high == 1_000_000)
        #expect(total.low <= lowest && (total.low == 0 || [1, 10, 100, 1000, 10000, 100000].contains(total.low)))
        // No text value of the database appears in the profile.
        let yaml = LearnedProfile.yaml(tables, source: name)
        let db = try TestPostgres.connect(name)
        let values = try db.rows("SELECT email FROM customers UNION ALL SELECT full_name FROM customers UNION ALL SELECT street FROM addresses UNION ALL SELECT reference FROM payments").compactMap { $0[0] }
        #expect(values.count > 500)
        for v in values where v.count >= 4 { #expect(!yaml.contains(v), "profile leaks \(v)") }
    }
}

/// The validator's rules on PostgreSQL evidence, from a real run forged the
/// way ValidatorTests forges SQLite evidence (edit, then reseal).
@Suite struct PostgresEvidenceTests {
    func forgeTarget(_ run: URL, _ change: (inout [String: JSONValue]) -> Void) throws {
        let url = run.appendingPathComponent("evidence.json")
        guard case .object(var statement) = try JSONValue.parseStrict([UInt8](Data(contentsOf: url))),
              case .object(var predicate) = statement["predicate"]!, case .object(var target) = predicate["target"]! else {
            Issue.record("unexpected evidence"); return
        }
        change(&target)
        predicate["target"] = .object(target)
        statement["predicate"] = .object(predicate)
        try Data(JSONValue.object(statement).canonicalBytes).write(to: url)
        try Seal.write(directory: run)
    }

    func rules(_ run: URL) throws -> Set<String> {
        Set(try Validator().validate(runDirectory: run).findings.map(\.rule))
    }

    @Test func postgresEvidenceValidatesAndItsTagDigestIsRecomputed() throws {
        let dir = TempDir()
        let result = try rehearsePostgres(Repo.surrogate("commerce"), in: dir, scale: 0.02)
        #expect(try rules(result.runDirectory).isEmpty)
        // The provenance digest R6 recomputes is the PostgreSQL form.
        let table = result.record.pre?.tables[SurrogateTag.provenanceTable]
        let rows = SurrogateProvenance.rows(specDigest: result.record.load!.specDigest, seed: String(result.record.seed),
                                            scale: describeScale(result.record.scale), generator: SurrogatePlan.generatorVersion, name: "commerce")
        #expect(table == SurrogateProvenance.expectedFingerprint(engine: "postgres", rows))
        #expect(table != SurrogateProvenance.expectedFingerprint(engine: "sqlite", rows))
    }

    @Test func loopbackIsAcceptedOnlyForANamedServer() throws {
        let dir = TempDir()
        let run = try rehearsePostgres(Repo.surrogate("commerce"), in: dir, scale: 0.02).runDirectory
        // The network must say what the server reported (R7): over a Unix
        // socket (server_address null) it is "none".
        try forgeTarget(run) { $0["network"] = "loopback" }
        #expect(try rules(run) == ["R7-isolation"], "a socket recorded as loopback")
        try forgeTarget(run) {
            $0["network"] = "loopback"; $0["host"] = "127.0.0.1"; $0["server_address"] = "127.0.0.1"
            $0["socket_directory"] = nil; $0["address"] = "127.0.0.1"
        }
        #expect(try rules(run).isEmpty, "a postgres-server on loopback is allowed")
        // The network claimed must agree with the address the server reported.
        try forgeTarget(run) { $0["network"] = "loopback"; $0["server_address"] = .null }
        #expect(try rules(run) == ["R7-isolation"])
        try forgeTarget(run) { $0["network"] = "none"; $0["server_address"] = "10.0.0.5" }
        #expect(try rules(run) == ["R7-isolation"])
        try forgeTarget(run) { $0["network"] = "loopback"; $0["server_address"] = "10.0.0.5" }
        #expect(try rules(run) == ["R7-isolation"])
        try forgeTarget(run) { $0["network"] = "loopback"; $0["server_address"] = "127.0.0.1" }
        try forgeTarget(run) { $0["network"] = "tcp" }
        #expect(try rules(run) == ["R7-isolation"])
        try forgeTarget(run) { $0["network"] = "loopback"; $0["kind"] = "sqlite-file"; $0["private_temporary_directory"] = .bool(true) }
        #expect(try rules(run) == ["R7-isolation"])
        // What libpq reported must be loopback and a port too.
        try forgeTarget(run) { $0["kind"] = "postgres-server"; $0["private_temporary_directory"] = nil; $0["network"] = "loopback"; $0["address"] = "127.0.0.1" }
        #expect(try rules(run).isEmpty)
        try forgeTarget(run) { $0["address"] = "10.0.0.5" }
        let address = try Validator().validate(runDirectory: run)
        #expect(address.findings.map(\.path) == ["$.predicate.target.address"])
        #expect(address.findings.first?.message.contains("not a literal loopback address") == true)
        try forgeTarget(run) { $0["address"] = "127.0.0.1"; $0["port"] = "99999" }
        let port = try Validator().validate(runDirectory: run)
        #expect(port.findings.map(\.path) == ["$.predicate.target.port"])
        #expect(port.findings.first?.message.contains("is not a port number") == true)
    }

    @Test func anEphemeralClusterMustListenOnNoTCPAddress() throws {
        let dir = TempDir()
        let run = try rehearsePostgres(Repo.surrogate("commerce"), in: dir, scale: 0.02).runDirectory
        try forgeTarget(run) {
            $0["kind"] = "postgres-ephemeral-cluster"; $0["listen_addresses"] = ""
            $0["private_temporary_directory"] = .bool(true); $0["host"] = nil; $0["database"] = "rehearse_scratch"  // the fields a cluster records
        }
        #expect(try rules(run).isEmpty)
        try forgeTarget(run) { $0["listen_addresses"] = "*" }
        let report = try Validator().validate(runDirectory: run)
        #expect(report.findings.map(\.rule) == ["R7-isolation"])
        #expect(report.findings.first?.path == "$.predicate.target.listen_addresses")
    }
}


@Suite struct PostgresSchemaTests {
    /// A schema written by `pg_dump --schema-only --no-owner --no-privileges`
    /// (empty search_path, qualified names, constraints as ALTER TABLE ONLY,
    /// \restrict lines from newer pg_dump) loads and rehearses.
    @Test func aPgDumpSchemaLoadsAndRehearses() throws {
        let dir = TempDir()
        let (name, drop) = try TestPostgres.database()
        defer { drop() }
        let loader = PostgresSurrogateLoader(source: try SurrogateSource(directory: Repo.surrogate("commerce")), seed: 1, scale: 0.02, progress: nil)
        _ = try loader.load(connect: { try TestPostgres.connect(name) })
        try TestPostgres.connect(name).execute("DROP TABLE rehearse_provenance")
        let cluster = try TestPostgres.cluster
        let out = dir.file("dump.sql")
        let dumped = try ChildProcess.run(cluster.bindir.appendingPathComponent("pg_dump").path,
                                          ["--schema-only", "--no-owner", "--no-privileges", "-h", cluster.socketDirectory.path,
                                           "-p", String(PostgresCluster.port), "-U", PostgresCluster.superuser, "-f", out.path, name],
                                          environment: [:], output: dir.file("pg_dump.out"))
        #expect(dumped.status == 0, "\(dumped.output)")
        var schema = try String(contentsOf: out, encoding: .utf8)
        #expect(schema.contains("set_config('search_path', '', false)"))
        schema = "\\restrict 0123abcd\n" + schema + "\n\\unrestrict 0123abcd\n"
        let url = Repo.copy("commerce", into: dir)
        try replace("schema.sql", in: url, with: schema)
        let result = try rehearsePostgres(url, in: dir, scale: 0.05)
        #expect(result.record.failure == nil, "\(result.record.failure?.message ?? "")")
        #expect(result.record.verdict == .pass, "\(String(describing: result.record.drift))")
        #expect(result.record.pre?.tables[SurrogateTag.provenanceTable]?.rows == 6)
    }

    @Test func anotherPsqlMetaCommandIsRefusedWithItsLine() throws {
        let dir = TempDir()
        let url = Repo.copy("commerce", into: dir)
        try replace("schema.sql", in: url, with: "CREATE TABLE t (id integer PRIMARY KEY);\n\\connect other\n")
        #expect {
            _ = try rehearsePostgres(url, in: dir, scale: 0.05)
        } throws: { error in
            guard let e = error as? RehearseError else { return false }
            return e.code == .badInput && e.message == "schema.sql:2: \\connect is a psql meta-command, not SQL. Remove it from the schema file."
        }
    }

    @Test func generateRefusesADatabaseThatHasTables() throws {
        let (name, drop) = try TestPostgres.database()
        defer { drop() }
        try TestPostgres.connect(name).execute("CREATE TABLE precious (id integer)")
        let server = try PostgresServerAddress(parsing: try TestPostgres.url.replacingOccurrences(of: "dbname=postgres", with: "dbname=\(name)"))
        #expect {
            _ = try SurrogateGenerator.generate(try SurrogateSource(directory: Repo.surrogate("commerce")), scale: 0.01, into: server)
        } throws: { error in
            guard let e = error as? RehearseError else { return false }
            return e.code == .badInput && e.message.hasPrefix("Database \(name) already holds tables or views.")
        }
        #expect(try TestPostgres.connect(name).scalar("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == "1")
    }

    @Test func aScratchDatabaseLeftByAKilledRunIsDroppedByTheNext() throws {
        let admin = try TestPostgres.connect()
        let stale = "rehearse_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        try admin.execute("CREATE DATABASE \(stale)")
        try admin.execute("COMMENT ON DATABASE \(stale) IS 'rehearse scratch database: host=\(ProcessInfo.processInfo.hostName) pid=999999 start=1'")
        let live = "rehearse_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        try admin.execute("CREATE DATABASE \(live)")
        try admin.execute("COMMENT ON DATABASE \(live) IS \(PGConnection.quoteLiteral(PostgresScratch.ownerComment))")
        defer { _ = try? admin.execute("DROP DATABASE IF EXISTS \(live)") }
        let scratch = try PostgresScratch(target: .server(try TestPostgres.address), keep: false)
        defer { scratch.tearDown(keep: false) }
        #expect(try admin.scalar("SELECT count(*) FROM pg_database WHERE datname = '\(stale)'") == "0")
        #expect(try admin.scalar("SELECT count(*) FROM pg_database WHERE datname = '\(live)'") == "1")
    }
}


@Suite struct PostgresFingerprintTests {
    func fingerprint(_ database: String) throws -> Fingerprint {
        try PostgresFingerprinter(connect: { try TestPostgres.connect(database) }, jobs: 2).fingerprint()
    }

    @Test func negativeZeroEqualsZeroButAnyOtherChangeCounts() throws {
        let (name, drop) = try TestPostgres.database()
        defer { drop() }
        let db = try TestPostgres.connect(name)
        try db.execute("CREATE TABLE m (id integer PRIMARY KEY, x double precision, y real, n numeric, t text)")
        try db.execute("CREATE TABLE bag (x double precision)")
        try db.execute("INSERT INTO m VALUES (1, 0, 0, 1.0, 'a'), (2, 2.5, 1.5, 2, NULL); INSERT INTO bag VALUES (0), (0), (1)")
        let before = try fingerprint(name)
        try db.execute("UPDATE m SET x = '-0', y = '-0' WHERE id = 1; UPDATE bag SET x = '-0' WHERE x = 0")
        #expect(try fingerprint(name) == before, "-0 and 0 are equal under PostgreSQL's float equality")
        try db.execute("UPDATE m SET n = 1.00 WHERE id = 1")
        #expect(try fingerprint(name).tables["m"] != before.tables["m"], "numeric display scale is what the database returns")
        try db.execute("UPDATE m SET n = 1.0 WHERE id = 1; UPDATE m SET t = '' WHERE id = 2")
        #expect(try fingerprint(name).tables["m"] != before.tables["m"], "NULL is not ''")
        try db.execute("UPDATE m SET t = NULL WHERE id = 2; INSERT INTO bag VALUES (1)")
        let after = try fingerprint(name)
        #expect(after.tables["m"] == before.tables["m"])
        #expect(after.tables["bag"] != before.tables["bag"], "a duplicated row counts in a table without a key")
        #expect(after.tables["bag"]?.rows == 4)
    }
}
