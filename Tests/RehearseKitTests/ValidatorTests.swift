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

@Suite struct ValidatorTests {
    /// One real run folder per test, from a small rehearsal.
    func run(_ dir: TempDir, _ name: String = "commerce") throws -> URL {
        try rehearse(Repo.surrogate(name), in: dir, scale: 0.05).runDirectory
    }

    func evidence(_ run: URL) throws -> JSONValue {
        try JSONValue.parseStrict([UInt8](Data(contentsOf: run.appendingPathComponent("evidence.json"))))
    }

    /// Rewrites the evidence statement with `change` applied, then reseals, as
    /// a forger with write access would: only the rules beyond the seal can
    /// catch it.
    func forgeStatement(_ run: URL, _ change: (inout [String: JSONValue]) -> Void) throws {
        guard case .object(var members) = try evidence(run) else { Issue.record("evidence is not an object"); return }
        change(&members)
        try Data(JSONValue.object(members).canonicalBytes).write(to: run.appendingPathComponent("evidence.json"))
        try Seal.write(directory: run)
    }

    /// The same, applied to the rehearsal record (the statement's predicate).
    func forge(_ run: URL, _ change: (inout [String: JSONValue]) -> Void) throws {
        try forgeStatement(run) { statement in
            guard case .object(var predicate) = statement["predicate"]! else { return }
            change(&predicate)
            statement["predicate"] = .object(predicate)
        }
    }

    func firedRules(_ run: URL) throws -> Set<String> {
        Set(try Validator().validate(runDirectory: run).findings.map(\.rule))
    }

    @Test func untouchedEvidenceIsValid() throws {
        let dir = TempDir()
        let report = try Validator().validate(runDirectory: run(dir))
        #expect(report.isValid, "\(report.findings)")
        #expect(report.verdict == .pass)
    }

    @Test func aFlippedByteBreaksTheSeal() throws {
        let dir = TempDir()
        let r = try run(dir)
        var bytes = [UInt8](try Data(contentsOf: r.appendingPathComponent("evidence.json")))
        bytes[bytes.count / 2] ^= 0x01
        try Data(bytes).write(to: r.appendingPathComponent("evidence.json"))
        let report = try Validator().validate(runDirectory: r)
        #expect(report.findings.contains { $0.rule == "R2-seal" && $0.path == "evidence.json" && $0.message.contains("bytes differ") })
        #expect(report.verdict == .fail)
    }

    @Test func singleByteChangesAcrossTheEvidenceAreAllRejected() throws {
        let dir = TempDir()
        let r = try run(dir)
        let url = r.appendingPathComponent("evidence.json")
        let original = [UInt8](try Data(contentsOf: url))
        var positions = Array(stride(from: 0, to: original.count, by: max(1, original.count / 150)))
        positions.append(original.count - 1)
        for position in positions {
            var bytes = original
            bytes[position] = bytes[position] == UInt8(ascii: "x") ? UInt8(ascii: "y") : UInt8(ascii: "x")
            try Data(bytes).write(to: url)
            #expect(try !Validator().validate(runDirectory: r).isValid, "a change at byte \(position) was accepted")
        }
        try Data(original).write(to: url)
        #expect(try Validator().validate(runDirectory: r).isValid)
    }

    @Test func passClaimedWithDriftIsRejectedEvenWhenResealed() throws {
        let dir = TempDir()
        let r = try run(dir, "lossy-rollback")
        try forge(r) { $0["verdict"] = "PASS" }
        let report = try Validator().validate(runDirectory: r)
        #expect(report.findings.map { $0.rule } == ["R5-verdict"])
        #expect(report.findings[0].message.contains("post differs from pre"))
        #expect(report.verdict == .fail)
    }

