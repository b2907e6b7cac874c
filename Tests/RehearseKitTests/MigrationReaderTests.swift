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

/// Layout detection and each reader's rules, on the fixtures and on
/// directories written in the test: ordering, pairing, what is reported
/// instead of rehearsed.
@Suite struct MigrationReaderTests {
    static let fixtures = Repo.root.appendingPathComponent("Tests/Fixtures/migrations")
    static let shared = Repo.root.deletingLastPathComponent().appendingPathComponent("shared/data/migrations")

    @Test func detectsEveryLayoutOfTheFixturesAndTheRealDirectories() throws {
        for layout in MigrationLayout.allCases {
            let dir = Self.fixtures.appendingPathComponent(layout.rawValue)
            #expect(try MigrationLayout.detect(dir) == layout, "\(dir.path)")
        }
        let real: [String: MigrationLayout] = ["dbmate-measure": .dbmate, "flyway-cowprotocol-services": .flyway,
                                               "golang-migrate-openmeter": .golangMigrate, "golang-migrate-sqlite-taproot-assets": .golangMigrate,
                                               "pop-dialect-suffixed-hydra": .suffixed, "sqitch-cas-cif": .sqitch]
        for (name, layout) in real {
            #expect(try MigrationLayout.detect(Self.shared.appendingPathComponent(name)) == layout, "\(name)")
        }
    }

    @Test func anUnrecognisedDirectoryIsBadInputThatNamesTheLayouts() throws {
        let dir = TempDir()
        dir.write("notes.txt", "nothing here")
        let error = try #require(throws: RehearseError.self) { try MigrationLayout.detect(dir.url) }
        #expect(error.code == .badInput)
        #expect(error.message.contains("no migration layout recognised"))
        #expect(error.message.contains("--layout"))
        let missing = try #require(throws: RehearseError.self) { try MigrationLayout.detect(dir.file("absent")) }
        #expect(missing.code == .badInput)
        #expect(missing.message.contains("no such directory"))
    }

    @Test func golangMigrateOrdersVersionsAsNumbersAndReportsMissingDownsAndCode() throws {
        let set = try GolangMigrateReader.read(Self.fixtures.appendingPathComponent("golang-migrate"))
        #expect(set.steps.map(\.version) == ["0001", "0002", "0003", "0004", "0005", "0006", "0007"])
        #expect(set.steps[4].skip?.status == "IRREVERSIBLE")
        #expect(set.steps[5].skip == .code("0006_backfill_notes.go is a code migration; rehearse runs SQL only"))
        let dir = TempDir()
        dir.write("10_b.up.sql", "SELECT 1;")
        dir.write("10_b.down.sql", "SELECT 1;")
        dir.write("9_a.up.sql", "SELECT 1;")
        dir.write("9_a.down.sql", "-- nothing\n")
        dir.write("11_c.down.sql", "SELECT 1;")
        let other = try GolangMigrateReader.read(dir.url)
        #expect(other.steps.map(\.version) == ["9", "10"])
        // A down with only comments for an up that does something: the project says irreversible.
        #expect(other.steps[0].skip?.status == "IRREVERSIBLE")
        #expect(other.unreadSteps.contains { $0.skip?.reason.contains("11_c.down.sql: a down with no up") == true })
    }

    @Test func dbmateSplitsSectionsKeepingFileLinesAndReadsTransactionFalse() throws {
        let set = try DbmateReader.read(Self.fixtures.appendingPathComponent("dbmate"))
        #expect(set.steps.count == 5)
        let index = set.steps[2]
        #expect(!index.transactional)
        #expect(index.up[0].line == 2 && index.up[0].text.contains("CREATE INDEX CONCURRENTLY"))
        #expect(index.down?[0].line == 5)
        #expect(!index.up[0].text.contains("DROP INDEX"))
        let dir = TempDir()
        dir.write("1_x.sql", "CREATE TABLE x (a int);\n")
        let error = try #require(throws: RehearseError.self) { try DbmateReader.read(dir.url) }
        #expect(error.code == .badInput)
        #expect(error.message.contains("1_x.sql: no -- migrate:up section"))
    }

