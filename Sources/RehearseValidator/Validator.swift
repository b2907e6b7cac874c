import Foundation
import RehearseCore
import RehearseEvidence

/// One broken rule: its ID, where in the evidence, and a sentence.
public struct ValidationFinding: Sendable, Equatable, CustomStringConvertible {
    public var rule: String
    public var path: String
    public var message: String
    public var description: String { "[\(rule)] \(path): \(message)" }

    public var json: JSONValue { ["rule": .string(rule), "path": .string(path), "message": .string(message)] }

    package init(rule: String, path: String, message: String) {
        self.rule = rule
        self.path = path
        self.message = message
    }
}

public struct ValidationReport: Sendable {
    public var findings: [ValidationFinding]
    /// The verdict the evidence claims (nil if it could not be read).
    public var claimedVerdict: Verdict?

    public var isValid: Bool { findings.isEmpty }
    /// The verdict that counts: PASS or INCONCLUSIVE only for valid evidence
    /// that claims it; anything else is FAIL.
    public var verdict: Verdict {
        guard isValid, let claimedVerdict else { return .fail }
        return claimedVerdict
    }
}

/// The independent checker of a run folder. It trusts nothing the rehearsal
/// computed: it re-reads the bytes, re-derives digests and re-applies the
/// verdict rules. Rules and their IDs are listed in docs/VALIDATOR.md.
public struct Validator {
    /// Keys whose signatures count; nil checks no authorship.
    public var trust: TrustPolicy?

    public init(trust: TrustPolicy? = nil) {
        self.trust = trust
    }

    public static let rules: [(id: String, summary: String)] = [
        ("R0-json", "evidence.json is strict JSON (UTF-8, no BOM, no duplicate keys, no floats) in its one canonical byte form"),
        ("R1-schema", "evidence is an in-toto Statement v1 with the rehearse predicate type, matching schemas/evidence.schema.json; unknown fields are rejected"),
        ("R2-seal", "SEAL.sha256 lists every file of the run folder with its exact SHA-256"),
        ("R3-subjects", "each subject's SHA-256 matches its file in the run folder, and every input role names a subject"),
        ("R4-phases", "all phases are recorded, in order, and none runs after a failure"),
        ("R5-verdict", "the verdict agrees with the facts: PASS needs every phase ok, every check passed, pre equal to post and no drift; fingerprint digests recompute"),
        ("R6-tag", "a surrogate carries the GENERATED_SURROGATE_NOT_REAL_PRODUCTION_DUMP tag, in the evidence and in the fingerprinted provenance table; nothing claims real data without a grant"),
        ("R7-isolation", "the target was an isolated scratch database of a kind rehearse provisions, and its host and network agree"),
        ("R8-forbidden", "no forbidden lane or action is recorded"),
        ("R9-signature", "a DSSE envelope, when present, wraps exactly evidence.json; with a trust policy, enough distinct trusted keys signed it (and a dump clone's sealed grant)"),
        ("R10-reproduce", "with --reproduce: the surrogate regenerated from the run's inputs, seed and scale has the recorded spec digest and pre-birth fingerprint"),
        ("R11-lane", "a lane other than HOLD_REAL_DATA references a grant"),
        ("R12-inputs", "the sealed manifest decides the input roles; each role's subject is the copy made for it; every file in inputs/ is a subject"),
        ("R13-checks", "the checks recorded are the statements of the sealed checks files, by name, file and line"),
        ("R14-statements", "the statements recorded are those of the sealed birth and rollback, at their lines"),
        ("R15-domains", "seed, scale, run ID, start time, durations and counts hold their domains"),
        ("R16-replay", "with --replay: the rehearsal run again from the sealed inputs has the recorded fingerprints, drift, checks and verdict"),
        ("R17-exercised", "PASS needs a birth that exercised its data changes, INCONCLUSIVE one that did not (with every other fact of a PASS); the statements' classes and matched rows recompute from the sealed birth and the fingerprints"),
        ("R18-dump-clone", "a dump clone is tagged REAL_DUMP_CLONE under lane 2 with a sealed grant bound to the recorded dump SHA-256; a surrogate claims no dump"),
    ]

    public func validate(runDirectory: URL) throws -> ValidationReport {
        validate(try RunFolder(directory: runDirectory))
    }

    /// Validates a run folder already in memory: the seal, then the evidence.
    package func validate(_ folder: RunFolder) -> ValidationReport {
        var findings: [ValidationFinding] = []
        for f in Seal.verify(folder) {
            findings.append(ValidationFinding(rule: "R2-seal", path: f.path, message: f.sentence))
        }
        guard let bytes = folder.file(named: EvidenceWriter.evidenceFile) else {
            findings.append(ValidationFinding(rule: "R1-schema", path: EvidenceWriter.evidenceFile, message: "the evidence file is missing"))
            return ValidationReport(findings: findings, claimedVerdict: nil)
        }
        let value: JSONValue
        do {
            value = try JSONValue.parseStrict(bytes)
        } catch {
            findings.append(ValidationFinding(rule: "R0-json", path: "$", message: "not strict JSON: \(error)"))
            return ValidationReport(findings: findings, claimedVerdict: nil)
        }
        if value.canonicalBytes != bytes {
            findings.append(ValidationFinding(rule: "R0-json", path: "$", message: "not in canonical form (sorted keys, no white space, minimal escapes); re-serializing changes the bytes"))
        }
        findings += EvidenceRules(statement: value, folder: folder).check()
        findings += Self.signatureFindings(folder, trust: trust)
        findings += Self.grantFindings(folder, evidence: value, trust: trust)
        let claimed = value["predicate"]?["verdict"]?.stringValue.flatMap(Verdict.init(rawValue:))
        return ValidationReport(findings: findings, claimedVerdict: claimed)
    }
}
