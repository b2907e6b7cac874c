import Foundation
import Testing
@testable import RehearseCore
@testable import RehearseEvidence
@testable import RehearseKit
@testable import RehearseValidator

/// attack-13's walk forgeries (F6, F6b, F7, F11, F22 and the like), each made
/// on a real walk by editing walk.json (and what else the forger can write)
/// and resealing: `validate` must reject every one with a finding that names
/// the step, while the untouched walk validates.
@Suite struct MigrationWalkForgeryTests {
    /// The golang-migrate fixture walked in full: PASS, FAIL, PASS, FAIL, IRREVERSIBLE, SKIPPED, PASS.
    static func walk(_ layout: String = "golang-migrate", in dir: TempDir) throws -> MigrationWalkResult {
        let walk = try MigrationWalkTests.walk(layout, in: dir)
        #expect(try MigrationWalkValidator.validate(walk.walkFolder).findings.isEmpty)
        return walk
    }

    /// Rewrites walk.json through `edit`, reseals the walk folder, validates.
    static func forge(_ walk: MigrationWalkResult, _ edit: (inout [String: JSONValue], inout [JSONValue]) throws -> Void) throws -> (findings: [ValidationFinding], exitStatus: Int32) {
        let index = walk.walkFolder.appendingPathComponent(MigrationWalk.indexFile)
        var root = try #require(JSONValue.parseStrict(Array(Data(contentsOf: index))).objectValue)
        var steps = try #require(root["steps"]?.arrayValue)
        try edit(&root, &steps)
        root["steps"] = .array(steps)
        try Data(JSONValue.object(root).canonicalBytes).write(to: index)
        try Seal.write(directory: walk.walkFolder)
        return try MigrationWalkValidator.validate(walk.walkFolder)
    }

    static func set(_ step: JSONValue, _ fields: [String: JSONValue]) -> JSONValue {
        var o = step.objectValue ?? [:]
        for (k, v) in fields { o[k] = v }
        return .object(o)
    }

    static func remove(_ walk: MigrationWalkResult, _ step: JSONValue) {
        if let run = step["run"]?.stringValue { try? FileManager.default.removeItem(at: walk.walkFolder.appendingPathComponent(run)) }
    }

    static func has(_ r: (findings: [ValidationFinding], exitStatus: Int32), _ path: String, _ message: String) -> Bool {
        r.exitStatus == 5 && r.findings.contains { $0.path.contains(path) && $0.message.contains(message) }
    }

    @Test func stepsDroppedFromTheEndAreMissedByTheInventory() throws {
        let dir = TempDir()
        let walk = try Self.walk(in: dir)
        let r = try Self.forge(walk) { root, steps in
            for s in steps.suffix(3) { Self.remove(walk, s) }
            steps.removeLast(3)
            root["exit_status"] = .integer(1)
        }
        #expect(Self.has(r, "walk.json", "lists 4 steps, but the migrations it records, read by the golang-migrate rules, give 7 in the range walked; the first not listed is step 5 (0005 item_note)"), "\(r.findings)")
    }

    @Test func failingStepsDroppedAndTheRestRenumberedAreNotTheStepsTheFilesGive() throws {
        let dir = TempDir()
        let walk = try Self.walk(in: dir)
        let r = try Self.forge(walk) { root, steps in
            for s in steps where s["status"]?.stringValue != "PASS" { Self.remove(walk, s) }
            steps = steps.filter { $0["status"]?.stringValue == "PASS" }.enumerated().map { Self.set($1, ["index": .integer(Int64($0 + 1))]) }
            root["exit_status"] = .integer(0)
        }
        #expect(Self.has(r, "walk.json", "lists 3 steps"))
        #expect(Self.has(r, "step 2 (0003 items_name_index)", "is not the step the recorded migrations give at this place: step 2, version 0002 bump_qty"), "\(r.findings)")
    }

