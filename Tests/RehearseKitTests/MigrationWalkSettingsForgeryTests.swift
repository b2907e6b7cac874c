import Foundation
import Testing
@testable import RehearseCore
@testable import RehearseEvidence
@testable import RehearseKit
@testable import RehearseValidator

/// attack-w13 W-F2: a step folder rehearsed with other settings (a profile
/// that makes the lossy column all NULL) swapped into a genuine walk, bound
/// and resealed, with the inventory identical to the real directory.
@Suite struct MigrationWalkSettingsForgeryTests {
    static func directory(_ dir: TempDir) -> URL {
        dir.write("m/1_a.up.sql", "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, secret TEXT);\n")
        dir.write("m/1_a.down.sql", "DROP TABLE t;\n")
        dir.write("m/2_b.up.sql", "ALTER TABLE t DROP COLUMN secret;\n")
        dir.write("m/2_b.down.sql", "ALTER TABLE t ADD COLUMN secret TEXT;\n")
        return dir.file("m")
    }

    static func walk(_ dir: TempDir, _ out: String, profile: URL? = nil) throws -> MigrationWalkResult {
        var options = MigrationWalk.Options()
        options.outputDirectory = dir.file(out)
        options.scratchParent = dir.url
        options.profile = profile
        return try MigrationWalk(directory: directory(dir), options: options).run()
    }

    @Test func aStepRehearsedWithAnotherProfileSwappedIntoAWalkIsRejected() throws {
        let dir = TempDir()
        let genuine = try Self.walk(dir, "genuine")
        #expect(genuine.steps.map(\.status) == ["PASS", "FAIL"])
        #expect(try MigrationWalkValidator.validate(genuine.walkFolder).findings.isEmpty)
        dir.write("p.yaml", "tables:\n  t:\n    rows: 20\n    columns:\n      secret: { null_fraction: 1.0 }\n")
        let other = try Self.walk(dir, "other", profile: dir.file("p.yaml"))
        #expect(other.steps.map(\.status) == ["PASS", "PASS"])
        // The transplant: step 2's folder and record from the other walk, bound and resealed.
        let run = try #require(genuine.steps[1].runFolder)
        let fm = FileManager.default
        try fm.removeItem(at: genuine.walkFolder.appendingPathComponent(run))
        try fm.copyItem(at: other.walkFolder.appendingPathComponent(run), to: genuine.walkFolder.appendingPathComponent(run))
        let otherIndex = try JSONValue.parseStrict(Array(Data(contentsOf: other.walkFolder.appendingPathComponent(MigrationWalk.indexFile))))
        let r = try MigrationWalkForgeryTests.forge(genuine) { root, steps in
            steps[1] = try #require(otherIndex["steps"]?.arrayValue?[1])
            root["exit_status"] = .integer(0)
            root["summary"] = .string(MigrationWalkResult.summary(["PASS", "PASS"]))
        }
        #expect(MigrationWalkForgeryTests.has(r, "step 2 (2 b)", "inputs/profile.yaml is not the walk's profile (profile.yaml) for this step's schema"), "\(r.findings)")
        // The profile file of the walk swapped too (walk.json's digest follows): still caught, by the digest.
        try Data(contentsOf: dir.file("p.yaml")).write(to: genuine.walkFolder.appendingPathComponent(MigrationWalkIndex.profileFile))
        let r2 = try MigrationWalkForgeryTests.forge(genuine) { _, _ in }
        #expect(MigrationWalkForgeryTests.has(r2, "profile.yaml", "missing, or not the profile whose digest walk.json records"), "\(r2.findings)")
    }

    @Test func aStepWhoseManifestIsNotTheWalksIsRejected() throws {
        let dir = TempDir()
        let genuine = try Self.walk(dir, "genuine")
        let run = try #require(genuine.steps[0].runFolder)
        let manifest = genuine.walkFolder.appendingPathComponent(run + "/inputs/manifest.yaml")
        let text = try String(contentsOf: manifest, encoding: .utf8).replacingOccurrences(of: "scale: 1", with: "scale: 0.1")
        try Data(text.utf8).write(to: manifest)
        try Seal.write(directory: genuine.walkFolder.appendingPathComponent(run))
        let r = try MigrationWalkForgeryTests.forge(genuine) { _, steps in
            let folder = genuine.walkFolder.appendingPathComponent(run)
            steps[0] = MigrationWalkForgeryTests.set(steps[0], ["seal_sha256": .string(Digest.sha256Hex(try Data(contentsOf: folder.appendingPathComponent(Seal.fileName))))])
        }
        #expect(MigrationWalkForgeryTests.has(r, "step 1 (1 a)", "inputs/manifest.yaml is not the manifest the walk writes for this step"), "\(r.findings)")
    }

    /// The same forgery with the walk's seed removed, so the step manifest
    /// check had nothing to compare with: rejected, because a walk must
    /// record its seed (review of session 4).
    @Test func aWalkWithoutItsSeedIsRejected() throws {
        let dir = TempDir()
        let genuine = try Self.walk(dir, "noseed")
        let r = try MigrationWalkForgeryTests.forge(genuine) { root, _ in root["seed"] = nil }
        #expect(MigrationWalkForgeryTests.has(r, MigrationWalk.indexFile, "no seed"), "\(r.findings)")
    }
}