    @Test func passClaimedWithAFailedCheckIsRejected() throws {
        let dir = TempDir()
        let r = try run(dir)
        try forge(r) { e in
            guard case .object(var checks) = e["checks"]!, case .array(var after) = checks["after_rollback"]!, case .object(var first) = after[0] else { return }
            first["outcome"] = "fail"
            after[0] = .object(first)
            checks["after_rollback"] = .array(after)
            e["checks"] = .object(checks)
        }
        // R13 also sees a failed check under a phase recorded as ok.
        #expect(try firedRules(r) == ["R5-verdict", "R13-checks"])
    }

    @Test func aSurrogatePresentedAsRealIsRejected() throws {
        let dir = TempDir()
        let r = try run(dir)
        try forge(r) { e in
            guard case .object(var source) = e["source"]! else { return }
            source["tag"] = "REAL_PRODUCTION_DUMP"
            e["source"] = .object(source)
        }
        #expect(try firedRules(r) == ["R6-tag"])
    }

    @Test func realDataUnderHoldWithoutGrantIsRejected() throws {
        let dir = TempDir()
        let r = try run(dir)
        try forge(r) { e in
            guard case .object(var source) = e["source"]! else { return }
            source["kind"] = "dump_clone"
            e["source"] = .object(source)
        }
        let report = try Validator().validate(runDirectory: r)
        // R6: real data under HOLD, without a grant; R18: a dump clone without its tag, dump fields and grant
        #expect(Set(report.findings.map { $0.rule }) == ["R6-tag", "R18-dump-clone"])
        #expect(report.findings.filter { $0.rule == "R6-tag" }.count == 2)
        #expect(report.findings.contains { $0.rule == "R18-dump-clone" && $0.message == "a dump clone without a grant" })
    }

    @Test func fingerprintsThatDoNotRecomputeAreRejected() throws {
        let dir = TempDir()
        let r = try run(dir)
        try forge(r) { e in
            guard case .object(var fps) = e["fingerprints"]!, case .object(var post) = fps["post"]!, case .object(var tables) = post["tables"]! else { return }
            tables["customers"] = ["rows": 1, "digest": .string(String(repeating: "0", count: 64))]
            post["tables"] = .object(tables)
            fps["post"] = .object(post)
            e["fingerprints"] = .object(fps)
        }
        let report = try Validator().validate(runDirectory: r)
        #expect(report.findings.contains { $0.rule == "R5-verdict" && $0.path == "$.predicate.fingerprints.post.data_digest" })
        #expect(report.findings.contains { $0.rule == "R5-verdict" && $0.path == "$.predicate.verdict" })
    }

    @Test(arguments: [
        ("unknown field", "R1-schema"),
        ("float-free but wrong type", "R1-schema"),
        ("phases reordered", "R4-phases"),
        ("lane five", "R8-forbidden"),
        ("network exposed", "R7-isolation"),
    ])
    func ruleFires(label: String, rule: String) throws {
        let dir = TempDir()
        let r = try run(dir)
        try forge(r) { e in
            switch label {
            case "unknown field": e["approved_by"] = "someone"
            case "float-free but wrong type": e["run_id"] = 7
            case "phases reordered":
                if case .array(let p) = e["phases"]! { e["phases"] = .array(Array(p.reversed())) }
            case "lane five": e["lane"] = .string(Lane.productionExecution.rawValue)
            default:
                if case .object(var t) = e["target"]! { t["network"] = "tcp"; e["target"] = .object(t) }
            }
        }
        #expect(try firedRules(r) == [rule], "\(label)")
    }

    @Test(arguments: [
        ("wrong predicateType", "R1-schema"),
        ("md5-only digest", "R1-schema"),
        ("subject digest mismatch", "R3-subjects"),
        ("subject outside inputs", "R3-subjects"),
    ])
    func statementRuleFires(label: String, rule: String) throws {
        let dir = TempDir()
        let r = try run(dir)
        try forgeStatement(r) { s in
            guard case .array(var subjects) = s["subject"]!, case .object(var first) = subjects[0] else { return }
            switch label {
            case "wrong predicateType": s["predicateType"] = "https://slsa.dev/provenance/v1"
            case "md5-only digest": first["digest"] = ["md5": "d41d8cd98f00b204e9800998ecf8427e"]
            case "subject digest mismatch": first["digest"] = ["sha256": .string(String(repeating: "a", count: 64))]
            default: first["name"] = "../../etc/passwd"
            }
            subjects[0] = .object(first)
            s["subject"] = .array(subjects)
        }
        #expect(try firedRules(r) == [rule], "\(label)")
    }

