import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// One run folder as the reports see it: read from disk, checked by the
/// validator, and only then parsed. Reports are rendered from this and from
/// nothing else (never from a rehearsal's in-memory state), so a report can
/// say no more than the sealed evidence proves. Evidence the validator
/// rejects is carried with its findings and no facts: a report shows it as
/// REJECTED and renders none of its claims.
package struct ValidatedRun: Sendable {
    /// The folder as given (for people; never parsed again).
    package var directory: String
    /// The step name when the run is one step of a migration walk, else nil.
    package var step: String?
    /// Empty when the evidence is valid.
    package var findings: [ValidationFinding]
    /// The parsed predicate of valid evidence; nil when rejected.
    package var evidence: EvidenceFacts?
    /// SHA-256 of the evidence.json bytes (the evidence digest people quote), when the file exists.
    package var evidenceDigest: String?
    /// Set by the nightly for a known-lossy surrogate (expect_fail): the
    /// JUnit report then expects a FAIL with drift, and a PASS is its failure.
    package var expectsFailWithDrift = false

    /// For a step of a walk that validates: the walk's status for the step
    /// (recomputed by W1 from the evidence, re-birth, verify and the files),
    /// its exit status, and for a step not rehearsed why (from the
    /// migrations as sealed, not from walk.json's free text).
    package struct WalkStep: Sendable {
        package var status: String
        package var exitStatus: Int32
        package var note: String?
    }
    package var walkStep: WalkStep?

    package var isValid: Bool { findings.isEmpty && (evidence != nil || walkStep != nil) }

    /// The verdict string to show: the evidence's own word when it is valid
    /// (PASS, FAIL, INCONCLUSIVE or any later one), REJECTED otherwise. Only
    /// PASS passes; every other string is treated as not passing.
    package var verdict: String { isValid ? (walkStep?.status ?? evidence?.verdict ?? "REJECTED") : "REJECTED" }

    /// The exit status this entry stands for: the walk's for a walk step.
    package var exitStatus: Int32 {
        guard isValid else { return RehearseError.Code.evidenceRejected.exitStatus }
        if let walkStep { return walkStep.exitStatus }
        return passed ? 0 : verdict == "INCONCLUSIVE" ? 6 : RehearseError.Code.rehearsalFailed.exitStatus
    }
    package var passed: Bool { verdict == "PASS" }

    package init(directory: String, step: String? = nil, findings: [ValidationFinding], evidence: EvidenceFacts?, evidenceDigest: String?) {
        self.directory = directory
        self.step = step
        self.findings = findings
        self.evidence = evidence
        self.evidenceDigest = evidenceDigest
    }

    /// Reads and validates one run folder. A folder that cannot be read at
    /// all is a rejected entry (with a finding saying why), not an error, so
    /// one broken folder among many still shows up in the report.
    package static func load(_ directory: URL, step: String? = nil, validator: Validator = Validator()) -> ValidatedRun {
        let shown = directory.path
        let folder: RunFolder
        do {
            folder = try RunFolder(directory: directory)
        } catch let error as RehearseError {
            return ValidatedRun(directory: shown, step: step, findings: [ValidationFinding(rule: "R2-seal", path: shown, message: error.message)],
                                evidence: nil, evidenceDigest: nil)
        } catch {
            return ValidatedRun(directory: shown, step: step, findings: [ValidationFinding(rule: "R2-seal", path: shown, message: "the folder could not be read")],
                                evidence: nil, evidenceDigest: nil)
        }
        return from(folder, directory: shown, step: step, validator: validator)
    }

    /// Validates a folder snapshot and parses its evidence only when valid.
    package static func from(_ folder: RunFolder, directory: String, step: String? = nil, validator: Validator = Validator()) -> ValidatedRun {
        let report = validator.validate(folder)
        let bytes = folder.file(named: EvidenceWriter.evidenceFile)
        let digest = bytes.map { Digest.sha256Hex($0) }
        guard report.isValid, let bytes, let value = try? JSONValue.parseStrict(bytes), value["predicate"] != nil else {
            var findings = report.findings
            if findings.isEmpty {
                findings.append(ValidationFinding(rule: "R1-schema", path: EvidenceWriter.evidenceFile, message: "the evidence could not be read"))
            }
            return ValidatedRun(directory: directory, step: step, findings: findings, evidence: nil, evidenceDigest: digest)
        }
        return ValidatedRun(directory: directory, step: step, findings: [], evidence: EvidenceFacts(statement: value), evidenceDigest: digest)
    }

    /// Expands the report inputs: each argument is a run folder (it holds
    /// evidence.json) or a walk folder. A `rehearse migrations` walk holds
    /// walk.json, one SEAL.sha256 over everything, and its steps as run
    /// folders under steps/ (named so that byte order is the walk's order);
    /// the walk is checked first as `rehearse validate` checks it (rule W1,
    /// with the validator's trust policy on walk.dsse.json), and a walk that
    /// does not validate is one rejected entry (its steps are still listed,
    /// each validated on its own, without the trust policy: a walk is signed
    /// whole). Any other folder whose immediate subfolders hold evidence.json
    /// is taken as a walk of those, in byte order of their names.
    package static func loadAll(_ paths: [String], validator: Validator = Validator()) -> [ValidatedRun] {
        var runs: [ValidatedRun] = []
        let fm = FileManager.default
        func stepFolders(_ url: URL) -> [String] {
            ((try? fm.contentsOfDirectory(atPath: url.path)) ?? [])
                .filter { fm.fileExists(atPath: url.appendingPathComponent($0).appendingPathComponent(EvidenceWriter.evidenceFile).path) }
                .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        }
        for path in paths {
            let url = URL(fileURLWithPath: path)
            if fm.fileExists(atPath: url.appendingPathComponent(EvidenceWriter.evidenceFile).path) {
                runs.append(load(url, validator: validator))
                continue
            }
            var base = url
            var stepValidator = validator
            if fm.fileExists(atPath: url.appendingPathComponent(walkIndexFile).path) {
                base = url.appendingPathComponent("steps")
                // The walk as `rehearse validate` checks it (W1: seal, steps
                // derived from its sealed migrations, statuses, signature):
                // a walk with steps dropped or relabelled is one rejected entry.
                let findings: [ValidationFinding]
                do {
                    findings = try MigrationWalkValidator.validate(url, trust: validator.trust).findings
                } catch let error as RehearseError {
                    findings = [ValidationFinding(rule: "W1", path: path, message: error.message)]
                } catch {
                    findings = [ValidationFinding(rule: "W1", path: path, message: "the walk folder could not be read")]
                }
                if !findings.isEmpty {
                    runs.append(ValidatedRun(directory: path, step: walkEntry, findings: findings, evidence: nil, evidenceDigest: nil))
                } else if let walk = walkSteps(url, path: path, validator: Validator()) {
                    // A valid walk is reported as the walk says, step by step
                    // (its statuses checked by W1), never as each folder's own
                    // verdict: a verify failure, a re-birth that differs and
                    // steps not rehearsed all count (W-F6).
                    runs += walk
                    continue
                }
                // A walk is signed whole (walk.dsse.json, checked above), not step by step.
                stepValidator = Validator()
            }
            let children = stepFolders(base)
            if children.isEmpty {
                // Neither a run nor a walk: shown as rejected, with the reason.
                runs.append(load(url, validator: validator))
            } else {
                for child in children {
                    runs.append(load(base.appendingPathComponent(child), step: child, validator: stepValidator))
                }
            }
        }
        return runs
    }

    /// Every step of a walk that validated, in order, each with its walk status.
    static func walkSteps(_ url: URL, path: String, validator: Validator) -> [ValidatedRun]? {
        guard let folder = try? RunFolder(directory: url),
              let index = folder.file(named: walkIndexFile).flatMap({ try? JSONValue.parseStrict($0) }),
              let steps = index["steps"]?.arrayValue else { return nil }
        let units = MigrationWalkValidator.derive(index, folder) { _, _ in }?.units ?? []
        var out: [ValidatedRun] = []
        for (i, step) in steps.enumerated() {
            let status = step["status"]?.stringValue ?? "?"
            let exit = Int32(clamping: step["exit_status"]?.integerValue ?? 5)
            let label = units.indices.contains(i) ? units[i].label
                : "\(String(format: "%04d", i + 1))-\(step["version"]?.stringValue ?? "?")-\(step["name"]?.stringValue ?? "?")"
            if let run = step["run"]?.stringValue, RunFolder.isPortable(run) {
                var r = load(url.appendingPathComponent(run), step: String(run.split(separator: "/").last ?? ""), validator: validator)
                r.walkStep = WalkStep(status: status, exitStatus: exit, note: nil)
                out.append(r)
            } else {
                let why = units.indices.contains(i) ? units[i].skip?.reason : nil
                var r = ValidatedRun(directory: path, step: label, findings: [], evidence: nil, evidenceDigest: nil)
                r.walkStep = WalkStep(status: status, exitStatus: exit, note: "not rehearsed" + (why.map { ": " + $0 } ?? ""))
                out.append(r)
            }
        }
        return out
    }

    /// The entry that stands for a walk's own findings (W1).
    package static let walkEntry = "walk"

    /// The index file of a `rehearse migrations` walk folder.
    package static let walkIndexFile = "walk.json"
}
