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

/// The INCONCLUSIVE rules on PostgreSQL: the same two lossy patterns, and a
/// data change hidden in a DO block, which rehearse cannot count and so
/// judges by the data surface.
@Suite(// Skipped where the PostgreSQL server is not installed (one line at the end of the run counts them).
       .enabled(if: PostgresServer.found(), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)")) struct InconclusivePostgresTests {
    @Test func bothLossyPatternsFailByDefaultAndAreInconclusiveWithoutEdgeCases() throws {
        let dir = TempDir()
        for name in ["lossy-lowercase", "lossy-null-delete"] {
            let fail = try rehearsePostgres(Repo.surrogate(name), in: dir)
            #expect(fail.record.verdict == .fail, "\(name)")
            #expect(fail.validation.isValid, "\(fail.validation.findings)")
            let off = try InconclusiveTests.copy(name, in: dir, profile: InconclusiveTests.off)
            let result = try rehearsePostgres(off, in: dir)
            #expect(result.record.verdict == .inconclusive, "\(name)")
            #expect(result.validation.verdict == .inconclusive, "\(result.validation.findings)")
        }
    }

    @Test func aDoBlockThatChangesNothingIsInconclusiveAndOneThatDoesIsJudgedByTheRollback() throws {
        let dir = TempDir()
        let url = try InconclusiveTests.copy("lossy-null-delete", in: dir, profile: InconclusiveTests.off)
        try replace("birth.sql", in: url, with: "DO $$ BEGIN DELETE FROM continuity_containers WHERE selfservice_flow_id IS NULL; END $$;\n")
        let result = try rehearsePostgres(url, in: dir)
        #expect(result.record.verdict == .inconclusive)
        #expect(result.validation.verdict == .inconclusive, "\(result.validation.findings)")
        #expect(result.evidence["predicate"]?["statements"]?["birth"]?.arrayValue?.first?["effect"] == "opaque")
        #expect(result.record.exercise?.unexercised.first?.reason.contains("can change data but no row of any table that existed before birth differs after it") == true)
        // With the mix on, the hidden DELETE removes rows: the empty rollback FAILs.
        let on = Repo.copy("lossy-null-delete", into: dir, as: "on")
        try replace("birth.sql", in: on, with: "DO $$ BEGIN DELETE FROM continuity_containers WHERE selfservice_flow_id IS NULL; END $$;\n")
        #expect(try rehearsePostgres(on, in: dir).record.verdict == .fail)
    }

    /// A precision-reducing rewrite that changes no stored value is not
    /// exercised, even beside another real change; a widening one keeps every
    /// value by construction and counts (PostgresEngineTests keeps int → bigint a PASS).
    @Test func aRoundingRewriteThatChangesNothingIsInconclusive() throws {
        let dir = TempDir()
        let url = Repo.copy("lossy-lowercase", into: dir)
        try replace("birth.sql", in: url, with: "UPDATE identities SET schema_id = 'v2';\nALTER TABLE verifiable_addresses ALTER COLUMN created_at TYPE timestamp(0);\n")
        try replace("rollback.sql", in: url, with: "ALTER TABLE verifiable_addresses ALTER COLUMN created_at TYPE timestamp;\nUPDATE identities SET schema_id = 'default';\n")
        let result = try rehearsePostgres(url, in: dir)
        #expect(result.record.verdict == .inconclusive)
        #expect(result.record.exercise?.unexercised.first?.reason.contains("rewrote verifiable_addresses but changed no stored value") == true)
    }
}
