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

/// A column a CHECK the generator does not read leaves NULL in every row
/// holds one value; a birth that drops it and a rollback that adds it back
/// PASSed with every value lost (review of session 4). Such a run is refused
/// (exit 2) naming the column and the fix; a change that does not name the
/// column still runs.
@Suite struct VacuousColumnTests {
    static func surrogate(in dir: TempDir, birth: String, rollback: String) throws -> URL {
        shapedSurrogate(dir, schema: "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email TEXT CHECK (email LIKE '%@%'));\n", profile: "tables:\n  users: { rows: 50 }\n", name: "u",
                        birth: birth, rollback: rollback, seed: 1)
    }

    @Test func aChangeToAnAllNullFallbackColumnIsRefused() throws {
        let dir = TempDir()
        let url = try Self.surrogate(in: dir, birth: "ALTER TABLE users DROP COLUMN email;\n", rollback: "ALTER TABLE users ADD COLUMN email TEXT CHECK (email LIKE '%@%');\n")
        do {
            _ = try rehearse(url, in: dir)
            Issue.record("a rehearsal over a single-valued column ran")
        } catch let error as RehearseError {
            #expect(error.code.exitStatus == 2)
            #expect(error.message.contains("users, column email") && error.message.contains("a PASS would say nothing"), "\(error.message)")
        }
    }

    @Test func aChangeElsewhereStillRuns() throws {
        let dir = TempDir()
        let url = try Self.surrogate(in: dir, birth: "CREATE INDEX users_name ON users (name);\n", rollback: "DROP INDEX users_name;\n")
        let result = try rehearse(url, in: dir)
        #expect(result.record.verdict == .pass)
        #expect(result.validation.isValid, "\(result.validation.findings)")
    }
}
