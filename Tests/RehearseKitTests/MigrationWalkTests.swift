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

/// Walks of the fixture directories on SQLite: what each step's status is,
/// where a failure is reported, re-birth, and that the walk folder validates
/// and a forged walk does not.
@Suite struct MigrationWalkTests {
    static let fixtures = Repo.root.appendingPathComponent("Tests/Fixtures/migrations")

    static func walk(_ layout: String, in dir: TempDir, _ configure: (inout MigrationWalk.Options) -> Void = { _ in }) throws -> MigrationWalkResult {
        var options = MigrationWalk.Options()
        options.outputDirectory = dir.file("walk")
        options.scratchParent = dir.url
        configure(&options)
        return try MigrationWalk(directory: fixtures.appendingPathComponent(layout), options: options).run()
    }

    static func statuses(_ walk: MigrationWalkResult) -> [String] { walk.steps.map(\.status) }

    @Test func golangMigrateFixtureFindsTheLossyDownTheTraceAndTheCleanPairs() throws {
        let dir = TempDir()
        let walk = try Self.walk("golang-migrate", in: dir)
        #expect(Self.statuses(walk) == ["PASS", "FAIL", "PASS", "FAIL", "IRREVERSIBLE", "SKIPPED", "PASS"])
        let lossy = walk.steps[1]
        #expect(lossy.detail.contains { $0.contains("drift: the down did not restore") && $0.contains("0002_bump_qty.down.sql") })
        #expect(lossy.detail.contains { $0.contains("items") && $0.contains("qty") })
        // The down that leaves its table behind: the second up counts the first run.
        let trace = walk.steps[3]
        #expect(trace.rebirth["outcome"] == "differs")
        #expect(trace.detail.contains { $0.hasPrefix("re-birth:") })
        #expect(trace.detail.contains { $0.contains("table runs: rows 1 → 2") })
        #expect(walk.steps[0].rebirth["outcome"] == "same")
        #expect(walk.exitStatus == 1)
        let check = try MigrationWalkValidator.validate(walk.walkFolder)
        #expect(check.findings.isEmpty, "\(check.findings)")
        #expect(check.exitStatus == 1)
        // Every rehearsed step is an ordinary run folder the validator accepts.
        for step in walk.steps {
            guard let run = step.runFolder else { continue }
            let report = try Validator().validate(runDirectory: walk.walkFolder.appendingPathComponent(run))
            #expect(report.isValid, "\(run): \(report.findings)")
            #expect((report.verdict == .pass) == (step.status == "PASS"))
        }
        #expect(dir.leftovers("rehearse-migrations-").isEmpty)
    }

    @Test func aWalkWhoseIndexClaimsAPassItsEvidenceDoesNotShowIsRejected() throws {
        let dir = TempDir()
        let walk = try Self.walk("golang-migrate", in: dir) { $0.to = "0002" }
        let index = walk.walkFolder.appendingPathComponent(MigrationWalk.indexFile)
        var text = try String(contentsOf: index, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"status\":\"FAIL\"", with: "\"status\":\"PASS\"")
        text = text.replacingOccurrences(of: "\"exit_status\":1", with: "\"exit_status\":0")
        try text.write(to: index, atomically: true, encoding: .utf8)
        let tampered = try MigrationWalkValidator.validate(walk.walkFolder)
        #expect(tampered.exitStatus == 5)
        #expect(tampered.findings.contains { $0.message.contains("walk seal") })
        // Resealed, the seal holds, but the claims still contradict the evidence.
        try Seal.write(directory: walk.walkFolder)
        let resealed = try MigrationWalkValidator.validate(walk.walkFolder)
        #expect(resealed.exitStatus == 5)
        #expect(resealed.findings.contains { $0.path.contains("step 2 (0002 bump_qty)") && $0.message.contains("claims PASS with exit status 0, but its evidence (verdict FAIL)") })
    }

