import Foundation
import Testing
@testable import RehearseCore
@testable import RehearseKit

/// attack-13 F18: `--from`/`--to` never pick one of several migrations that
/// answer to the same name; a reworked Sqitch change is named as Sqitch
/// names it, `change@tag` (the instance as of that tag) or `change@HEAD`.
@Suite struct MigrationSelectTests {
    static func reworked(_ dir: TempDir) {
        dir.write("m/sqitch.plan", """
            %syntax-version=1.0.0
            %project=x

            a 2024-01-01T00:00:00Z Ann <ann@example.com> # a
            b 2024-01-01T00:00:01Z Ann <ann@example.com> # b
            @v1 2024-01-01T00:00:02Z Ann <ann@example.com> # tag
            b [b@v1] 2024-01-01T00:00:03Z Ann <ann@example.com> # rework
            @v2 2024-01-01T00:00:04Z Ann <ann@example.com> # tag
            b [b@v2] 2024-01-01T00:00:05Z Ann <ann@example.com> # rework

            """)
        dir.write("m/deploy/a.sql", "CREATE TABLE t(id INTEGER PRIMARY KEY);\n")
        dir.write("m/revert/a.sql", "DROP TABLE t;\n")
        for (file, column, down) in [("b@v1", "s1", "ALTER TABLE t DROP COLUMN s1;"), ("b@v2", "s2", "SELECT 1;"), ("b", "s3", "ALTER TABLE t DROP COLUMN s3;")] {
            dir.write("m/deploy/\(file).sql", "ALTER TABLE t ADD COLUMN \(column) TEXT;\n")
            dir.write("m/revert/\(file).sql", down + "\n")
        }
    }

    static func walk(_ dir: TempDir, from: String, to: String) throws -> MigrationWalkResult {
        var options = MigrationWalk.Options()
        options.outputDirectory = dir.file("walk-\(from)")
        options.scratchParent = dir.url
        options.from = from
        options.to = to
        return try MigrationWalk(directory: dir.file("m"), options: options).run()
    }

    @Test func aReworkedSqitchNameIsRefusedWithItsInstancesAndEachInstanceCanBeNamed() throws {
        let dir = TempDir()
        Self.reworked(dir)
        let error = try #require(throws: RehearseError.self) { try Self.walk(dir, from: "b", to: "b") }
        #expect(error.code == .badInput)
        #expect(error.message.contains("--from b: 3 migrations of"))
        #expect(error.message.contains("answer to b: b@v1 (step 2, version 2), b@v2 (step 3, version 3), b@HEAD (step 4, version 4). Name one of them as listed."))
        let v2 = try Self.walk(dir, from: "b@v2", to: "b@v2")
        #expect(v2.steps.map(\.version) == ["3"])
        #expect(v2.steps[0].files.contains("deploy/b@v2.sql"))
        #expect(v2.steps[0].status == "FAIL")  // its revert is the lossy one
        let head = try Self.walk(dir, from: "b@v1", to: "b@HEAD")
        #expect(head.steps.map(\.version) == ["2", "3", "4"])
        #expect(head.steps.map(\.status) == ["PASS", "FAIL", "PASS"])
        #expect(try MigrationWalkValidator.validate(head.walkFolder).findings.isEmpty)
        let unknown = try #require(throws: RehearseError.self) { try Self.walk(dir, from: "b@v9", to: "b@HEAD") }
        #expect(unknown.message.contains("--from b@v9: no migration"))
    }
}