    /// dbmate's markers start the line (`^--\s*migrate:down`): an indented
    /// one is a comment inside the up, so the migration has no down and is
    /// reported irreversible, not rehearsed with a down dbmate never runs
    /// (red team F16).
    @Test func anIndentedDbmateMarkerIsACommentAsDbmateReadsIt() throws {
        let dir = TempDir()
        dir.write("1_t.sql", "-- migrate:up\nCREATE TABLE t (a int);\n   -- migrate:down\nDROP TABLE t;\n")
        let set = try DbmateReader.read(dir.url)
        #expect(set.steps.count == 1)
        #expect(set.steps[0].up[0].text.contains("-- migrate:down"))
        #expect(set.steps[0].skip?.status == "IRREVERSIBLE" || set.steps[0].down == nil || set.steps[0].down?.isEmpty == true)
        #expect(DbmateReader.marker("   -- migrate:down") == nil)
        #expect(DbmateReader.marker("-- migrate:down")?.up == false)
        #expect(DbmateReader.marker("--migrate:up transaction:false")?.options == "transaction:false")
    }

    @Test func flywayComparesVersionPartsAsNumbersAndRefusesTwoFilesOfOneVersion() throws {
        let set = try FlywayReader.read(Self.fixtures.appendingPathComponent("flyway"))
        #expect(set.steps.map(\.version) == ["1", "1.9", "1.10", "2", "R"])
        #expect(set.steps[3].skip?.status == "IRREVERSIBLE")
        #expect(set.steps[4].skip?.status == "SKIPPED")
        #expect(set.steps[4].skip?.reason.contains("repeatable") == true)
        let dir = TempDir()
        dir.write("V001__a.sql", "SELECT 1;")
        dir.write("V1__b.sql", "SELECT 1;")
        let error = try #require(throws: RehearseError.self) { try FlywayReader.read(dir.url) }
        #expect(error.code == .badInput)
        #expect(error.message.contains("same version"))
        #expect(FlywayReader.less(FlywayReader.normal(["1", "9"]), FlywayReader.normal(["1", "10"])))
        #expect(FlywayReader.normal(["1", "0"]) == FlywayReader.normal(["001"]))
    }

    @Test func sqitchNamesReworkedScriptsByTheNextTagAndChecksDependencies() throws {
        let set = try SqitchReader.read(Self.fixtures.appendingPathComponent("sqitch"))
        #expect(set.steps.map(\.name) == ["items", "bump_qty", "items_name_index", "load_codes", "split_work", "bump_qty", "orphan"])
        #expect(set.steps[1].up[0].file == "deploy/bump_qty@v1.sql")
        #expect(set.steps[5].up[0].file == "deploy/bump_qty.sql")
        #expect(set.steps[0].verify?.file == "verify/items.sql")
        #expect(set.steps[6].skip?.reason.contains("requires not_in_plan") == true)
    }

    @Test func suffixedPrefersTheDialectFileFallsBackAndLeavesOtherDialectsOut() throws {
        let dir = Self.fixtures.appendingPathComponent("suffixed")
        let sqlite = try SuffixedReader.read(dir, dialect: .sqlite)
        #expect(sqlite.steps.map(\.version) == ["20240101000001000000", "20240101000002000000", "20240101000004000000", "20240101000005000000"])
        #expect(sqlite.steps[0].up[0].file == "20240101000001000000_items.up.sql")
        #expect(sqlite.steps[2].up[0].file.contains(".sqlite3.up.sql"))
        let pg = try SuffixedReader.read(dir, dialect: .postgres)
        #expect(pg.steps[0].up[0].file == "20240101000001000000_items.postgres.up.sql")
        #expect(pg.steps[2].up[0].file.contains(".postgres.autocommit.up.sql"))
        #expect(!pg.steps[2].transactional)
        #expect(SuffixedReader.parse("1_x.sqlite.up.sql")?.dialect == "sqlite")
        #expect(SuffixedReader.parse("1_x.sqlite3.down.sql")?.dialect == "sqlite")
    }