    @Test func aReBirthFingerprintThatDoesNotMatchItsClaimIsRejected() throws {
        let dir = TempDir()
        let walk = try Self.walk("golang-migrate", in: dir) { $0.to = "0001" }
        let index = walk.walkFolder.appendingPathComponent(MigrationWalk.indexFile)
        let value = try JSONValue.parseStrict(Array(Data(contentsOf: index)))
        var step = try #require(value["steps"]?.arrayValue?.first?.objectValue)
        var rebirth = try #require(step["rebirth"]?.objectValue)
        var fingerprint = try #require(rebirth["fingerprint"]?.objectValue)
        fingerprint["data_digest"] = .string(String(repeating: "0", count: 64))
        rebirth["fingerprint"] = .object(fingerprint)
        step["rebirth"] = .object(rebirth)
        var root = try #require(value.objectValue)
        root["steps"] = .array([.object(step)])
        try Data(JSONValue.object(root).canonicalBytes).write(to: index)
        try Seal.write(directory: walk.walkFolder)
        let check = try MigrationWalkValidator.validate(walk.walkFolder)
        #expect(check.findings.contains { $0.message.contains("re-birth differs from what steps/0001-0001-items/walk-step.json records") })
        // The step's own record forged the same way (its folder resealed and
        // rebound): the re-born fingerprint still contradicts the evidence.
        let record = walk.walkFolder.appendingPathComponent("steps/0001-0001-items/walk-step.json")
        var stepRecord = try #require(JSONValue.parseStrict(Array(Data(contentsOf: record))).objectValue)
        stepRecord["rebirth"] = .object(rebirth)
        try Data(JSONValue.object(stepRecord).canonicalBytes).write(to: record)
        try Seal.write(directory: record.deletingLastPathComponent())
        step["seal_sha256"] = .string(Digest.sha256Hex(try Data(contentsOf: record.deletingLastPathComponent().appendingPathComponent(Seal.fileName))))
        root["steps"] = .array([.object(step)])
        try Data(JSONValue.object(root).canonicalBytes).write(to: index)
        try Seal.write(directory: walk.walkFolder)
        let both = try MigrationWalkValidator.validate(walk.walkFolder)
        #expect(both.findings.contains { $0.message.contains("re-birth claims the same state") }, "\(both.findings)")
    }

    @Test func flywayFixtureOrdersOnePointTenAfterOnePointNineAndReportsTheRest() throws {
        let dir = TempDir()
        let walk = try Self.walk("flyway", in: dir)
        #expect(walk.steps.map(\.version) == ["1", "1.9", "1.10", "2", "R"])
        #expect(Self.statuses(walk) == ["PASS", "PASS", "FAIL", "IRREVERSIBLE", "SKIPPED"])
        #expect(walk.steps[2].detail.contains { $0.contains("U1.10__bump_qty.sql") })
    }

    @Test func sqitchFixtureHonoursItsTransactionsRunsVerifyAndNeverRunsMetaCommands() throws {
        let dir = TempDir()
        let walk = try Self.walk("sqitch", in: dir)
        #expect(Self.statuses(walk) == ["PASS", "FAIL", "FAIL", "NOT_REHEARSABLE", "NOT_REHEARSABLE", "PASS", "NOT_REHEARSABLE"])
        #expect(walk.steps[0].detail == ["birth, rollback and re-birth as expected; verify passed"])
        #expect(walk.steps[2].detail.contains { $0.hasPrefix("verify failed at verify/items_name_index.sql:3") })
        #expect(walk.steps[3].detail[0].hasPrefix("deploy/load_codes.sql:3: `\\copy codes from program"))
        #expect(walk.steps[4].detail[0].contains("controls its own transactions"))
        #expect(try MigrationWalkValidator.validate(walk.walkFolder).findings.isEmpty)
    }

    @Test func suffixedFixtureWalksTheSQLiteFiles() throws {
        let dir = TempDir()
        let walk = try Self.walk("suffixed", in: dir)
        #expect(Self.statuses(walk) == ["PASS", "FAIL", "PASS", "IRREVERSIBLE"])
        #expect(walk.steps[2].files.allSatisfy { $0.contains(".sqlite3.") })
    }

    @Test func rangeModeRunsTheUpsThenTheDownsInReverse() throws {
        let dir = TempDir()
        // Rows are generated into the schema before --from: 0002's lossy down
        // is seen on the items rows 0001 made.
        let clean = try Self.walk("golang-migrate", in: dir) { $0.mode = .range; $0.from = "0002"; $0.to = "0003" }
        #expect(clean.steps.count == 1)
        #expect(clean.steps[0].version == "0002..0003")
        #expect(clean.steps[0].status == "FAIL")
        #expect(clean.steps[0].detail.contains { $0.contains("0002_bump_qty.down.sql") || $0.contains("items.qty") })
        let other = TempDir()
        let pass = try Self.walk("golang-migrate", in: other) { $0.mode = .range; $0.from = "0003"; $0.to = "0003" }
        #expect(pass.steps[0].status == "PASS")
        let three = TempDir()
        let irreversible = try Self.walk("golang-migrate", in: three) { $0.mode = .range; $0.from = "0003"; $0.to = "0005" }
        #expect(irreversible.steps[0].status == "IRREVERSIBLE")
        #expect(irreversible.exitStatus == 6)
    }