    @Test func aFailingStepRelabelledAsAPlaceholderIsRejected() throws {
        let dir = TempDir()
        let walk = try Self.walk(in: dir)
        let r = try Self.forge(walk) { root, steps in
            for i in steps.indices where steps[i]["status"]?.stringValue != "PASS" {
                Self.remove(walk, steps[i])
                steps[i] = Self.set(steps[i], ["status": "SKIPPED", "verdict": .null, "exit_status": .integer(0), "run": .null, "rebirth": .null,
                                               "evidence_sha256": .null, "seal_sha256": .null,
                                               "detail": ["no statement in the up or the down (a placeholder); nothing to rehearse"]])
            }
            root["exit_status"] = .integer(0)
        }
        #expect(Self.has(r, "step 2 (0002 bump_qty)", "claims SKIPPED with exit status 0 and no run folder"), "\(r.findings)")
        #expect(Self.has(r, "step 5 (0005 item_note)", "claims SKIPPED with exit status 0, but its files (no down migration"), "\(r.findings)")
        #expect(Self.has(r, "step 6 (0006 backfill_notes.go)", "claims SKIPPED with exit status 0, but its files (0006_backfill_notes.go is a code migration"), "\(r.findings)")
        #expect(Self.has(r, "walk.json", "claims exit status 0, its steps give"))
        let summary = try Self.forge(walk) { root, _ in root["summary"] = "7 steps, 7 PASS" }
        #expect(Self.has(summary, "walk.json", "claims the summary 7 steps, 7 PASS, its steps give 7 steps, 3 PASS, 4 SKIPPED"), "\(summary.findings)")
    }

    @Test func reorderedStepsAreRejected() throws {
        let dir = TempDir()
        let walk = try Self.walk(in: dir)
        let r = try Self.forge(walk) { _, steps in steps.reverse() }
        #expect(Self.has(r, "step 1 (0007 tags)", "is not the step the recorded migrations give at this place: step 1, version 0001 items"), "\(r.findings)")
    }

    @Test func aStepPointedAtAnotherStepsPassingFolderIsRejected() throws {
        let dir = TempDir()
        let walk = try Self.walk(in: dir)
        // F7 addendum: step 2 names step 3's folder.
        let r = try Self.forge(walk) { root, steps in
            Self.remove(walk, steps[1])
            steps[1] = Self.set(steps[2], ["index": .integer(2), "version": "0002", "name": "bump_qty",
                                           "files": ["0002_bump_qty.up.sql", "0002_bump_qty.down.sql"]])
            root["exit_status"] = .integer(1)
        }
        #expect(Self.has(r, "step 3 (0003 items_name_index)", "names the run folder steps/0003-0003-items_name_index, which another step names too"), "\(r.findings)")
        #expect(Self.has(r, "step 2 (0002 bump_qty)", "this step's folder is steps/0002-0002-bump_qty"))
        #expect(Self.has(r, "step 2 (0002 bump_qty)", "inputs/birth.sql is not this step's up (0002_bump_qty.up.sql)"))
    }

    @Test func aPassingFolderCopiedUnderTheFailingStepsNameIsRejected() throws {
        let dir = TempDir()
        let walk = try Self.walk(in: dir)
        let fm = FileManager.default
        let own = walk.walkFolder.appendingPathComponent("steps/0002-0002-bump_qty")
        try fm.removeItem(at: own)
        try fm.copyItem(at: walk.walkFolder.appendingPathComponent("steps/0003-0003-items_name_index"), to: own)
        let r = try Self.forge(walk) { root, steps in
            steps[1] = Self.set(steps[2], ["index": .integer(2), "version": "0002", "name": "bump_qty", "run": "steps/0002-0002-bump_qty",
                                           "files": ["0002_bump_qty.up.sql", "0002_bump_qty.down.sql"]])
            root["exit_status"] = .integer(1)
        }
        #expect(Self.has(r, "step 2 (0002 bump_qty)", "inputs/birth.sql is not this step's up (0002_bump_qty.up.sql) as the recorded migrations give it"), "\(r.findings)")
        #expect(Self.has(r, "step 2 (0002 bump_qty)", "inputs/rollback.sql is not this step's down (0002_bump_qty.down.sql)"))
    }

