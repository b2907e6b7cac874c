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

@Suite struct RehearsalTests {
    @Test func commercePassesWithValidSealedEvidence() throws {
        let dir = TempDir()
        let result = try rehearse(Repo.surrogate("commerce"), in: dir, scale: 0.2)
        #expect(result.record.verdict == .pass)
        #expect(result.validation.isValid, "\(result.validation.findings)")
        #expect(result.validation.verdict == .pass)
        #expect(result.record.phases.map(\.phase) == Phase.allCases)
        #expect(result.record.pre == result.record.post)
        // The birth surface names what birth changed.
        let surface = try #require(result.record.birthSurface)
        #expect(surface.schema.contains { $0.name == "customer_phones" && $0.change == .added })
        #expect(surface.schema.contains { $0.name == "customers" && $0.details.contains("column phone removed") })
        #expect(try Seal.verify(directory: result.runDirectory).isEmpty)
        // The scratch database is gone.
        #expect(dir.leftovers("rehearse-").isEmpty)
    }

    @Test func lossyRollbackFailsNamingTableColumnAndRowCount() throws {
        let dir = TempDir()
        let result = try rehearse(Repo.surrogate("lossy-rollback"), in: dir, scale: 0.2)
        #expect(result.record.verdict == .fail)
        #expect(result.validation.isValid, "\(result.validation.findings)")
        let drift = try #require(result.record.drift)
        #expect(drift.schema.isEmpty)
        #expect(drift.data.map(\.table) == ["customers"])
        // Count, independently, the phones the rollback's substr(…, 1, 12) cuts.
        let db = try generated("commerce", in: dir, scale: 0.2)
        let expected = try db.int("SELECT count(*) FROM customers WHERE length(phone) > 12")
        #expect(expected > 0)
        #expect(drift.data[0].changed == expected)
        #expect(drift.data[0].columns == ["phone": expected])
        #expect(drift.data[0].added == 0 && drift.data[0].removed == 0)
        #expect(drift.data[0].sampleKeys.count == 5)
    }

    @Test func sameSeedGivesIdenticalPreBirthFingerprints() throws {
        let dir = TempDir()
        let a = try rehearse(Repo.surrogate("commerce"), in: dir, seed: 5, scale: 0.1)
        let b = try rehearse(Repo.surrogate("commerce"), in: dir, seed: 5, scale: 0.1)
        let c = try rehearse(Repo.surrogate("commerce"), in: dir, seed: 6, scale: 0.1)
        #expect(a.record.pre == b.record.pre)
        #expect(a.evidence["fingerprints"]?["pre"] == b.evidence["fingerprints"]?["pre"])
        #expect(a.record.pre?.dataDigest != c.record.pre?.dataDigest)
    }

    @Test func birthSyntaxErrorFailsNamingFileLineAndStatement() throws {
        let dir = TempDir()
        let url = Repo.copy("commerce", into: dir)
        try "-- broken\nCREATE TABLE ok (id INTEGER PRIMARY KEY);\n\nALTER TABLE customers DROPP COLUMN phone;\n"
            .write(to: url.appendingPathComponent("birth.sql"), atomically: true, encoding: .utf8)
        let result = try rehearse(url, in: dir, scale: 0.05)
        #expect(result.record.verdict == .fail)
        #expect(result.validation.isValid)
        let failure = try #require(result.record.failure)
        #expect(failure.phase == .birth)
        #expect(failure.message.contains("birth.sql:4:"), "\(failure.message)")
        #expect(failure.message.contains("syntax error"))
        #expect(failure.message.contains("DROPP"))
        #expect(result.record.phases.filter { $0.outcome == .skipped }.count == 6)
    }

    @Test func birthRuntimeErrorRollsBackTheWholeScript() throws {
        let dir = TempDir()
        let url = Repo.copy("commerce", into: dir)
        try "CREATE TABLE left_behind (id INTEGER);\nINSERT INTO customers (id, email, full_name, tier, created_at) VALUES (1, 'x@example.test', 'X', 'standard', '2020-01-01');\n"
            .write(to: url.appendingPathComponent("birth.sql"), atomically: true, encoding: .utf8)
        let result = try rehearse(url, in: dir, scale: 0.05, keep: true)
        defer { try? FileManager.default.removeItem(at: result.keptAt!.deletingLastPathComponent()) }
        let failure = try #require(result.record.failure)
        #expect(failure.message.contains("birth.sql:2:"))
        #expect(failure.message.contains("UNIQUE constraint failed"))
        let db = try SQLiteConnection(path: result.keptAt!.path)
        #expect(try db.int("SELECT count(*) FROM sqlite_schema WHERE name = 'left_behind'") == 0)
    }

