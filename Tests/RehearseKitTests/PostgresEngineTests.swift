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

@Suite(// Skipped where the PostgreSQL server is not installed (one line at the end of the run counts them).
       .enabled(if: PostgresServer.found(), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)")) struct PostgresEngineTests {
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