    @Test func aFailedSqitchVerifyTurnedIntoAPassIsRejected() throws {
        let dir = TempDir()
        let walk = try Self.walk("sqitch", in: dir)
        #expect(walk.steps[2].status == "FAIL")
        // F22: only walk.json says the verify passed.
        let r = try Self.forge(walk) { _, steps in
            var verify = try #require(steps[2]["verify"]?.objectValue)
            verify["failed"] = []
            steps[2] = Self.set(steps[2], ["status": "PASS", "exit_status": .integer(0), "verify": .object(verify), "detail": ["birth, rollback and re-birth as expected; verify passed"]])
        }
        #expect(Self.has(r, "step 3 (3 items_name_index)", "verify differs from what steps/0003-3-items_name_index/walk-step.json records"), "\(r.findings)")
        #expect(Self.has(r, "step 3 (3 items_name_index)", "claims PASS with exit status 0, but its evidence (verdict PASS), re-birth (same) and verify (failed) give FAIL with exit status 1"))
    }

    @Test func aVerifyFailureErasedEverywhereAndResealedIsCaughtByReplay() throws {
        let dir = TempDir()
        let walk = try Self.walk("sqitch", in: dir)
        #expect(try MigrationWalkValidator.checkSteps(walk.walkFolder, reproduce: false, replay: true, postgres: .ephemeral()).isEmpty)
        // The forger rewrites the step's own record too, reseals its folder and rebinds it.
        let folder = walk.walkFolder.appendingPathComponent("steps/0003-3-items_name_index")
        let recordFile = folder.appendingPathComponent(MigrationWalkIndex.stepRecordFile)
        var record = try #require(JSONValue.parseStrict(Array(Data(contentsOf: recordFile))).objectValue)
        var verify = try #require(record["verify"]?.objectValue)
        verify["failed"] = []
        record["verify"] = .object(verify)
        try Data(JSONValue.object(record).canonicalBytes).write(to: recordFile)
        try Seal.write(directory: folder)
        let seal = Digest.sha256Hex(try Data(contentsOf: folder.appendingPathComponent(Seal.fileName)))
        let r = try Self.forge(walk) { root, steps in
            steps[2] = Self.set(steps[2], ["status": "PASS", "exit_status": .integer(0), "verify": .object(verify), "seal_sha256": .string(seal),
                                           "detail": ["birth, rollback and re-birth as expected; verify passed"]])
            root["summary"] = .string(MigrationWalkResult.summary(steps.map { $0["status"]?.stringValue ?? "" }))
        }
        // Plain validation cannot tell (a signature would): the claims agree with each other.
        #expect(r.findings.isEmpty, "\(r.findings)")
        let replay = try MigrationWalkValidator.checkSteps(walk.walkFolder, reproduce: false, replay: true, postgres: .ephemeral())
        #expect(replay.contains { $0.path == "steps/0003-3-items_name_index/walk-step.json" && $0.message.contains("the verify script run again in the replay: 1 failed (verify/0003-3-items_name_index.sql:") && $0.message.contains("the walk records 0 failed") }, "\(replay)")
    }

    @Test func aSwappedPreludeIsCaughtByReplayingTheHistory() throws {
        let dir = TempDir()
        dir.write("prelude.sql", "CREATE TABLE pre(a);\n")
        let walk = try MigrationWalkTests.walk("golang-migrate", in: dir) { $0.to = "0002"; $0.prelude = dir.file("prelude.sql") }
        #expect(try MigrationWalkValidator.checkSteps(walk.walkFolder, reproduce: false, replay: true, postgres: .ephemeral()).isEmpty)
        // F11: the recorded prelude replaced (its digest with it) and the walk resealed.
        let other = "-- nothing\n"
        try Data(other.utf8).write(to: walk.walkFolder.appendingPathComponent("prelude.sql"))
        let r = try Self.forge(walk) { root, _ in root["prelude"] = ["file": "prelude.sql", "sha256": .string(Digest.sha256Hex(other))] }
        #expect(r.findings.isEmpty, "\(r.findings)")  // the claims agree; only rebuilding the history can tell
        let replay = try MigrationWalkValidator.checkSteps(walk.walkFolder, reproduce: false, replay: true, postgres: .ephemeral())
        #expect(replay.contains { $0.path == "steps/0001-0001-items/inputs/schema.sql" && $0.message.contains("is not the schema the sealed prelude and earlier ups build before this step") }, "\(replay)")
        #expect(replay.contains { $0.path == "steps/0002-0002-bump_qty/inputs/schema.sql" })
    }

