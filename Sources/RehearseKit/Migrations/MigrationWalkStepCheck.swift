import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator

/// One step of a walk against what its files and its run folder give (see
/// ``MigrationWalkValidator``): the step's identity, its run folder's
/// binding and scripts, and its status, recomputed.
struct MigrationWalkStepCheck {
    struct Outcome {
        var findings: [ValidationFinding] = []
        /// Walk-folder files this step accounts for besides its run folder.
        var accounted: Set<String> = []
        /// The step's exit status: recomputed where it can be, else as claimed.
        var exitStatus: Int32 = 0
    }

    let step: JSONValue
    /// The step the recorded migrations give at this place; nil when they could not be read.
    let unit: MigrationUnit?
    let folder: RunFolder
    let at: String
    /// The engine (`sqlite`, `postgres`) and seed walk.json records.
    var walkDialect: String?
    var walkSeed: JSONValue?
    /// The walk's profile (sealed as profile.yaml) and superuser setting.
    var walkProfile: String?
    var walkSuperuser: Bool?

    func run(named: inout Set<String>) -> Outcome {
        var out = Outcome()
        func finding(_ path: String, _ message: String) { out.findings.append(ValidationFinding(rule: "W1", path: path, message: message)) }
        let status = step["status"]?.stringValue ?? ""
        let exit = Int32(clamping: step["exit_status"]?.integerValue ?? -1)
        out.exitStatus = exit
        if let unit {
            let files = step["files"]?.arrayValue?.compactMap(\.stringValue) ?? []
            if step["index"]?.integerValue != Int64(unit.index + 1) || step["version"]?.stringValue != unit.version
                || step["name"]?.stringValue != unit.name || files != unit.files {
                finding(at, "is not the step the recorded migrations give at this place: step \(unit.index + 1), version \(unit.version) \(unit.name) (\(unit.files.joined(separator: ", ")))")
            }
        }
        var expected: (status: String, exit: Int32, why: String)?
        let run = step["run"]?.stringValue
        if let unit, let skip = unit.skip {
            expected = (skip.status, skip == .empty(skip.reason) ? 0 : 6, "its files (\(skip.reason))")
            if run != nil { finding(at, "names a run folder, but its files make it \(skip.status), not rehearsed: \(skip.reason)") }
        } else if unit != nil, run == nil, status != "ERROR" || !(1...5).contains(exit) {
            // (With no derived step to hold it to, the walk is rejected already.)
            finding(at, "claims \(status) with exit status \(exit) and no run folder; a step to be rehearsed has no run folder only as an ERROR (exit 1 to 5)")
        }
        if let run, unit?.skip == nil {
            var accounted: Set<String> = []
            expected = checkRun(run, named: &named, finding, &accounted)
            out.accounted = accounted
        }
        if let e = expected {
            if status != e.status || exit != e.exit {
                finding(at, "claims \(status) with exit status \(exit), but \(e.why) give \(e.status) with exit status \(e.exit)")
            }
            out.exitStatus = e.exit
        }
        return out
    }

