import Foundation
import Testing

/// INCONCLUSIVE as a user meets it: exit status 6, the statement, its
/// file:line and what data would exercise it on the terminal, the verdict in
/// `--format json`, and `validate` agreeing.
@Suite struct InconclusiveCLITests {
    static func offCopy(_ name: String, in s: Scratch) throws -> String {
        let dest = s.url.appendingPathComponent(name)
        try FileManager.default.copyItem(at: CLI.root.appendingPathComponent("surrogates/\(name)"), to: dest)
        try? FileManager.default.removeItem(at: dest.appendingPathComponent("SEAL.sha256"))
        let profile = dest.appendingPathComponent("profile.yaml")
        try (String(contentsOf: profile, encoding: .utf8) + "edge_cases: off\ntargeting: off\n").write(to: profile, atomically: true, encoding: .utf8)
        return dest.path
    }

    @Test func anUnexercisedBirthExitsSixNamingTheStatementAndTheData() throws {
        let s = Scratch()
        let r = try CLI.run(["run", try Self.offCopy("lossy-null-delete", in: s), "--out", s.path("run")], environment: s.env)
        #expect(r.status == 6, "\(r.all)")
        #expect(r.stdout.contains("Verdict: INCONCLUSIVE (evidence valid)"))
        #expect(r.stdout.contains("birth.sql:2"))
        #expect(r.stdout.contains("no row of continuity_containers matched `where selfservice_flow_id is null`: the column selfservice_flow_id has no NULLs; give it a `null_fraction`"))
        #expect(!r.stdout.contains("PASS"))
        let v = try CLI.run(["validate", s.path("run")])
        #expect(v.status == 6, "\(v.all)")
        #expect(v.stdout.contains("evidence valid; verdict INCONCLUSIVE"))
    }

    @Test func jsonCarriesTheVerdictAndTheMatchedRows() throws {
        let s = Scratch()
        let r = try CLI.run(["run", try Self.offCopy("lossy-lowercase", in: s), "--out", s.path("run"), "--format", "json"], environment: s.env)
        #expect(r.status == 6, "\(r.all)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(json["verdict"] as? String == "INCONCLUSIVE")
        let predicate = (json["evidence"] as? [String: Any])?["predicate"] as? [String: Any]
        let birth = (predicate?["statements"] as? [String: Any])?["birth"] as? [[String: Any]]
        #expect(birth?.first?["matched_rows"] as? Int == 300)
        #expect((predicate?["unexercised"] as? [Any])?.count == 1)
    }

    @Test func theBundledLossyPatternsFailByDefault() throws {
        let s = Scratch()
        for name in ["lossy-lowercase", "lossy-null-delete"] {
            let r = try CLI.run(["run", name, "--out", s.path(name), "--quiet"], environment: s.env)
            #expect(r.status == 1, "\(name): \(r.all)")
            #expect(r.stdout.contains("Verdict: FAIL (evidence valid)"))
        }
    }
}
