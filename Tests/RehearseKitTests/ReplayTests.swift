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

/// `validate --replay`: the rehearsal run again from the sealed inputs must
/// come out as recorded. Plain validation checks that evidence is intact and
/// consistent; only replay can tell a consistent lie from the truth.
enum ReplayForgery {
    /// A real FAIL run of a lossy rollback rewritten into a consistent PASS:
    /// post set to pre, drift emptied, every phase ok, no failure, verdict
    /// PASS, resealed. Nothing inside the folder contradicts it any more.
    static func lossyToPass(_ run: URL) throws {
        let url = run.appendingPathComponent("evidence.json")
        var e = try JSONValue.parseStrict([UInt8](Data(contentsOf: url)))
        let pre = e["predicate"]!["fingerprints"]!["pre"]!
        Forge.set(&e, "predicate.fingerprints.post", pre)
        Forge.set(&e, "predicate.drift", ["schema": .array([]), "data": .array([])])
        Forge.set(&e, "predicate.failure", .null)
        Forge.set(&e, "predicate.verdict", "PASS")
        for i in 0..<Phase.allCases.count { Forge.set(&e, "predicate.phases.\(i).outcome", "ok") }
        try Data(e.canonicalBytes).write(to: url)
        try Seal.write(directory: run)
    }
}

@Suite struct ReplayTests {
    @Test func aGenuinePassReplays() throws {
        let dir = TempDir()
        let run = try rehearse(Repo.surrogate("commerce"), in: dir, seed: 4, scale: 0.05).runDirectory
        let findings = try Replay.check(runDirectory: run, scratchParent: dir.url)
        #expect(findings.isEmpty, "\(findings)")
        #expect(dir.leftovers("rehearse-").isEmpty, "no scratch database or sealed copy is left")
    }

    @Test func aGenuineFailReplays() throws {
        let dir = TempDir()
        let result = try rehearse(Repo.surrogate("lossy-rollback"), in: dir, seed: 4, scale: 0.05)
        #expect(result.validation.verdict == .fail)
        let findings = try Replay.check(runDirectory: result.runDirectory, scratchParent: dir.url)
        #expect(findings.isEmpty, "\(findings)")
    }

    @Test func aLossyRunForgedIntoAConsistentPassIsRejectedOnlyByReplay() throws {
        let dir = TempDir()
        let run = try rehearse(Repo.surrogate("lossy-rollback"), in: dir, seed: 4, scale: 0.05).runDirectory
        try ReplayForgery.lossyToPass(run)
        // Plain validation cannot see the lie: the folder is consistent.
        let plain = try Validator().validate(runDirectory: run)
        #expect(plain.isValid && plain.verdict == .pass, "\(plain.findings)")
        // Nor can reproduction, which regenerates only the pre-birth state.
        #expect(try Reproduction.check(runDirectory: run, scratchParent: dir.url).isEmpty)
        let findings = try Replay.check(runDirectory: run, scratchParent: dir.url)
        #expect(findings.allSatisfy { $0.rule == Replay.rule })
        #expect(findings.contains { $0.path == "$.predicate.verdict" && $0.message == "claims PASS, but the rehearsal run again from the sealed inputs ends FAIL" })
        #expect(findings.contains { $0.path == "$.predicate.fingerprints.post" && $0.message.contains("tables customers") })
        #expect(findings.contains { $0.path == "$.predicate.drift" && $0.message.contains("recorded none, replayed 0 schema objects and 1 tables (customers)") })
        #expect(dir.leftovers("rehearse-").isEmpty)
    }

    @Test func aBornFingerprintRewrittenConsistentlyIsRejected() throws {
        let dir = TempDir()
        let run = try rehearse(Repo.surrogate("commerce"), in: dir, seed: 4, scale: 0.05).runDirectory
        let url = run.appendingPathComponent("evidence.json")
        var e = try JSONValue.parseStrict([UInt8](Data(contentsOf: url)))
        // Claim birth left orders untouched: its born digest set to pre's, the
        // born data digest recomputed.
        let pre = e["predicate"]!["fingerprints"]!["pre"]!["tables"]!
        var born = e["predicate"]!["fingerprints"]!["born"]!["tables"]!
        born = Forge.setting(born, ["customers"], to: pre["customers"]!)
        Forge.set(&e, "predicate.fingerprints.born.tables", born)
        Forge.set(&e, "predicate.fingerprints.born.data_digest", .string(Digest.sha256Hex(born.canonicalBytes)))
        try Data(e.canonicalBytes).write(to: url)
        try Seal.write(directory: run)
        let findings = try Replay.check(runDirectory: run, scratchParent: dir.url)
        #expect(findings.contains { $0.path == "$.predicate.fingerprints.born" && $0.message.contains("customers") }, "\(findings)")
    }

    @Test func checksRecordedAsPassingThatFailOnReplayAreRejected() throws {
        let dir = TempDir()
        let surrogate = Repo.copy("commerce", into: dir)
        // A check that fails after rollback; the forger records it as passing.
        try replace("after-rollback.sql", in: surrogate, with: "-- check: never\nSELECT 0;\n")
        let run = try rehearse(surrogate, in: dir, scale: 0.05).runDirectory
        let url = run.appendingPathComponent("evidence.json")
        var e = try JSONValue.parseStrict([UInt8](Data(contentsOf: url)))
        Forge.set(&e, "predicate.checks.after_rollback.0.outcome", "pass")
        Forge.set(&e, "predicate.checks.after_rollback.0.returned", "1 row: 1")
        Forge.set(&e, "predicate.verdict", "PASS")
        for i in 0..<Phase.allCases.count { Forge.set(&e, "predicate.phases.\(i).outcome", "ok") }
        try Data(e.canonicalBytes).write(to: url)
        try Seal.write(directory: run)
        #expect(try Validator().validate(runDirectory: run).isValid)
        let findings = try Replay.check(runDirectory: run, scratchParent: dir.url)
        #expect(findings.contains { $0.path == "$.predicate.checks.after_rollback" && $0.message.contains("never: fail") }, "\(findings)")
        #expect(findings.contains { $0.path == "$.predicate.verdict" })
    }

    @Test func aForgedScaleIsAFindingNotATrap() throws {
        let dir = TempDir()
        let run = try rehearse(Repo.surrogate("commerce"), in: dir, scale: 0.05).runDirectory
        let url = run.appendingPathComponent("evidence.json")
        var e = try JSONValue.parseStrict([UInt8](Data(contentsOf: url)))
        Forge.set(&e, "predicate.source.scale", "1e300")
        try Data(e.canonicalBytes).write(to: url)
        try Seal.write(directory: run)
        let findings = try Replay.check(runDirectory: run, scratchParent: dir.url)
        #expect(findings.map(\.path) == ["$.predicate.source.scale"])
    }
}
