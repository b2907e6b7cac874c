import Foundation

/// One broken rule: its ID, where in the evidence, and a sentence.
public struct ValidationFinding: Sendable, Equatable, CustomStringConvertible {
    public var rule: String
    public var path: String
    public var message: String
    public var description: String { "[\(rule)] \(path): \(message)" }
}

public struct ValidationReport: Sendable {
    public var findings: [ValidationFinding]
    /// The verdict the evidence claims (nil if it could not be read).
    public var claimedVerdict: Verdict?

    public var isValid: Bool { findings.isEmpty }
    /// The verdict that counts: PASS only for valid evidence that claims PASS.
    public var verdict: Verdict { isValid && claimedVerdict == .pass ? .pass : .fail }
}

/// The independent checker of a run folder. It trusts nothing the rehearsal
/// computed: it re-reads the bytes, re-derives digests and re-applies the
/// verdict rules. Rules and their IDs are listed in docs/VALIDATOR.md.
public struct Validator {
    public init() {}

    public static let rules: [(id: String, summary: String)] = [
        ("R0-json", "evidence.json is strict JSON (UTF-8, no BOM, no duplicate keys, no floats) in its one canonical byte form"),
        ("R1-schema", "evidence matches schemas/evidence.schema.json; unknown fields are rejected"),
        ("R2-seal", "SEAL.sha256 lists every file of the run folder with its exact SHA-256"),
        ("R3-inputs", "each input's recorded SHA-256 matches the copy in inputs/"),
        ("R4-phases", "all phases are recorded, in order, and none runs after a failure"),
        ("R5-verdict", "the verdict agrees with the facts: PASS needs every phase ok, every check passed, pre equal to post and no drift; fingerprint digests recompute"),
        ("R6-tag", "a surrogate carries the GENERATED_SURROGATE_NOT_REAL_PRODUCTION_DUMP tag; nothing claims real data without a grant"),
        ("R7-isolation", "the target was an isolated scratch database"),
        ("R8-forbidden", "no forbidden lane or action is recorded"),
    ]

    public func validate(runDirectory: URL) throws -> ValidationReport {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: runDirectory.path, isDirectory: &isDir), isDir.boolValue else {
            throw RehearseError.badInput("\(runDirectory.path): no such run folder. Give the folder a rehearsal wrote (it holds evidence.json and SEAL.sha256).")
        }
        var findings: [ValidationFinding] = []
        for f in try Seal.verify(directory: runDirectory) {
            findings.append(ValidationFinding(rule: "R2-seal", path: f.path, message: f.description))
        }
        let evidenceURL = runDirectory.appendingPathComponent(EvidenceWriter.evidenceFile)
        guard let data = FileManager.default.contents(atPath: evidenceURL.path) else {
            findings.append(ValidationFinding(rule: "R1-schema", path: EvidenceWriter.evidenceFile, message: "the evidence file is missing"))
            return ValidationReport(findings: findings, claimedVerdict: nil)
        }
        let bytes = [UInt8](data)
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
        findings += EvidenceRules(evidence: value, runDirectory: runDirectory).check()
        let claimed = value["verdict"]?.stringValue.flatMap(Verdict.init(rawValue:))
        return ValidationReport(findings: findings, claimedVerdict: claimed)
    }
}
