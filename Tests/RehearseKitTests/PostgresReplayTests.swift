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

@Suite(.serialized,
       // Skipped where the PostgreSQL server is not installed (one line at the end of the run counts them).
       .enabled(if: PostgresServer.found(), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)")) struct PostgresReplayTests {
    @Test func aGenuinePostgresRunReplaysInAPrivateEphemeralCluster() throws {
        let dir = TempDir()
        let result = try rehearsePostgres(Repo.surrogate("commerce"), in: dir, scale: 0.05)
        #expect(result.validation.isValid, "\(result.validation.findings)")
        #expect(result.evidence["predicate"]?["target"]?["kind"] == "postgres-server")
        // The default: a private ephemeral cluster, removed afterwards.
        let findings = try Replay.check(runDirectory: result.runDirectory, scratchParent: dir.url)
        #expect(findings.isEmpty, "\(findings)")
        #expect(dir.leftovers("rehearse-pg-").isEmpty)
        #expect(postmasters(under: dir.url).isEmpty)
    }

    @Test func aPostgresLossyRunForgedIntoAPassIsRejected() throws {
        let dir = TempDir()
        let result = try rehearsePostgres(Repo.surrogate("lossy-rollback"), in: dir, scale: 0.05)
        #expect(result.validation.isValid && result.validation.verdict == .fail, "\(result.validation.findings)")
        try ReplayForgery.lossyToPass(result.runDirectory)
        #expect(try Validator().validate(runDirectory: result.runDirectory).isValid)
        let findings = try Replay.check(runDirectory: result.runDirectory, scratchParent: dir.url, postgres: .server(try TestPostgres.address))
        #expect(findings.contains { $0.path == "$.predicate.verdict" && $0.message.hasSuffix("ends FAIL") }, "\(findings)")
        #expect(findings.contains { $0.path == "$.predicate.drift" })
    }
}
