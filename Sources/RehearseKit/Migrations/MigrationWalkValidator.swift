import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// Re-checks a walk folder: the walk's seal over every file; `walk.json`
/// strict and of this format; every step's run folder valid by the ordinary
/// validator, with the verdict `walk.json` claims for it; re-birth's
/// re-born fingerprint equal to the step's sealed born fingerprint exactly
/// when re-birth claims `same`; a PASS only where the evidence is a PASS,
/// re-birth is `same` and verify found nothing; no run folder that no step
/// names; and the walk's exit status the worst of its steps'.
package enum MigrationWalkValidator {
    package static func isWalk(_ directory: URL) -> Bool {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent(MigrationWalk.indexFile).path)
    }

    /// The findings (empty when valid) and the walk's exit status as claimed.
    package static func validate(_ directory: URL) throws -> (findings: [ValidationFinding], exitStatus: Int32) {
        let folder = try RunFolder(directory: directory)
        var findings: [ValidationFinding] = []
        func finding(_ path: String, _ message: String) { findings.append(ValidationFinding(rule: "W1", path: path, message: message)) }
        for f in Seal.verify(folder) { finding(f.path, "walk seal: \(f.sentence)") }
        guard let bytes = folder.file(named: MigrationWalk.indexFile), let index = try? JSONValue.parseStrict(bytes),
              index["format"]?.stringValue == MigrationWalkIndex.format, let steps = index["steps"]?.arrayValue else {
            finding(MigrationWalk.indexFile, "missing, not strict JSON, or not a walk index of format \(MigrationWalkIndex.format)")
            return (findings, RehearseError.Code.evidenceRejected.exitStatus)
        }
        for (key, file) in [("prelude", MigrationWalkIndex.preludeFile), ("baseline", MigrationWalkIndex.baselineFile)] {
            guard let digest = index[key]?["sha256"]?.stringValue else { continue }
            if folder.file(named: file).map({ Digest.sha256Hex($0) }) != digest { finding(file, "missing, or not the \(key) whose digest walk.json records") }
        }
        var worst: Int32 = 0
        var named: Set<String> = []
        for (i, step) in steps.enumerated() {
            let at = "\(MigrationWalk.indexFile) step \(i + 1)"
            let status = step["status"]?.stringValue ?? ""
            let exit = Int32(clamping: step["exit_status"]?.integerValue ?? -1)
            // Step numbers run on without a gap: a step cut out of the walk is a finding.
            if i > 0, let n = step["index"]?.integerValue, let p = steps[i - 1]["index"]?.integerValue, n != p + 1 {
                finding(at, "is step \(n) after step \(p): steps are missing from the walk")
            }
            worst = MigrationStepResult.worse(worst, exit)
            guard let run = step["run"]?.stringValue else {
                if status == "PASS" || status == "FAIL" { finding(at, "claims \(status) with no run folder") }
                continue
            }
            if named.contains(run) { finding(at, "names the run folder \(run), which another step names too") }
            named.insert(run)
            guard run.hasPrefix(MigrationWalk.stepsFolder + "/"), RunFolder.isPortable(run) else {
                finding(at, "run folder \(run) is not under \(MigrationWalk.stepsFolder)/")
                continue
            }
            let report = Validator().validate(try RunFolder(directory: directory.appendingPathComponent(run)))
            for f in report.findings { finding(run, f.description) }
            guard let evidenceBytes = folder.file(named: run + "/" + EvidenceWriter.evidenceFile),
                  let evidence = try? JSONValue.parseStrict(evidenceBytes) else { continue }
            let verdict = evidence["predicate"]?["verdict"]?.stringValue
            if step["verdict"]?.stringValue != verdict { finding(at, "claims verdict \(step["verdict"]?.stringValue ?? "none"), its evidence records \(verdict ?? "none")") }
            let born = evidence["predicate"]?["fingerprints"]?["born"]
            let rebirth = step["rebirth"]
            switch rebirth?["outcome"]?.stringValue {
            case "same"?:
                if rebirth?["fingerprint"] != born { finding(at, "re-birth claims the same state as the first birth, but its fingerprint differs from the evidence's born fingerprint") }
            case "differs"?:
                if rebirth?["fingerprint"] == born { finding(at, "re-birth claims a different state, but its fingerprint equals the evidence's born fingerprint") }
            default: break
            }
            if status == "PASS" {
                if verdict != Verdict.pass.rawValue || report.verdict != .pass { finding(at, "claims PASS but its evidence is not a valid PASS") }
                if rebirth?["outcome"]?.stringValue != "same" { finding(at, "claims PASS but re-birth did not come out the same") }
                if !(step["verify"]?["failed"]?.arrayValue ?? []).isEmpty { finding(at, "claims PASS but its verify script failed") }
                if exit != 0 { finding(at, "claims PASS with exit status \(exit)") }
            } else if exit == 0 {
                finding(at, "is \(status) but claims exit status 0")
            }
        }
        for path in folder.paths where path.hasPrefix(MigrationWalk.stepsFolder + "/") {
            let parts = path.split(separator: "/")
            guard parts.count >= 3 else { continue }
            let run = parts.prefix(2).joined(separator: "/")
            if !named.contains(run) { finding(run, "a run folder that no step of \(MigrationWalk.indexFile) names"); named.insert(run) }
        }
        let claimed = Int32(clamping: index["exit_status"]?.integerValue ?? -1)
        if claimed != worst { finding(MigrationWalk.indexFile, "claims exit status \(claimed), its steps give \(worst)") }
        return (findings, findings.isEmpty ? claimed : RehearseError.Code.evidenceRejected.exitStatus)
    }

    /// The run folders `walk.json` names, in step order (for replaying each).
    package static func runFolders(_ directory: URL) -> [URL] {
        guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent(MigrationWalk.indexFile).path),
              let index = try? JSONValue.parseStrict(Array(data)), let steps = index["steps"]?.arrayValue else { return [] }
        return steps.compactMap { $0["run"]?.stringValue }.filter { RunFolder.isPortable($0) }.map { directory.appendingPathComponent($0) }
    }

    /// `validate --reproduce` / `--replay` of a walk: each step's run folder, by the ordinary checks.
    package static func checkSteps(_ directory: URL, reproduce: Bool, replay: Bool, postgres: PostgresTarget) throws -> [ValidationFinding] {
        var findings: [ValidationFinding] = []
        for run in runFolders(directory) {
            let folder = try RunFolder(directory: run)
            let more = try (reproduce ? Reproduction.check(folder, postgres: postgres) : [])
                + (replay ? Replay.check(folder, postgres: postgres) : [])
            findings += more.map { ValidationFinding(rule: $0.rule, path: MigrationWalk.stepsFolder + "/" + run.lastPathComponent + "/" + $0.path, message: $0.message) }
        }
        return findings
    }
}