    @Test func fromAndToAreCheckedAgainstTheVersions() throws {
        let dir = TempDir()
        let error = try #require(throws: RehearseError.self) { try Self.walk("golang-migrate", in: dir) { $0.from = "42" } }
        #expect(error.code == .badInput)
        #expect(error.message.contains("--from 42: no migration"))
        let reversed = try #require(throws: RehearseError.self) { try Self.walk("golang-migrate", in: TempDir()) { $0.from = "0003"; $0.to = "0001" } }
        #expect(reversed.message.contains("comes after --to"))
    }

    @Test func aBaselineFileStandsForTheUpsBeforeFromAndIsSealed() throws {
        let dir = TempDir()
        dir.write("baseline.sql", "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER NOT NULL);\n")
        let walk = try Self.walk("golang-migrate", in: dir) { $0.from = "0002"; $0.to = "0003"; $0.baseline = dir.file("baseline.sql") }
        #expect(Self.statuses(walk) == ["FAIL", "PASS"])
        #expect(FileManager.default.fileExists(atPath: walk.walkFolder.appendingPathComponent("baseline.sql").path))
        #expect(try MigrationWalkValidator.validate(walk.walkFolder).findings.isEmpty)
        // Without a table the baseline does not create, 0002 fails at its own line.
        let empty = TempDir()
        empty.write("baseline.sql", "CREATE TABLE other (id INTEGER PRIMARY KEY);\n")
        let broken = try Self.walk("golang-migrate", in: empty) { $0.from = "0002"; $0.to = "0002"; $0.baseline = empty.file("baseline.sql") }
        #expect(broken.steps[0].status == "FAIL")
        #expect(broken.notes.contains { $0.hasPrefix("history: the up of 0002 (0002_bump_qty.up.sql) failed") })
        #expect(broken.steps[0].detail.contains { $0.contains("0002_bump_qty.up.sql:2") && $0.contains("no such table: items") })
    }

    @Test func anUpThatReadsChanceIsNotComparableOnReBirthAndNeverPasses() throws {
        let dir = TempDir()
        dir.write("m/1_t.up.sql", "CREATE TABLE t (id INTEGER PRIMARY KEY, r INTEGER);\n")
        dir.write("m/1_t.down.sql", "DROP TABLE t;\n")
        dir.write("m/2_s.up.sql", "ALTER TABLE t ADD COLUMN s INTEGER;\nUPDATE t SET s = random();\n")
        dir.write("m/2_s.down.sql", "ALTER TABLE t DROP COLUMN s;\n")
        var options = MigrationWalk.Options()
        options.outputDirectory = dir.file("walk")
        options.scratchParent = dir.url
        let walk = try MigrationWalk(directory: dir.file("m"), options: options).run()
        #expect(Self.statuses(walk) == ["PASS", "INCONCLUSIVE"])
        #expect(walk.steps[1].detail[0].contains("the up calls random at 2_s.up.sql:2"))
        #expect(walk.exitStatus == 6)
        #expect(try MigrationWalkValidator.validate(walk.walkFolder).findings.isEmpty)
    }

    @Test func aFileNameIsNeverSQLEvenWithANewlineInIt() throws {
        let dir = TempDir()
        dir.write("m/1_a.up.sql", "CREATE TABLE t (id INTEGER PRIMARY KEY, q INTEGER);\n")
        dir.write("m/1_a.down.sql", "DROP TABLE t;\n")
        // The name's second line would undo the up if it ran as SQL.
        dir.write("m/2_b\nUPDATE t SET q = q - 1;.up.sql", "UPDATE t SET q = q + 1;\n")
        dir.write("m/2_b\nUPDATE t SET q = q - 1;.down.sql", "SELECT 1;\n")
        var options = MigrationWalk.Options()
        options.outputDirectory = dir.file("walk")
        options.scratchParent = dir.url
        let walk = try MigrationWalk(directory: dir.file("m"), options: options).run()
        #expect(Self.statuses(walk) == ["PASS", "FAIL"])
    }
}
