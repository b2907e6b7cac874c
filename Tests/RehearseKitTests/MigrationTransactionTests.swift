import Foundation
import Testing
@testable import RehearseCore
@testable import RehearseKit

/// attack-13 F14 on SQLite, where rehearse runs every script in one
/// transaction: a migration the layout marks to run outside one, and a
/// script wrapping itself in BEGIN … COMMIT under a runner that already
/// wraps each migration, are NOT_REHEARSABLE with the reason (never PASS);
/// Sqitch, whose runner does not wrap, keeps its own pair blanked.
@Suite struct MigrationTransactionTests {
    static func walk(_ dir: TempDir, layout: MigrationLayout) throws -> MigrationWalkResult {
        var options = MigrationWalk.Options()
        options.layout = layout
        options.outputDirectory = dir.file("walk")
        options.scratchParent = dir.url
        let walk = try MigrationWalk(directory: dir.file("m"), options: options).run()
        #expect(try MigrationWalkValidator.validate(walk.walkFolder).findings.isEmpty)
        return walk
    }

    @Test func dbmateTransactionFalseAndASelfWrappedScriptAreNotRehearsableOnSQLite() throws {
        let dir = TempDir()
        dir.write("m/1_a.sql", "-- migrate:up\nCREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);\n-- migrate:down\nDROP TABLE t;\n")
        dir.write("m/2_b.sql", "-- migrate:up transaction:false\nCREATE INDEX ti ON t(v);\n-- migrate:down transaction:false\nDROP INDEX ti;\n")
        dir.write("m/3_c.sql", "-- migrate:up\nBEGIN;\nCREATE INDEX tj ON t(v);\nCOMMIT;\n-- migrate:down\nDROP INDEX tj;\n")
        let walk = try Self.walk(dir, layout: .dbmate)
        #expect(walk.steps.map(\.status) == ["PASS", "NOT_REHEARSABLE", "NOT_REHEARSABLE"])
        #expect(walk.steps[1].detail[0].contains("the layout marks this migration to run outside a transaction"))
        #expect(walk.steps[2].detail[0].contains("3_c.sql wraps itself in BEGIN … COMMIT, but this layout's runner already runs each migration in a transaction"))
        #expect(walk.exitStatus == 6)
    }

    @Test func golangMigrateAndFlywaySelfWrappedScriptsAreNotRehearsableOnSQLite() throws {
        let dir = TempDir()
        dir.write("m/1_a.up.sql", "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);\n")
        dir.write("m/1_a.down.sql", "DROP TABLE t;\n")
        dir.write("m/2_b.up.sql", "BEGIN;\nALTER TABLE t ADD COLUMN s TEXT;\nCOMMIT;\n")
        dir.write("m/2_b.down.sql", "ALTER TABLE t DROP COLUMN s;\n")
        let walk = try Self.walk(dir, layout: .golangMigrate)
        #expect(walk.steps.map(\.status) == ["PASS", "NOT_REHEARSABLE"])
        let flyway = TempDir()
        flyway.write("m/V1__a.sql", "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);\n")
        flyway.write("m/U1__a.sql", "DROP TABLE t;\n")
        flyway.write("m/V2__b.sql", "CREATE INDEX ti ON t(v);\n")
        flyway.write("m/U2__b.sql", "DROP INDEX ti;\n")
        flyway.write("m/V2__b.sql.conf", "executeInTransaction=false\n")
        let f = try Self.walk(flyway, layout: .flyway)
        #expect(f.steps.map(\.status) == ["PASS", "NOT_REHEARSABLE"])
        #expect(f.steps[1].detail[0].contains("outside a transaction"))
    }

    @Test func sqitchKeepsItsOwnWrapperBecauseItsRunnerDoesNotWrap() throws {
        let dir = TempDir()
        dir.write("m/sqitch.plan", "%syntax-version=1.0.0\n%project=x\n\na 2024-01-01T00:00:00Z Ann <ann@example.com> # a\n")
        dir.write("m/deploy/a.sql", "BEGIN;\nCREATE TABLE t(id INTEGER PRIMARY KEY);\nCOMMIT;\n")
        dir.write("m/revert/a.sql", "BEGIN;\nDROP TABLE t;\nCOMMIT;\n")
        let walk = try Self.walk(dir, layout: .sqitch)
        #expect(walk.steps.map(\.status) == ["PASS"])
    }
}
