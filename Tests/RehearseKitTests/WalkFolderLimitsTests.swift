import Foundation
import Testing
@testable import RehearseCore
@testable import RehearseEvidence

/// attack-w13 W-F18: a genuine walk of ~460 migrations holds more than 4096
/// entries; a walk folder's limits grow with its step folders, a run
/// folder's do not.
@Suite struct WalkFolderLimitsTests {
    static func fill(_ dir: TempDir, steps: Int, walk: Bool) throws {
        if walk { dir.write("walk.json", "{}") }
        for i in 0..<steps {
            for f in ["evidence.json", "SEAL.sha256", "walk-step.json", "inputs/manifest.yaml", "inputs/schema.sql",
                      "inputs/profile.yaml", "inputs/birth.sql", "inputs/rollback.sql"] {
                dir.write(String(format: "steps/%04d-s/", i) + f, "x")
            }
        }
    }

    @Test func aWalkFolderOfHundredsOfStepsIsReadAndARunFolderOfThatSizeIsNot() throws {
        let walk = TempDir()
        try Self.fill(walk, steps: 460, walk: true)
        let folder = try RunFolder(directory: walk.url)
        #expect(folder.files.count == 460 * 8 + 1)
        let run = TempDir()
        try Self.fill(run, steps: 460, walk: false)
        #expect(throws: RehearseError.self) { try RunFolder(directory: run.url) }
        do { _ = try RunFolder(directory: run.url) } catch let e as RehearseError { #expect(e.message.contains("holds more than 4096 entries")) }
        #expect(RunFolder.limits(for: walk.url).entries == 4096 + 64 * 460)
    }
}
