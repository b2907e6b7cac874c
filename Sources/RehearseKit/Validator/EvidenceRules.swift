import Foundation

/// The rules beyond structure: seals aside, every fact the verdict rests on
/// is re-derived here from the evidence and the files beside it.
struct EvidenceRules {
    let evidence: JSONValue
    let runDirectory: URL

    func check() -> [ValidationFinding] {
        var findings: [ValidationFinding] = []
        EvidenceShape.evidence.check(evidence, at: "$", into: &findings)
        // Later rules read fields the schema vouches for; with a broken
        // structure their findings would only repeat the schema's.
        guard findings.isEmpty else { return findings }
        findings += inputs()
        findings += phases()
        findings += verdict()
        findings += tag()
        findings += isolation()
        findings += forbidden()
        return findings
    }

    private func finding(_ rule: String, _ path: String, _ message: String) -> ValidationFinding {
        ValidationFinding(rule: rule, path: path, message: message)
    }

    func inputs() -> [ValidationFinding] {
        var out: [ValidationFinding] = []
        let inputs = evidence["inputs"]?.objectValue ?? [:]
        for role in ["manifest", "schema", "profile", "birth", "rollback"] where inputs[role] == nil {
            out.append(finding("R3-inputs", "$.inputs", "the \(role) input is not recorded"))
        }
        for (role, input) in inputs.sorted(by: { $0.key < $1.key }) {
            let path = input["path"]?.stringValue ?? ""
            guard path.hasPrefix(EvidenceWriter.inputsFolder + "/"), !path.split(separator: "/").contains("..") else {
                out.append(finding("R3-inputs", "$.inputs.\(role).path", "'\(path)' is not inside the run folder's inputs/"))
                continue
            }
            let url = runDirectory.appendingPathComponent(path)
            guard let digest = try? Digest.sha256Hex(fileAt: url) else {
                out.append(finding("R3-inputs", "$.inputs.\(role).path", "\(path) is missing from the run folder"))
                continue
            }
            if digest != input["sha256"]?.stringValue {
                out.append(finding("R3-inputs", "$.inputs.\(role).sha256", "does not match the SHA-256 of \(path)"))
            }
        }
        return out
    }

    func phases() -> [ValidationFinding] {
        let phases = evidence["phases"]?.arrayValue ?? []
        let names = phases.compactMap { $0["name"]?.stringValue }
        if names != Phase.allCases.map(\.rawValue) {
            return [finding("R4-phases", "$.phases", "expected the phases \(Phase.allCases.map(\.rawValue).joined(separator: ", ")) in that order, found \(names.joined(separator: ", "))")]
        }
        var out: [ValidationFinding] = []
        var failedAt: Int?
        for (i, p) in phases.enumerated() {
            let outcome = p["outcome"]?.stringValue
            if let f = failedAt, outcome != "skipped", names[f] == Phase.birth.rawValue || names[f] == Phase.rollback.rawValue {
                out.append(finding("R4-phases", "$.phases[\(i)]", "\(names[i]) ran after \(names[f]) failed"))
            }
            if outcome == "skipped", failedAt == nil {
                out.append(finding("R4-phases", "$.phases[\(i)]", "\(names[i]) was skipped although no earlier phase failed"))
            }
            if outcome == "failed", failedAt == nil { failedAt = i }
        }
        for i in 0..<3 where phases[i]["outcome"]?.stringValue != "ok" {
            out.append(finding("R4-phases", "$.phases[\(i)]", "\(names[i]) must succeed for evidence to exist"))
        }
        return out
    }

    func verdict() -> [ValidationFinding] {
        var out: [ValidationFinding] = []
        let fps = evidence["fingerprints"]
        for stage in ["pre", "born", "post"] {
            guard let fp = fps?[stage], fp != .null else { continue }
            let objects = fp["objects"] ?? .object([:])
            if fp["schema_digest"]?.stringValue != Digest.sha256Hex(objects.canonicalBytes) {
                out.append(finding("R5-verdict", "$.fingerprints.\(stage).schema_digest", "does not recompute from the objects listed"))
            }
            if fp["data_digest"]?.stringValue != Digest.sha256Hex((fp["tables"] ?? .object([:])).canonicalBytes) {
                out.append(finding("R5-verdict", "$.fingerprints.\(stage).data_digest", "does not recompute from the tables listed"))
            }
        }
        let pre = fps?["pre"], post = fps?["post"]
        let restored = pre != nil && pre != .null && pre?["objects"] == post?["objects"] && pre?["tables"] == post?["tables"]
        let drift = evidence["drift"]
        let driftEmpty = drift != nil && drift != .null && drift?["schema"]?.arrayValue?.isEmpty == true && drift?["data"]?.arrayValue?.isEmpty == true
        if post != nil, post != .null {
            if drift == nil || drift == .null {
                out.append(finding("R5-verdict", "$.drift", "post fingerprint present but no drift report"))
            } else if driftEmpty != restored {
                out.append(finding("R5-verdict", "$.drift", restored ? "reports drift although pre equals post" : "reports no drift although pre and post differ"))
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
            out.append(finding("R5-verdict", "$.verdict", "claims PASS but \(why.joined(separator: ", "))"))
        } else if claimed == Verdict.fail.rawValue && facts {
            out.append(finding("R5-verdict", "$.verdict", "claims FAIL but every fact recorded supports PASS"))
        }
        return out
    }

    func tag() -> [ValidationFinding] {
        var out: [ValidationFinding] = []
        let kind = evidence["source"]?["kind"]?.stringValue
        let lane = evidence["lane"]?.stringValue
        if kind == "surrogate", evidence["source"]?["tag"]?.stringValue != SurrogateTag.generated {
            out.append(finding("R6-tag", "$.source.tag", "a surrogate must carry the tag \(SurrogateTag.generated)"))
        }
        if kind != "surrogate" {
            if lane == Lane.holdRealData.rawValue {
                out.append(finding("R6-tag", "$.source.kind", "real data under \(Lane.holdRealData.rawValue), which allows surrogates only"))
            }
            if evidence["grant"] == .null {
                out.append(finding("R6-tag", "$.grant", "a real-data run must reference a grant"))
            }
        }
        return out
    }

    func isolation() -> [ValidationFinding] {
        var out: [ValidationFinding] = []
        let target = evidence["target"]
        if target?["network"]?.stringValue != "none" {
            out.append(finding("R7-isolation", "$.target.network", "the scratch database must have no network exposure"))
        }
        if target?["kind"]?.stringValue == "sqlite-file", target?["private_temporary_directory"] != .bool(true) {
            out.append(finding("R7-isolation", "$.target.private_temporary_directory", "an SQLite scratch database must live in a private temporary directory"))
        }
        return out
    }

    func forbidden() -> [ValidationFinding] {
        let lane = evidence["lane"]?.stringValue
        if lane == Lane.productionExecution.rawValue {
            return [finding("R8-forbidden", "$.lane", "\(Lane.productionExecution.rawValue) is never selectable")]
        }
        if lane == Lane.productionDryRunOnly.rawValue || lane == Lane.productionRealRunPrecheckOnly.rawValue {
            return [finding("R8-forbidden", "$.lane", "\(lane!) permits no birth or rollback, yet this evidence records a rehearsal")]
        }
        return []
    }
}