    /// The run folder's checks; the status its evidence, re-birth and verify give.
    private func checkRun(_ run: String, named: inout Set<String>, _ finding: (String, String) -> Void,
                          _ accounted: inout Set<String>) -> (status: String, exit: Int32, why: String)? {
        if named.contains(run) { finding(at, "names the run folder \(run), which another step names too") }
        named.insert(run)
        guard run.hasPrefix(MigrationWalk.stepsFolder + "/"), RunFolder.isPortable(run), run.split(separator: "/").count == 2 else {
            finding(at, "run folder \(run) is not under \(MigrationWalk.stepsFolder)/")
            return nil
        }
        if let unit, run != MigrationWalk.stepsFolder + "/" + unit.label {
            finding(at, "names the run folder \(run); this step's folder is \(MigrationWalk.stepsFolder)/\(unit.label)")
        }
        let prefix = run + "/"
        var sub = RunFolder(files: folder.files.filter { $0.key.hasPrefix(prefix) }.reduce(into: [:]) { $0[String($1.key.dropFirst(prefix.count))] = $1.value })
        sub.refused = folder.refused.filter { $0.path.hasPrefix(prefix) }.map { r -> RunFolder.Refusal in
            var r = r
            r.path = String(r.path.dropFirst(prefix.count))
            return r
        }
        let report = Validator().validate(sub)
        for f in report.findings { finding(run, f.description) }
        // walk.json binds exactly this folder: its evidence and its seal.
        for (key, file) in [("evidence_sha256", EvidenceWriter.evidenceFile), ("seal_sha256", Seal.fileName)] {
            if sub.file(named: file).map({ Digest.sha256Hex($0) }) != step[key]?.stringValue {
                finding(at, "\(key) is not the digest of \(run)/\(file)")
            }
        }
        guard let evidence = sub.file(named: EvidenceWriter.evidenceFile).flatMap({ try? JSONValue.parseStrict($0) }) else { return nil }
        // The birth and rollback the folder rehearsed are the step's up and down.
        if let unit {
            for (role, scripts, what) in [("birth", unit.up, "up"), ("rollback", unit.down, "down")] {
                let composed = Array(MigrationWalk.composed(scripts).text.utf8)
                if sub.file(named: EvidenceWriter.inputPath(role: role, of: role + ".sql")) != composed {
                    finding(at, "\(run)/\(EvidenceWriter.inputsFolder)/\(role).sql is not this step's \(what) (\(scripts.map(\.file).joined(separator: ", "))) as the recorded migrations give it")
                }
            }
        }
        // The engine and seed the walk claims are the ones the step ran with.
        if let dialect = walkDialect, evidence["predicate"]?["engine"]?["name"]?.stringValue != dialect {
            finding(at, "ran on \(evidence["predicate"]?["engine"]?["name"]?.stringValue ?? "?"), but walk.json says the walk ran on \(dialect)")
        }
        if let seed = walkSeed, evidence["predicate"]?["source"]?["seed"] != seed {
            finding(at, "was generated with seed \(evidence["predicate"]?["source"]?["seed"]?.canonicalString ?? "?"), but walk.json records seed \(seed.canonicalString)")
        }
        // The rows were generated by the walk's settings (W-F2): the step's
        // manifest is the one the walk writes, its profile the walk's profile
        // filtered for the step's schema (which --replay holds to the history).
        if let unit, let seed = walkSeed?.integerValue, let superuser = walkSuperuser {
            let manifest = MigrationWorkFolder.manifest(label: unit.label, seed: String(seed), transactional: unit.transactional, superuser: superuser)
            if sub.file(named: EvidenceWriter.inputPath(role: "manifest", of: "manifest.yaml")) != Array(manifest.utf8) {
                finding(at, "\(run)/\(EvidenceWriter.inputsFolder)/manifest.yaml is not the manifest the walk writes for this step with its settings (seed \(seed), scale 1, transactional \(unit.transactional), postgres_superuser \(superuser))")
            }
        }
        if let profile = walkProfile {
            let schema = sub.file(named: EvidenceWriter.inputPath(role: "schema", of: "schema.sql")).flatMap { String(bytes: $0, encoding: .utf8) } ?? ""
            let expected = MigrationProfile.filter(profile, schema: schema).text
            if sub.file(named: EvidenceWriter.inputPath(role: "profile", of: "profile.yaml")) != Array(expected.utf8) {
                finding(at, "\(run)/\(EvidenceWriter.inputsFolder)/profile.yaml is not the walk's profile (\(MigrationWalkIndex.profileFile)) for this step's schema: its rows were generated by other settings")
            }
        }
        let verdict = evidence["predicate"]?["verdict"]?.stringValue
        if step["verdict"]?.stringValue != verdict { finding(at, "claims verdict \(step["verdict"]?.stringValue ?? "none"), its evidence records \(verdict ?? "none")") }
        // Re-birth and verify: the step folder's own sealed record, which walk.json repeats.
        let record = sub.file(named: MigrationWalkIndex.stepRecordFile).flatMap { try? JSONValue.parseStrict($0) }
        if record?["format"]?.stringValue != MigrationWalkIndex.stepRecordFormat {
            finding(at, "\(run)/\(MigrationWalkIndex.stepRecordFile) is missing or not a step record of format \(MigrationWalkIndex.stepRecordFormat)")
        }
        let rebirth = record?["rebirth"] ?? .null, verify = record?["verify"] ?? .null
        if (step["rebirth"] ?? .null) != rebirth { finding(at, "re-birth differs from what \(run)/\(MigrationWalkIndex.stepRecordFile) records") }
        if (step["verify"] ?? .null) != verify { finding(at, "verify differs from what \(run)/\(MigrationWalkIndex.stepRecordFile) records") }
        let born = evidence["predicate"]?["fingerprints"]?["born"]
        let outcome = rebirth["outcome"]?.stringValue
        switch outcome {
        case "same"?:
            if rebirth["fingerprint"] != born { finding(at, "re-birth claims the same state as the first birth, but its fingerprint differs from the evidence's born fingerprint") }
        case "differs"?, "not_comparable"?:
            if rebirth["fingerprint"] == born { finding(at, "re-birth claims a different state, but its fingerprint equals the evidence's born fingerprint") }
        default: break
        }
        if outcome == "not_comparable", let unit, MigrationChance.firstCall(in: unit.up) == nil {
            finding(at, "re-birth claims not comparable, but the up calls nothing that reads chance or the clock")
        }
        let verifyFailed = !(verify["failed"]?.arrayValue ?? []).isEmpty
        if let unit {
            if unit.verify.isEmpty {
                if verify != .null { finding(at, "records a verify outcome, but the step has no verify script") }
            } else {
                let path = MigrationWalk.verifyFolder + "/" + unit.label + ".sql"
                accounted.insert(path)
                let text = Array(MigrationWalk.composed(unit.verify).text.utf8)
                if folder.file(named: path) != text || verify["script"]?.stringValue != path || verify["sha256"]?.stringValue != Digest.sha256Hex(text) {
                    finding(at, "\(path) is not this step's verify script (\(unit.verify.map(\.file).joined(separator: ", "))) as the recorded migrations give it, or the verify outcome does not name it")
                }
                // Rehearsed with a verify script that ran: a PASS needs its outcome.
                if verify == .null, verdict == Verdict.pass.rawValue { finding(at, "has a verify script but records no verify outcome") }
            }
        }
        return Self.status(valid: report.isValid, verdict: verdict, rebirth: outcome, verifyFailed: verifyFailed)
    }

    /// A rehearsed step's status and exit, as the walk gives them.
    static func status(valid: Bool, verdict: String?, rebirth: String?, verifyFailed: Bool) -> (status: String, exit: Int32, why: String) {
        let why = "its evidence (verdict \(verdict ?? "none")), re-birth (\(rebirth ?? "none")) and verify (\(verifyFailed ? "failed" : "clean"))"
        guard valid else { return ("REJECTED", RehearseError.Code.evidenceRejected.exitStatus, why) }
        let bad = rebirth == "differs" || rebirth == "failed" || verifyFailed
        let fail = RehearseError.Code.rehearsalFailed.exitStatus
        if verdict == Verdict.pass.rawValue, !bad, rebirth == "not_comparable" { return ("INCONCLUSIVE", 6, why) }
        if verdict == Verdict.pass.rawValue, !bad, rebirth == "same" { return ("PASS", 0, why) }
        if verdict == Verdict.pass.rawValue || verdict == Verdict.fail.rawValue || bad { return ("FAIL", fail, why) }
        return (verdict ?? "FAIL", verdict == "INCONCLUSIVE" ? 6 : fail, why)
    }
}
