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

/// Numbers from a schema's CHECKs reach the plan's value functions without
/// passing the profile's bounds: they must never trap, whatever their size.
@Suite struct AdversarialPlanTests {
    static let checks = [
        "b > a + 1e19", "b >= a + 9223372036854775807", "b <= a - 1e300", "b > a AND b < a + 1e30",
        "b >= a + -9223372036854775808", "d > c + 1e19", "d >= c + 1e12", "d < c - 1e300",
    ]

    @Test(arguments: checks)
    func hugeCheckOffsetsNeverTrap(_ check: String) throws {
        let dir = TempDir()
        dir.write("s/manifest.yaml", "name: off\nschema: schema.sql\nprofile: profile.yaml\nbirth: b.sql\nrollback: b.sql\n")
        dir.write("s/b.sql", "SELECT 1;\n")
        dir.write("s/profile.yaml", "tables:\n  t: { rows: 50 }\n")
        dir.write("s/schema.sql", "CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER NOT NULL, b INTEGER, c TEXT NOT NULL, d TEXT, CHECK (\(check)));\n")
        // Either a database or a sentence saying which CHECK could not be met.
        do {
            _ = try SurrogateGenerator.generate(SurrogateSource(directory: dir.file("s")), to: dir.file("g.sqlite"))
        } catch let error as RehearseError {
            #expect(error.code == .badInput, "\(error)")
            #expect(error.message.contains("CHECK constraint failed"), "\(error)")
        }
    }

    /// The plan refuses what the command line never saw: evidence under
    /// --reproduce and library callers reach it directly.
    @Test(arguments: [1e7, 1e16, 1e300, .infinity, .nan, 0, -1])
    func planRefusesAScaleOutOfBounds(_ scale: Double) throws {
        let shapes = try SQLiteSchemaShapes.read(schema: "CREATE TABLE t (id INTEGER PRIMARY KEY);")
        #expect {
            _ = try SurrogatePlan(shapes: shapes, profile: ShapeProfile(), seed: 1, scale: scale, profileFile: "profile.yaml")
        } throws: { error in
            (error as? RehearseError)?.code == .badInput && "\(error)".contains("scale")
        }
    }

    @Test func planAcceptsTheLargestRowCountsAndNoMore() throws {
        let shapes = try SQLiteSchemaShapes.read(schema: "CREATE TABLE t (id INTEGER PRIMARY KEY); CREATE TABLE u (id INTEGER PRIMARY KEY);")
        let most = ShapeProfile(tables: [:], defaultRows: Limits.maxRowsPerRun / 2)
        let plan = try SurrogatePlan(shapes: shapes, profile: most, seed: 1, scale: 1, profileFile: "profile.yaml")
        #expect(plan.totalRows == Limits.maxRowsPerRun)
        #expect(throws: RehearseError.self) {
            _ = try SurrogatePlan(shapes: shapes, profile: most, seed: 1, scale: 1.000001, profileFile: "profile.yaml")
        }
    }
}
