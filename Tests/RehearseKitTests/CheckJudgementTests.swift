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

/// One definition of a true check on both engines: exactly one row of one
/// value, the boolean true or the integer 1 as the engine typed it.
@Suite struct CheckJudgementTests {
    @Test(arguments: [
        (1, 1, CheckJudgement.Value.integer(1), true, "1 row: 1"),
        (1, 1, .boolean(true), true, "1 row: 1"),
        (1, 1, .boolean(false), false, "1 row: 1"),
        (1, 1, .integer(2), false, "1 row: 1"),
        (1, 1, .integer(0), false, "1 row: 1"),
        (1, 1, .other, false, "1 row: 1"),
        (1, 1, .null, false, "1 row: 1"),
        (0, 1, .integer(1), false, "0 rows"),
        (2, 1, .integer(1), false, "more than one row"),
        (1, 2, .integer(1), false, "1 row of 2 columns"),
    ])
    func theRule(rows: Int, columns: Int, value: CheckJudgement.Value, passed: Bool, returned: String) {
        let got = CheckJudgement.judge(rows: rows, columns: columns, value: value, shown: "1")
        #expect(got.passed == passed)
        #expect(got.returned == returned)
    }

    static let checks = """
        -- check: integer one
        SELECT 1;
        -- check: comparison
        SELECT count(*) = 2 FROM t;
        -- check: text one
        SELECT '1';
        -- check: real one
        SELECT 1.0;
        -- check: null
        SELECT NULL;
        -- check: two
        SELECT 2;
        """
    /// Integer 1 and a true comparison pass; text '1', 1.0, NULL and 2 fail.
    static let expected = [true, true, false, false, false, false]

    @Test func sqliteJudgesByTheSameRule() throws {
        let dir = TempDir()
        let scratch = try SQLiteScratch(keep: false, parent: dir.url)
        defer { scratch.tearDown(keep: false) }
        try scratch.connect().execute("CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1), (2);")
        let results = try scratch.runChecks(SQLScript(displayPath: "checks.sql", url: dir.file("checks.sql"), text: Self.checks, sha256: ""))
        #expect(results.map(\.passed) == Self.expected, "\(results.map(\.returned))")
    }

    @Test(.enabled(if: PostgresServer.found(), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"))
    func postgresJudgesByTheSameRule() throws {
        let dir = TempDir()
        let scratch = try PostgresScratch(target: .server(try TestPostgres.address), keep: false)
        defer { scratch.tearDown(keep: false) }
        _ = try scratch.apply(SQLScript(displayPath: "setup.sql", url: dir.file("setup.sql"),
                                        text: "CREATE TABLE t (a int); INSERT INTO t VALUES (1), (2);", sha256: ""), transactional: true)
        let results = try scratch.runChecks(SQLScript(displayPath: "checks.sql", url: dir.file("checks.sql"), text: Self.checks, sha256: ""))
        #expect(results.map(\.passed) == Self.expected, "\(results.map(\.returned))")
        // PostgreSQL's count(*) is bigint: an integer 1 of any width passes.
        let widths = try scratch.runChecks(SQLScript(displayPath: "w.sql", url: dir.file("w.sql"),
                                                     text: "SELECT 1::int2; SELECT 1::int8; SELECT true; SELECT 1::numeric;", sha256: ""))
        #expect(widths.map(\.passed) == [true, true, true, false], "\(widths.map(\.returned))")
    }
}