    @Test func aChangedMigrationFileOrAnUnaccountedFileIsRejected() throws {
        let dir = TempDir()
        let walk = try Self.walk(in: dir)
        // The sealed copy of 0002's down swapped for a clean one, the inventory following it.
        let clean = Array("UPDATE items SET qty = qty - 1;\n".utf8)
        let digest = Digest.sha256Hex(clean)
        try Data(clean).write(to: walk.walkFolder.appendingPathComponent("source/" + digest))
        try Data("x".utf8).write(to: walk.walkFolder.appendingPathComponent("notes.txt"))
        let r = try Self.forge(walk) { root, _ in
            var inventory = try #require(root["inventory"]?.objectValue)
            inventory["files"] = .array(try #require(inventory["files"]?.arrayValue).map {
                $0["path"]?.stringValue == "0002_bump_qty.down.sql" ? Self.set($0, ["sha256": .string(digest), "bytes": .integer(Int64(clean.count))]) : $0
            })
            root["inventory"] = .object(inventory)
        }
        #expect(Self.has(r, "step 2 (0002 bump_qty)", "inputs/rollback.sql is not this step's down (0002_bump_qty.down.sql)"), "\(r.findings)")
        #expect(Self.has(r, "notes.txt", "a file of the walk folder that walk.json does not account for"))
    }

    @Test func anotherEngineOrSeedClaimedForTheWalkIsRejected() throws {
        let dir = TempDir()
        let walk = try MigrationWalkTests.walk("golang-migrate", in: dir) { $0.to = "0001" }
        let r = try Self.forge(walk) { root, _ in
            root["dialect"] = "postgres"
            root["seed"] = .integer(99)
        }
        #expect(Self.has(r, "step 1 (0001 items)", "ran on sqlite, but walk.json says the walk ran on postgres"), "\(r.findings)")
        #expect(Self.has(r, "step 1 (0001 items)", "was generated with seed 1, but walk.json records seed 99"))
    }

    @Test func aWalkOfTheFirstFormatIsRefusedWithWhy() throws {
        let dir = TempDir()
        let walk = try MigrationWalkTests.walk("golang-migrate", in: dir) { $0.to = "0001" }
        let r = try Self.forge(walk) { root, _ in root["format"] = .string(MigrationWalkIndex.formatV1) }
        #expect(Self.has(r, "walk.json", "is a walk of format v1 (written before walks recorded their migrations directory)"), "\(r.findings)")
    }

    @Test func aSignedWalkVerifiesWithItsKeyAndNotWithAnother() throws {
        let dir = TempDir()
        let walk = try MigrationWalkTests.walk("golang-migrate", in: dir) { $0.to = "0002" }
        let op = try Signing.generateKeyPair(prefix: dir.file("op").path)
        let other = try Signing.generateKeyPair(prefix: dir.file("other").path)
        func policy(_ file: URL) throws -> TrustPolicy {
            let json = try TrustPolicy.file(publicKeyFiles: [file.path], threshold: 1)
            try Data(json.canonicalBytes).write(to: dir.file(file.lastPathComponent + ".trust"))
            return try TrustPolicy(file: dir.file(file.lastPathComponent + ".trust"))
        }
        let unsigned = try MigrationWalkValidator.validate(walk.walkFolder, trust: try policy(op.publicFile))
        #expect(Self.has(unsigned, "walk.dsse.json", "missing: the trust policy requires 1 signature(s)"))
        #expect(try MigrationWalkValidator.sign(walk: walk.walkFolder, keyFile: op.privateFile) == op.keyID)
        let signed = try MigrationWalkValidator.validate(walk.walkFolder, trust: try policy(op.publicFile))
        #expect(signed.findings.isEmpty, "\(signed.findings)")
        #expect(signed.exitStatus == 1)
        let wrong = try MigrationWalkValidator.validate(walk.walkFolder, trust: try policy(other.publicFile))
        #expect(Self.has(wrong, "walk.dsse.json.signatures", "0 valid signature(s) by distinct trusted keys"))
        // Edited and resealed after signing: the signature no longer covers walk.json.
        let edited = try Self.forge(walk) { root, _ in root["notes"] = [] }
        _ = edited
        let after = try MigrationWalkValidator.validate(walk.walkFolder, trust: try policy(op.publicFile))
        #expect(Self.has(after, "walk.dsse.json.payload", "does not hold the bytes of walk.json"), "\(after.findings)")
    }
}
