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

/// Every exit status comes from `ExitStatus` (the README's table), so the
/// CLI's commands cannot disagree and an error no code path translated is an
/// environment problem, never bad input.
@Suite struct ExitStatusTests {
    @Test func rehearseErrorsEndWithTheirCode() {
        let table: [(RehearseError.Code, Int32)] = [(.rehearsalFailed, 1), (.badInput, 2), (.refused, 3), (.environment, 4),
                                                    (.evidenceRejected, 5), (.inconclusive, 6)]
        for (code, status) in table {
            #expect(ExitStatus.of(RehearseError(code, "x")) == status)
        }
    }

    @Test func aRawErrorIsAnEnvironmentProblemNeverBadInput() {
        // SQLITE_FULL (13) and SQLITE_IOERR_WRITE (778): a full disk.
        #expect(ExitStatus.of(SQLiteError(resultCode: 13, message: "database or disk is full", sql: "COMMIT")) == 4)
        #expect(ExitStatus.of(SQLiteError(resultCode: 778, message: "disk I/O error", sql: nil)) == 4)
        #expect(ExitStatus.of(PGError(sqlstate: "53100", message: "could not extend file: No space left on device")) == 4)
        #expect(ExitStatus.of(CocoaError(.fileWriteOutOfSpace)) == 4)
        #expect(ExitStatus.of(NSError(domain: NSPOSIXErrorDomain, code: Int(ENOSPC))) == 4)
        struct Unknown: Error {}
        #expect(ExitStatus.of(Unknown()) == 4)
    }

    @Test func cancellationIsAnInterrupt() {
        // No signal arrived in this process: SIGINT's status.
        #expect(Interruption.signal == nil)
        #expect(ExitStatus.of(CancellationError()) == 130)
    }

    @Test func validityAndVerdictTable() {
        #expect(ExitStatus.of(valid: true, verdict: .pass) == 0)
        #expect(ExitStatus.of(valid: true, verdict: .fail) == 1)
        #expect(ExitStatus.of(valid: true, verdict: .inconclusive) == 6)
        #expect(ExitStatus.of(valid: true, verdict: nil) == 0)
        for verdict in [Verdict.pass, .fail, .inconclusive, nil] {
            #expect(ExitStatus.of(valid: false, verdict: verdict) == 5)
        }
    }

    @Test func aWrappedErrorKeepsItsCauseAndItsWords() throws {
        let cause = SQLiteError(resultCode: 13, message: "database or disk is full", sql: "COMMIT")
        let error = RehearseError.wrapping(cause, code: .environment, message: "The scratch database could not be written: the disk is full.")
        #expect(error.description == "The scratch database could not be written: the disk is full.")
        #expect(error.message == error.description)
        #expect(error.code == .environment)
        let kept = try #require(error.underlying as? SQLiteError)
        #expect(kept.resultCode == 13)
        #expect(ExitStatus.of(error) == 4)
        #expect(RehearseError(.badInput, "x").underlying == nil)
    }
}