    @Test func failingCheckFailsTheRehearsalAndSaysWhatItReturned() throws {
        let dir = TempDir()
        let url = Repo.copy("commerce", into: dir)
        try "-- check: no customer is a vip\nSELECT count(*) = 0 FROM customers WHERE tier = 'vip';\n\n-- check: two values\nSELECT 1, 1;\n"
            .write(to: url.appendingPathComponent("after-rollback.sql"), atomically: true, encoding: .utf8)
        let result = try rehearse(url, in: dir, scale: 0.1)
        #expect(result.record.verdict == .fail)
        #expect(result.validation.isValid)
        let failed = result.record.checksAfterRollback.filter { !$0.passed }
        #expect(failed.map(\.name) == ["no customer is a vip", "two values"])
        #expect(failed[0].returned == "1 row: 0")
        #expect(failed[0].line == 2)
        #expect(failed[1].returned == "1 row of 2 columns")
        #expect(result.record.drift?.isEmpty == true)
    }

    @Test func checksCannotWriteToTheDatabase() throws {
        let dir = TempDir()
        let url = Repo.copy("commerce", into: dir)
        try "-- check: sneaky\nDELETE FROM payments RETURNING 1;\n".write(to: url.appendingPathComponent("after-birth.sql"), atomically: true, encoding: .utf8)
        let result = try rehearse(url, in: dir, scale: 0.05)
        let check = try #require(result.record.checksAfterBirth.first)
        #expect(!check.passed)
        #expect(check.returned.contains("DELETE (payments) is not allowed in a check"), "\(check.returned)")
        #expect(result.record.drift?.isEmpty == true)
    }

    @Test func rollbackThatForgetsAnIndexIsSchemaDrift() throws {
        let dir = TempDir()
        let url = Repo.copy("commerce", into: dir)
        let rollback = try String(contentsOf: url.appendingPathComponent("rollback.sql"), encoding: .utf8)
            .replacingOccurrences(of: "CREATE INDEX idx_customers_created ON customers (created_at);", with: "")
        try rollback.write(to: url.appendingPathComponent("rollback.sql"), atomically: true, encoding: .utf8)
        let result = try rehearse(url, in: dir, scale: 0.05)
        #expect(result.record.verdict == .fail)
        #expect(result.record.drift?.schema.map { "\($0.kind) \($0.name) \($0.change)" } == ["index idx_customers_created removed"])
    }

    @Test func keepLeavesTheScratchDatabaseAndSaysWhere() throws {
        let dir = TempDir()
        let result = try rehearse(Repo.surrogate("commerce"), in: dir, scale: 0.05, keep: true)
        let kept = try #require(result.keptAt)
        #expect(FileManager.default.fileExists(atPath: kept.path))
        #expect(try SQLiteConnection(path: kept.path).int("SELECT count(*) FROM customers") == 100)
    }

    @Test func outputFolderWithFilesIsRefusedBeforeAnyWork() throws {
        let dir = TempDir()
        dir.write("used/evidence.json", "{}")
        var options = Rehearsal.Options()
        options.outputDirectory = dir.file("used")
        options.scratchParent = dir.url
        #expect {
            try Rehearsal(source: SurrogateSource(directory: Repo.surrogate("commerce")), options: options).run()
        } throws: { ($0 as? RehearseError)?.code == .badInput && "\($0)".contains("never overwrites evidence") }
        #expect(dir.leftovers("rehearse-").isEmpty)
        #expect(try String(contentsOf: dir.file("used/evidence.json"), encoding: .utf8) == "{}")
    }

    @Test func missingBirthFileIsBadInputBeforeProvisioning() throws {
        let dir = TempDir()
        let url = Repo.copy("commerce", into: dir)
        try FileManager.default.removeItem(at: url.appendingPathComponent("birth.sql"))
        #expect {
            _ = try rehearse(url, in: dir)
        } throws: { ($0 as? RehearseError)?.code == .badInput && "\($0)".contains("birth.sql: the file is missing") }
        #expect(dir.leftovers("rehearse-").isEmpty)
    }
}