    @Test func fingerprintsSwappedInFromAnotherRunAreRejected() throws {
        let dir = TempDir()
        let a = try rehearse(Repo.surrogate("commerce"), in: dir, seed: 1, scale: 0.05).runDirectory
        let b = try rehearse(Repo.surrogate("commerce"), in: dir, seed: 2, scale: 0.05).runDirectory
        let other = try evidence(b)["predicate"]!["fingerprints"]!
        try forge(a) { $0["fingerprints"] = other }
        let report = try Validator().validate(runDirectory: a)
        #expect(report.findings.map { $0.rule } == ["R6-tag"])
        #expect(report.findings[0].message.contains("describe another database"))
    }

    @Test func nonCanonicalBytesAreRejected() throws {
        let dir = TempDir()
        let r = try run(dir)
        let text = try String(contentsOf: r.appendingPathComponent("evidence.json"), encoding: .utf8)
        try (text.replacingOccurrences(of: ",\"verdict\"", with: ", \"verdict\"")).write(to: r.appendingPathComponent("evidence.json"), atomically: true, encoding: .utf8)
        try Seal.write(directory: r)
        #expect(try firedRules(r) == ["R0-json"])
    }

    @Test func sealNamesMissingExtraAndChangedFiles() throws {
        let dir = TempDir()
        let r = try run(dir)
        try FileManager.default.removeItem(at: r.appendingPathComponent("inputs/rollback.sql"))
        try "x".write(to: r.appendingPathComponent("inputs/extra.txt"), atomically: true, encoding: .utf8)
        try "-- edited\n".write(to: r.appendingPathComponent("inputs/birth.sql"), atomically: true, encoding: .utf8)
        let findings = try Seal.verify(directory: r)
        #expect(findings.contains(Seal.Finding(kind: .missing, path: "inputs/rollback.sql")))
        #expect(findings.contains(Seal.Finding(kind: .extra, path: "inputs/extra.txt")))
        #expect(findings.contains(Seal.Finding(kind: .changed, path: "inputs/birth.sql")))
        let report = try Validator().validate(runDirectory: r)
        #expect(report.findings.contains { $0.rule == "R3-subjects" && $0.message.contains("inputs/rollback.sql is missing") })
        #expect(report.findings.contains { $0.rule == "R3-subjects" && $0.message.contains("does not match the SHA-256 of inputs/birth.sql") })
    }

    @Test func evidenceSchemaFileListsTheSameTopLevelFieldsAsTheValidator() throws {
        let url = Repo.root.appendingPathComponent("schemas/evidence.schema.json")
        let schema = try JSONValue.parseStrict([UInt8](Data(contentsOf: url)))
        let required = Set(schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        let properties = Set(schema["properties"]?.objectValue?.keys.map { $0 } ?? [])
        guard case .object(let shapeRequired, _) = EvidenceShape.evidence,
              case .object(let predicateRequired, let predicateOptional) = EvidenceShape.predicate else { Issue.record("unexpected shape"); return }
        #expect(required == Set(shapeRequired.keys))
        #expect(properties == Set(shapeRequired.keys))
        #expect(schema["additionalProperties"] == .bool(false))
        let predicate = schema["$defs"]?["predicate"]
        #expect(Set(predicate?["required"]?.arrayValue?.compactMap(\.stringValue) ?? []) == Set(predicateRequired.keys))
        #expect(Set(predicate?["properties"]?.objectValue?.keys.map { $0 } ?? []) == Set(predicateRequired.keys).union(predicateOptional.keys))
        #expect(predicate?["additionalProperties"] == .bool(false))
    }
}
