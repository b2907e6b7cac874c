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

/// Walks on PostgreSQL (the shared test cluster, one database per step):
/// dbmate's transaction:false and CONCURRENTLY, the "cannot run inside a
/// transaction block" hint, Sqitch scripts that commit in the middle, and
/// slices of the real directories.
@Suite(.serialized,
       // Skipped where the PostgreSQL server is not installed (one line at the end of the run counts them).
       .enabled(if: PostgresServer.found(), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)")) struct MigrationPostgresTests {
    static let fixtures = Repo.root.appendingPathComponent("Tests/Fixtures/migrations")
    static let shared = Repo.root.deletingLastPathComponent().appendingPathComponent("shared/data/migrations")

    static func walk(_ directory: URL, in dir: TempDir, _ configure: (inout MigrationWalk.Options) -> Void = { _ in }) throws -> MigrationWalkResult {
        var options = MigrationWalk.Options()
        options.outputDirectory = dir.file("walk")
        options.scratchParent = dir.url
        options.engine = .postgres(.server(try TestPostgres.address))
        configure(&options)
        return try MigrationWalk(directory: directory, options: options).run()
    }

    @Test func dbmateFixtureRunsTransactionFalseOutsideATransactionAndHintsTheFix() throws {
        let dir = TempDir()
        let walk = try Self.walk(Self.fixtures.appendingPathComponent("dbmate"), in: dir)
        #expect(walk.steps.map(\.status) == ["PASS", "FAIL", "PASS", "FAIL", "FAIL"])
        #expect(walk.steps[2].notes.contains { $0.contains("transaction:false") })
        let create = walk.steps[4]
        #expect(create.detail.contains { $0.contains("20240101000005_enum.sql:4:1") && $0.contains("CREATE DATABASE cannot run inside a transaction block") })
        #expect(create.detail.contains { $0.hasPrefix("hint:") && $0.contains("transaction:false") })
        #expect(walk.steps[3].rebirth["outcome"] == "differs")
        #expect(try MigrationWalkValidator.validate(walk.walkFolder).findings.isEmpty)
    }

    @Test func sqitchFixtureOnPostgresRunsAScriptThatCommitsInTheMiddleStatementByStatement() throws {
        let dir = TempDir()
        let walk = try Self.walk(Self.fixtures.appendingPathComponent("sqitch"), in: dir)
        #expect(walk.steps.map(\.status) == ["PASS", "FAIL", "FAIL", "NOT_REHEARSABLE", "PASS", "PASS", "NOT_REHEARSABLE"])
        #expect(walk.steps[4].notes.contains { $0.contains("statement by statement") })
        #expect(walk.steps[2].detail.contains { $0.contains("verify failed at verify/items_name_index.sql:3") && $0.contains("label") })
    }

    @Test func suffixedFixtureOnPostgresPicksThePostgresAndAutocommitFiles() throws {
        let dir = TempDir()
        let walk = try Self.walk(Self.fixtures.appendingPathComponent("suffixed"), in: dir)
        #expect(walk.steps.map(\.status) == ["PASS", "FAIL", "PASS", "IRREVERSIBLE"])
        #expect(walk.steps[0].files.first == "20240101000001000000_items.postgres.up.sql")
        #expect(walk.steps[2].files.allSatisfy { $0.contains(".postgres.autocommit.") })
    }

    /// The first steps of real projects: the schema before each is what the
    /// earlier ups built, dumped; the walk carries on after each.
    @Test func realGolangMigrateOpenmeterInitPasses() throws {
        let dir = TempDir()
        let walk = try Self.walk(Self.shared.appendingPathComponent("golang-migrate-openmeter"), in: dir) { $0.to = "20240826120919" }
        #expect(walk.layout == .golangMigrate)
        #expect(walk.steps.map(\.status) == ["PASS"], "\(walk.steps.map(\.detail))")
        #expect(try MigrationWalkValidator.validate(walk.walkFolder).findings.isEmpty)
    }

    @Test func realSqitchCasCifFirstChangesPassWithTheirVerifyScripts() throws {
        let dir = TempDir()
        let walk = try Self.walk(Self.shared.appendingPathComponent("sqitch-cas-cif"), in: dir) { $0.to = "5"; $0.postgresSuperuser = true }
        // create_roles makes cluster-wide roles: whether its revert restores them is the fingerprint's call.
        #expect(walk.steps.dropFirst().map(\.status) == ["PASS", "PASS", "PASS", "PASS"], "\(walk.steps.map(\.detail))")
        #expect(walk.steps.dropFirst().allSatisfy { $0.verify["failed"]?.arrayValue?.isEmpty == true })
        // A reworked change's first instance runs the script named for the tag before its rework.
        #expect(walk.steps[3].files.first == "deploy/util_functions/verify_function_not_present@1.0.0-rc.4.sql")
    }

    @Test func realDbmateMeasureFirstStepsPassWithItsPrelude() throws {
        let dir = TempDir()
        dir.write("prelude.sql", "CREATE SCHEMA IF NOT EXISTS measure;\nDO $$ BEGIN EXECUTE format($f$ALTER DATABASE %I SET search_path TO measure, public$f$, current_database()); END $$;\n")
        dir.write("profile.yaml", "default_rows: 20\ntables:\n  measure.roles:\n    rows: 1\n")
        let walk = try Self.walk(Self.shared.appendingPathComponent("dbmate-measure"), in: dir) {
            $0.to = "20240830080137"
            $0.prelude = dir.file("prelude.sql")
            $0.profile = dir.file("profile.yaml")
        }
        #expect(walk.steps.map(\.status) == ["PASS", "PASS"], "\(walk.steps.map(\.detail))")
        // The walk of a real directory validates: its steps derive from its sealed files.
        let check = try MigrationWalkValidator.validate(walk.walkFolder)
        #expect(check.findings.isEmpty, "\(check.findings)")
        #expect(check.exitStatus == 0)
        // --replay: the history rebuilt (prelude again on PostgreSQL), each step, re-birth and verify run again.
        let replay = try MigrationWalkValidator.checkSteps(walk.walkFolder, reproduce: false, replay: true, postgres: .ephemeral())
        #expect(replay.isEmpty, "\(replay)")
        let index = try JSONValue.parseStrict(Array(Data(contentsOf: walk.walkFolder.appendingPathComponent(MigrationWalk.indexFile))))
        #expect(index["prelude"]?["file"] == "prelude.sql")
        // The prelude is part of every step's sealed schema.
        let schema = try String(contentsOf: walk.walkFolder.appendingPathComponent(try #require(walk.steps[1].runFolder)).appendingPathComponent("inputs/schema.sql"), encoding: .utf8)
        #expect(schema.contains("ALTER DATABASE %I SET search_path"))
        #expect(schema.contains("CREATE TABLE measure.roles"))
    }

    @Test func realFlywayCowprotocolWithoutUndoFilesIsReportedIrreversibleNotPassed() throws {
        let dir = TempDir()
        let walk = try Self.walk(Self.shared.appendingPathComponent("flyway-cowprotocol-services"), in: dir) { $0.to = "010" }
        #expect(walk.steps.map(\.status) == Array(repeating: "IRREVERSIBLE", count: 9) + ["SKIPPED"])
        // What the walk can say of ups with no undo: they apply, in order.
        #expect(walk.notes.contains { $0.hasPrefix("history: every up up to 010 applied in order on postgres") })
        #expect(walk.exitStatus == 6)
    }
}
