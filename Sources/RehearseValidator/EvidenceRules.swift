import Foundation
import RehearseCore
import RehearseEvidence

/// The rules beyond structure: every fact the verdict rests on is re-derived
/// here from the evidence and the files of its run folder.
package struct EvidenceRules {
    package let statement: JSONValue
    package let folder: RunFolder

    package var evidence: JSONValue { statement["predicate"] ?? .null }

    package func check() -> [ValidationFinding] {
        var findings: [ValidationFinding] = []
        EvidenceShape.evidence.check(statement, at: "$", into: &findings)
        // Later rules read fields the schema vouches for; with a broken
        // structure their findings would only repeat the schema's.
        guard findings.isEmpty else { return findings }
        findings += subjects()
        findings += phases()
        findings += verdict()
        findings += tag()
        findings += isolation()
        findings += forbidden()
        findings += lane()
        findings += dumpClone()
        findings += domains()
        switch manifest() {
        case .success(let m):
            findings += inputs(m)
            findings += checks(m)
        case .failure(let problem):
            findings.append(problem.finding)
        }
        findings += statements()
        findings += exercised()
        return findings
    }

    package func finding(_ rule: String, _ path: String, _ message: String) -> ValidationFinding {
        ValidationFinding(rule: rule, path: path, message: message)
    }

    /// R3: each subject names a file of the run folder with that SHA-256, and
    /// each input role points at a subject.
    package func subjects() -> [ValidationFinding] {
        var out: [ValidationFinding] = []
        var names = Set<String>()
        for (i, subject) in (statement["subject"]?.arrayValue ?? []).enumerated() {
            let name = subject["name"]?.stringValue ?? ""
            if !names.insert(name).inserted {
                out.append(finding("R3-subjects", "$.subject[\(i)].name", "\(name) is listed twice"))
            }
            guard name.hasPrefix(EvidenceWriter.inputsFolder + "/"), !name.split(separator: "/").contains("..") else {
                out.append(finding("R3-subjects", "$.subject[\(i)].name", "'\(name)' is not inside the run folder's inputs/"))
                continue
            }
            guard let bytes = folder.file(named: name) else {
                out.append(finding("R3-subjects", "$.subject[\(i)].name", "\(name) is missing from the run folder"))
                continue
            }
            if Digest.sha256Hex(bytes) != subject["digest"]?["sha256"]?.stringValue {
                out.append(finding("R3-subjects", "$.subject[\(i)].digest.sha256", "does not match the SHA-256 of \(name)"))
            }
        }
        let inputs = evidence["inputs"]?.objectValue ?? [:]
        for role in ["manifest", "schema", "profile", "birth", "rollback"] where inputs[role] == nil {
            out.append(finding("R3-subjects", "$.predicate.inputs", "the \(role) input is not recorded"))
        }
        for (role, input) in inputs.sorted(by: { $0.key < $1.key }) {
            let subject = input["subject"]?.stringValue ?? ""
            if !names.contains(subject) {
                out.append(finding("R3-subjects", "$.predicate.inputs.\(role).subject", "'\(subject)' is not a subject of the statement"))
            }
        }
        return out
    }

    package func phases() -> [ValidationFinding] {
        let phases = evidence["phases"]?.arrayValue ?? []
        let names = phases.compactMap { $0["name"]?.stringValue }
        if names != Phase.allCases.map(\.rawValue) {
            return [finding("R4-phases", "$.predicate.phases", "expected the phases \(Phase.allCases.map(\.rawValue).joined(separator: ", ")) in that order, found \(names.joined(separator: ", "))")]
        }
        var out: [ValidationFinding] = []
        var failedAt: Int?
        for (i, p) in phases.enumerated() {
            let outcome = p["outcome"]?.stringValue
            if let f = failedAt, outcome != "skipped", names[f] == Phase.birth.rawValue || names[f] == Phase.rollback.rawValue {
                out.append(finding("R4-phases", "$.predicate.phases[\(i)]", "\(names[i]) ran after \(names[f]) failed"))
            }
            if outcome == "skipped", failedAt == nil {
                out.append(finding("R4-phases", "$.predicate.phases[\(i)]", "\(names[i]) was skipped although no earlier phase failed"))
            }
            if outcome == "failed", failedAt == nil { failedAt = i }
        }
        for i in 0..<3 where phases[i]["outcome"]?.stringValue != "ok" {
            out.append(finding("R4-phases", "$.predicate.phases[\(i)]", "\(names[i]) must succeed for evidence to exist"))
        }
        return out
    }

    package func verdict() -> [ValidationFinding] {
        var out: [ValidationFinding] = []
        let fps = evidence["fingerprints"]
        for stage in ["pre", "born", "post"] {
            guard let fp = fps?[stage], fp != .null else { continue }
            let objects = fp["objects"] ?? .object([:])
            if fp["schema_digest"]?.stringValue != Digest.sha256Hex(objects.canonicalBytes) {
                out.append(finding("R5-verdict", "$.predicate.fingerprints.\(stage).schema_digest", "does not recompute from the objects listed"))
            }
            if fp["data_digest"]?.stringValue != Digest.sha256Hex((fp["tables"] ?? .object([:])).canonicalBytes) {
                out.append(finding("R5-verdict", "$.predicate.fingerprints.\(stage).data_digest", "does not recompute from the tables listed"))
            }
        }
        let pre = fps?["pre"], post = fps?["post"]
        let restored = pre != nil && pre != .null && pre?["objects"] == post?["objects"] && pre?["tables"] == post?["tables"]
        let drift = evidence["drift"]
        let driftEmpty = drift != nil && drift != .null && drift?["schema"]?.arrayValue?.isEmpty == true && drift?["data"]?.arrayValue?.isEmpty == true
        if post != nil, post != .null {
            if drift == nil || drift == .null {
                out.append(finding("R5-verdict", "$.predicate.drift", "post fingerprint present but no drift report"))
            } else if driftEmpty != restored {
                out.append(finding("R5-verdict", "$.predicate.drift", restored ? "reports drift although pre equals post" : "reports no drift although pre and post differ"))
            }
        }
        let phasesOK = evidence["phases"]?.arrayValue?.allSatisfy { $0["outcome"]?.stringValue == "ok" } ?? false
        let checks = (evidence["checks"]?["after_birth"]?.arrayValue ?? []) + (evidence["checks"]?["after_rollback"]?.arrayValue ?? [])
        let checksOK = checks.allSatisfy { $0["outcome"]?.stringValue == "pass" }
        let noFailure = evidence["failure"] == .null
        let facts = phasesOK && checksOK && restored && driftEmpty && noFailure
        let claimed = evidence["verdict"]?.stringValue
        if claimed == Verdict.pass.rawValue && !facts {
            var why: [String] = []
            if !phasesOK { why.append("a phase did not succeed") }
            if !checksOK { why.append("a check failed") }
            if !restored { why.append("post differs from pre") }
            if !driftEmpty { why.append("drift is reported") }
            if !noFailure { why.append("a failure is recorded") }
            out.append(finding("R5-verdict", "$.predicate.verdict", "claims PASS but \(why.joined(separator: ", "))"))
        } else if claimed == Verdict.fail.rawValue && facts && evidence["unexercised"] == nil {
            // With unexercised statements the facts support INCONCLUSIVE: R17 says so.
            out.append(finding("R5-verdict", "$.predicate.verdict", "claims FAIL but every fact recorded supports PASS"))
        }
        return out
    }

    /// R6: the tag is in the evidence and, through the provenance table's
    /// digest, in the database the pre-birth fingerprint describes.
    package func tag() -> [ValidationFinding] {
        var out: [ValidationFinding] = []
        let source = evidence["source"]
        let kind = source?["kind"]?.stringValue
        let lane = evidence["lane"]?.stringValue
        if kind == "surrogate" {
            if source?["tag"]?.stringValue != SurrogateTag.generated {
                out.append(finding("R6-tag", "$.predicate.source.tag", "a surrogate must carry the tag \(SurrogateTag.generated)"))
            }
            let expected = SurrogateProvenance.expectedFingerprint(engine: evidence["engine"]?["name"]?.stringValue ?? "", SurrogateProvenance.rows(
                specDigest: source?["spec_digest"]?.stringValue ?? "", seed: String(source?["seed"]?.integerValue ?? -1),
                scale: source?["scale"]?.stringValue ?? "", generator: source?["generator"]?.stringValue ?? "",
                name: source?["name"]?.stringValue ?? ""))
            if let pre = evidence["fingerprints"]?["pre"], pre != .null {
                let table = pre["tables"]?[SurrogateTag.provenanceTable]
                if table?["rows"]?.integerValue != expected.rows || table?["digest"]?.stringValue != expected.digest {
                    out.append(finding("R6-tag", "$.predicate.fingerprints.pre.tables.\(SurrogateTag.provenanceTable)",
                                       "does not hold the tag, spec digest, seed and scale this evidence claims: the fingerprints describe another database"))
                }
            }
        } else {
            if lane == Lane.holdRealData.rawValue {
                out.append(finding("R6-tag", "$.predicate.source.kind", "real data under \(Lane.holdRealData.rawValue), which allows surrogates only"))
            }
            if evidence["grant"] == .null {
                out.append(finding("R6-tag", "$.predicate.grant", "a real-data run must reference a grant"))
            }
        }
        return out
    }

    /// R7: the target was an isolated scratch database (see ``target()``).
    package func isolation() -> [ValidationFinding] {
        var out = target()
        let target = evidence["target"]
        // The address the server reported (null: a Unix socket) must agree with the network claimed.
        if let reported = target?["server_address"] {
            let network = target?["network"]?.stringValue
            let agrees = reported == .null ? network == "none"
                : network == "loopback" && reported.stringValue.map(LoopbackAddress.isLiteral) == true
            if !agrees {
                out.append(finding("R7-isolation", "$.predicate.target.server_address", "the server's reported address must be null (Unix socket, network none) or a loopback address (network loopback)"))
            }
        }
        if target?["kind"]?.stringValue == "postgres-ephemeral-cluster", target?["listen_addresses"]?.stringValue != "" {
            out.append(finding("R7-isolation", "$.predicate.target.listen_addresses", "an ephemeral cluster must listen on no TCP address"))
        }
        return out
    }

    package func forbidden() -> [ValidationFinding] {
        let lane = evidence["lane"]?.stringValue
        if lane == Lane.productionExecution.rawValue {
            return [finding("R8-forbidden", "$.predicate.lane", "\(Lane.productionExecution.rawValue) is never selectable")]
        }
        if lane == Lane.productionDryRunOnly.rawValue || lane == Lane.productionRealRunPrecheckOnly.rawValue {
            return [finding("R8-forbidden", "$.predicate.lane", "\(lane!) permits no birth or rollback, yet this evidence records a rehearsal")]
        }
        return []
    }
}
