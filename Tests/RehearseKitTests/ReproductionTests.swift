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

@Suite struct ReproductionTests {
    @Test func anHonestRunReproduces() throws {
        let dir = TempDir()
        let run = try rehearse(Repo.surrogate("lossy-rollback"), in: dir, seed: 3, scale: 0.1).runDirectory
        #expect(try Reproduction.check(runDirectory: run, scratchParent: dir.url).isEmpty)
        #expect(dir.leftovers("rehearse-").isEmpty)
    }

    @Test func consistentlyRewrittenDigestsAreCaughtOnlyByReproduction() throws {
        let dir = TempDir()
        let run = try rehearse(Repo.surrogate("commerce"), in: dir, scale: 0.05).runDirectory
        // A forger replaces the digest of orders (a table the birth does not
        // touch: forging customers, which the birth changes, would now break
        // R17) in pre, born and post, and recomputes every dependent digest and the seal.
        let url = run.appendingPathComponent("evidence.json")
        var statement = try JSONValue.parseStrict([UInt8](Data(contentsOf: url))).objectValue!
        var predicate = statement["predicate"]!.objectValue!
        var fps = predicate["fingerprints"]!.objectValue!
        for stage in ["pre", "born", "post"] {
            var fp = fps[stage]!.objectValue!
            var tables = fp["tables"]!.objectValue!
            tables["orders"] = ["rows": 100, "digest": .string(String(repeating: "1", count: 64))]
            fp["tables"] = .object(tables)
            fp["data_digest"] = .string(Digest.sha256Hex(JSONValue.object(tables).canonicalBytes))
            fps[stage] = .object(fp)
        }
        predicate["fingerprints"] = .object(fps)
        statement["predicate"] = .object(predicate)
        try Data(JSONValue.object(statement).canonicalBytes).write(to: url)
        try Seal.write(directory: run)
        #expect(try Validator().validate(runDirectory: run).isValid, "the evidence alone is self-consistent")
        let findings = try Reproduction.check(runDirectory: run, scratchParent: dir.url)
        #expect(findings.map(\.rule) == ["R10-reproduce"])
        #expect(findings.first?.message.contains("differs in orders") == true)
    }

    @Test func anEditedProfileNoLongerMatchesTheSpecDigest() throws {
        let dir = TempDir()
        let run = try rehearse(Repo.surrogate("commerce"), in: dir, scale: 0.05).runDirectory
        let profile = run.appendingPathComponent("inputs/profile.yaml")
        try (String(contentsOf: profile, encoding: .utf8) + "\n# edited\n").write(to: profile, atomically: true, encoding: .utf8)
        let findings = try Reproduction.check(runDirectory: run, scratchParent: dir.url)
        #expect(findings.contains { $0.path == "$.predicate.source.spec_digest" })
    }
}
