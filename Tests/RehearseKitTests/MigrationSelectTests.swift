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

/// attack-13 F3/F5/L11: each runner's own order and its own idea of one version.
@Suite struct MigrationOrderTests {
    static func dbmate(_ dir: TempDir, _ name: String, _ table: String) {
        dir.write("m/\(name)", "-- migrate:up\nCREATE TABLE \(table)(id INTEGER PRIMARY KEY);\n-- migrate:down\nDROP TABLE \(table);\n")
    }

    @Test func dbmateAppliesFilesInNameOrderAndItsVersionsAreStrings() throws {
        let dir = TempDir()
        Self.dbmate(dir, "10_a.sql", "t")
        Self.dbmate(dir, "9_b.sql", "u")
        Self.dbmate(dir, "02_c.sql", "v")
        Self.dbmate(dir, "2_d.sql", "w")
        let set = try DbmateReader.read(dir.file("m"))
        // Go compares the names byte by byte: "02_c" < "10_a" < "2_d" < "9_b".
        #expect(set.steps.map(\.version) == ["02", "10", "2", "9"])
        #expect(set.notes.contains { $0.contains("dbmate applies files in name order") })
        let dup = TempDir()
        Self.dbmate(dup, "2_a.sql", "t")
        Self.dbmate(dup, "2_z.sql", "u")
        let error = try #require(throws: RehearseError.self) { try DbmateReader.read(dup.file("m")) }
        #expect(error.code == .badInput)
        #expect(error.message.contains("2_a.sql and 2_z.sql have the same version 2; dbmate would apply only the first"))
    }

    @Test func golangMigrateVersionsAreNumbersSoOneAndZeroOneAreOneVersion() throws {
        let dir = TempDir()
        dir.write("m/1_a.up.sql", "CREATE TABLE t(id INTEGER PRIMARY KEY);\n")
        dir.write("m/1_a.down.sql", "DROP TABLE t;\n")
        dir.write("m/01_b.up.sql", "CREATE TABLE u(id INTEGER PRIMARY KEY);\n")
        dir.write("m/01_b.down.sql", "DROP TABLE u;\n")
        let error = try #require(throws: RehearseError.self) { try GolangMigrateReader.read(dir.file("m")) }
        #expect(error.message.contains("are both the down of version") || error.message.contains("are both the up of version"))
        let order = TempDir()
        for (v, t) in [("10", "t"), ("9", "u")] {
            order.write("m/\(v)_x.up.sql", "CREATE TABLE \(t)(id INTEGER PRIMARY KEY);\n")
            order.write("m/\(v)_x.down.sql", "DROP TABLE \(t);\n")
        }
        #expect(try GolangMigrateReader.read(order.file("m")).steps.map(\.version) == ["9", "10"])
    }
}