    @Test func aWrappingTransactionIsBlankedKeepingLinesAndAnyOtherShapeIsReported() throws {
        let wrapped = MigrationScan.prepare(MigrationScript(file: "d.sql", text: "BEGIN;\nCREATE TABLE t (a int);\nCOMMIT;\n"), dialect: .sqlite)
        #expect(!wrapped.ownTransactions)
        #expect(wrapped.script.text.split(separator: "\n", omittingEmptySubsequences: false).count == 4)
        #expect(!wrapped.script.text.contains("BEGIN") && !wrapped.script.text.contains("COMMIT"))
        #expect(wrapped.script.text.contains("CREATE TABLE t"))
        let split = MigrationScan.prepare(MigrationScript(file: "d.sql", text: "CREATE TABLE t (a int);\nCOMMIT;\nBEGIN;\nDROP TABLE t;\n"), dialect: .sqlite)
        #expect(split.ownTransactions)
        let meta = MigrationScan.prepare(MigrationScript(file: "d.sql", line: 10, text: "SELECT 1;\n\\copy t from program 'id'\n"), dialect: .sqlite)
        #expect(meta.metaCommand?.hasPrefix("d.sql:11: `\\copy t from program 'id'`") == true)
    }

    @Test func aMigrationFileThatIsALinkIsRefusedBeforeItsBytesReachEvidence() throws {
        let dir = TempDir()
        dir.write("secret.txt", "not a migration\n")
        dir.write("m/1_a.down.sql", "SELECT 1;\n")
        try FileManager.default.createSymbolicLink(atPath: dir.file("m/1_a.up.sql").path, withDestinationPath: dir.file("secret.txt").path)
        let error = try #require(throws: RehearseError.self) { try GolangMigrateReader.read(dir.file("m")) }
        #expect(error.code == .badInput)
        #expect(error.message.contains("1_a.up.sql: the migration file is a symbolic link"))
    }

    @Test func twoFilesForOneVersionAreRefusedNotPickedFrom() throws {
        let go = TempDir()
        go.write("1_a.up.sql", "CREATE TABLE t (a int);\n")
        go.write("1_a.down.sql", "DROP TABLE t;\n")
        go.write("01_a.v2.down.sql", "SELECT 1;\n")
        let e1 = try #require(throws: RehearseError.self) { try GolangMigrateReader.read(go.url) }
        #expect(e1.code == .badInput)
        #expect(e1.message.contains("are both the down of version"))
        let db = TempDir()
        db.write("1_a.sql", "-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 1;\n")
        db.write("1_b.sql", "-- migrate:up\nSELECT 2;\n-- migrate:down\nSELECT 2;\n")
        let e2 = try #require(throws: RehearseError.self) { try DbmateReader.read(db.url) }
        #expect(e2.message.contains("have the same version"))
        // dbmate's versions are the digits as text: 001 and 1 are two versions, applied in name order.
        let two = TempDir()
        two.write("1_a.sql", "-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 1;\n")
        two.write("001_b.sql", "-- migrate:up\nSELECT 2;\n-- migrate:down\nSELECT 2;\n")
        #expect(try DbmateReader.read(two.url).steps.map(\.version) == ["001", "1"])
        let pop = TempDir()
        pop.write("1_a.sqlite.up.sql", "SELECT 1;\n")
        pop.write("1_a.sqlite3.up.sql", "SELECT 2;\n")
        let e3 = try #require(throws: RehearseError.self) { try SuffixedReader.read(pop.url, dialect: .sqlite) }
        #expect(e3.message.contains("are both the up of version 1 for sqlite"))
    }
}
