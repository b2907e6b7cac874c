import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// Re-checks a walk folder. Nothing `walk.json` says about a step is taken
/// on trust where it can be derived:
/// - the walk's seal over every file, and no file the index does not account for;
/// - the steps: the directory's files as sealed (`inventory`, `source/`) read
///   again by the layout's own rules, selected by `--from`/`--to`, give
///   exactly the steps listed, in order, with their versions, names and files;
/// - a step not rehearsed has the status its files give (irreversible,
///   placeholder, code, ...), recomputed, never claimed;
/// - a rehearsed step's run folder is valid by the ordinary validator, is the
///   folder whose evidence and seal digests walk.json binds, and holds as its
///   birth and rollback exactly the step's up and down as composed from those
///   files; its verify script is the step's; its own sealed record of
///   re-birth and verify agrees with walk.json; its status is recomputed from
///   the evidence's verdict, re-birth and verify;
/// - the walk's exit status is the worst of the recomputed steps';
/// - with a trust policy, walk.json (which binds all of the above by digest)
///   is signed by enough trusted keys.
package enum MigrationWalkValidator {
    package static let envelopeFile = "walk.dsse.json"
    package static let payloadType = "application/vnd.rehearse.migrations-walk+json"

    package static func isWalk(_ directory: URL) -> Bool {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent(MigrationWalk.indexFile).path)
    }

    /// The findings (empty when valid) and the walk's exit status.
    package static func validate(_ directory: URL, trust: TrustPolicy? = nil) throws -> (findings: [ValidationFinding], exitStatus: Int32) {
        let folder = try RunFolder(directory: directory)
        var findings: [ValidationFinding] = []
        func finding(_ path: String, _ message: String) { findings.append(ValidationFinding(rule: "W1", path: path, message: message)) }
        for f in Seal.verify(folder) { finding(f.path, "walk seal: \(f.sentence)") }
        let index = folder.file(named: MigrationWalk.indexFile).flatMap { try? JSONValue.parseStrict($0) }
        if index?["format"]?.stringValue == MigrationWalkIndex.formatV1 {
            finding(MigrationWalk.indexFile, "is a walk of format v1 (written before walks recorded their migrations directory), whose steps cannot be checked against the migrations it names; it is not accepted. Walk the directory again with this rehearse.")
            return (findings, RehearseError.Code.evidenceRejected.exitStatus)
        }
        guard let index, index["format"]?.stringValue == MigrationWalkIndex.format, let steps = index["steps"]?.arrayValue else {
            finding(MigrationWalk.indexFile, "missing, not strict JSON, or not a walk index of format \(MigrationWalkIndex.format)")
            return (findings, RehearseError.Code.evidenceRejected.exitStatus)
        }
        if steps.isEmpty { finding(MigrationWalk.indexFile, "lists no step: a walk of no migration proves nothing (rehearse refuses to write one)") }
        findings += Validator.signatureFindings(folder, trust: trust, payloadFile: MigrationWalk.indexFile, envelopeFile: envelopeFile,
                                                payloadType: payloadType)
        var accounted: Set<String> = [MigrationWalk.indexFile, Seal.fileName, envelopeFile]
        if index["profile"]?["sha256"]?.stringValue == nil || index["postgres_superuser"]?.boolValue == nil
            || (index["seed"]?.integerValue).map({ $0 < 0 }) ?? true {
            // The seed too: without it each step's manifest was not held to the
            // walk's, and a step rehearsed at another scale could be swapped in
            // (review of session 4).
            finding(MigrationWalk.indexFile, "records no profile, no postgres_superuser setting or no seed, so no step's generated rows can be held to the walk's settings")
        }
        for (key, file) in [("prelude", MigrationWalkIndex.preludeFile), ("baseline", MigrationWalkIndex.baselineFile), ("profile", MigrationWalkIndex.profileFile)] {
            guard let digest = index[key]?["sha256"]?.stringValue else { continue }
            accounted.insert(file)
            if folder.file(named: file).map({ Digest.sha256Hex($0) }) != digest { finding(file, "missing, or not the \(key) whose digest walk.json records") }
        }
        let derived = derive(index, folder, finding)
        for entry in derived?.inventory ?? [] where entry.read { accounted.insert(MigrationInventory.sourceFolder + "/" + (entry.sha256 ?? "")) }
        if let units = derived?.units, units.count != steps.count {
            let missing = units.count > steps.count ? units[steps.count] : nil
            finding(MigrationWalk.indexFile, "lists \(steps.count) steps, but the migrations it records, read by the \(index["layout"]?.stringValue ?? "?") rules, give \(units.count) in the range walked"
                    + (missing.map { "; the first not listed is step \($0.index + 1) (\($0.version) \($0.name))" } ?? ""))
        }
        var worst: Int32 = 0
        var named: Set<String> = []
        for (i, step) in steps.enumerated() {
            let at = "\(MigrationWalk.indexFile) step \(i + 1) (\(step["version"]?.stringValue ?? "?") \(step["name"]?.stringValue ?? "?"))"
            let unit = derived?.units.indices.contains(i) == true ? derived!.units[i] : nil
            let check = MigrationWalkStepCheck(step: step, unit: unit, folder: folder, at: at, walkDialect: index["dialect"]?.stringValue,
                                               walkSeed: index["seed"], walkProfile: folder.file(named: MigrationWalkIndex.profileFile).flatMap { String(bytes: $0, encoding: .utf8) },
                                               walkSuperuser: index["postgres_superuser"]?.boolValue)
            let outcome = check.run(named: &named)
            findings += outcome.findings
            accounted.formUnion(outcome.accounted)
            worst = MigrationStepResult.worse(worst, outcome.exitStatus)
        }
        for path in folder.paths where !accounted.contains(path) {
            let parts = path.split(separator: "/")
            if parts.count >= 3, parts[0] == Substring(MigrationWalk.stepsFolder), named.contains(parts.prefix(2).joined(separator: "/")) { continue }
            if parts.count >= 3, parts[0] == Substring(MigrationWalk.stepsFolder) {
                let run = parts.prefix(2).joined(separator: "/")
                finding(run, "a run folder that no step of \(MigrationWalk.indexFile) names")
                named.insert(run)
                continue
            }
            finding(path, "a file of the walk folder that \(MigrationWalk.indexFile) does not account for")
        }
        // The summary line counts the statuses (each checked above).
        let summary = MigrationWalkResult.summary(steps.map { $0["status"]?.stringValue ?? "" })
        if index["summary"]?.stringValue != summary { finding(MigrationWalk.indexFile, "claims the summary \(index["summary"]?.stringValue ?? "none"), its steps give \(summary)") }
        let claimed = Int32(clamping: index["exit_status"]?.integerValue ?? -1)
        if claimed != worst { finding(MigrationWalk.indexFile, "claims exit status \(claimed), its steps give \(worst)") }
        return (findings, findings.isEmpty ? claimed : RehearseError.Code.evidenceRejected.exitStatus)
    }

    /// The steps the walk must list: the recorded directory read again by the
    /// recorded layout for the recorded dialect, selected by from/to, in the
    /// recorded mode. Nil (with a finding) when that cannot be done.
    static func derive(_ index: JSONValue, _ folder: RunFolder, _ finding: (String, String) -> Void)
        -> (units: [MigrationUnit], inventory: [MigrationInventory.Entry], set: MigrationSet?, range: ClosedRange<Int>?)? {
        guard let layout = index["layout"]?.stringValue.flatMap(MigrationLayout.init(rawValue:)),
              let dialect = index["dialect"]?.stringValue.flatMap(Dialect.init(rawValue:)),
              let mode = index["mode"]?.stringValue.flatMap(MigrationWalk.Mode.init(rawValue:)),
              let directory = index["directory"]?.stringValue else {
            finding(MigrationWalk.indexFile, "does not name a known layout, dialect, mode and directory")
            return nil
        }
        let recorded: MigrationRecordedDirectory, inventory: [MigrationInventory.Entry]
        switch MigrationInventory.recorded(index, in: folder) {
        case .failure(let why):
            finding(MigrationWalk.indexFile, why.message)
            return nil
        case .success(let r): (recorded, inventory) = r
        }
        do {
            let set = try MigrationFiles.$source.withValue(.recorded(recorded)) {
                try layout.read(URL(fileURLWithPath: directory), dialect: dialect)
            }
            guard let range = try MigrationWalk.select(set, from: index["from"]?.stringValue, to: index["to"]?.stringValue) else {
                return ([], inventory, set, nil)
            }
            switch mode {
            case .step: return (range.map { MigrationUnit.step(set.steps[$0], at: $0, dialect: dialect) }, inventory, set, range)
            case .range: return ([MigrationUnit.range(set.steps, range, dialect: dialect)], inventory, set, range)
            }
        } catch let error as RehearseError {
            finding(MigrationWalk.indexFile, "the migrations it records do not read by the \(layout.rawValue) rules: \(error.message)")
        } catch {
            finding(MigrationWalk.indexFile, "the migrations it records do not read by the \(layout.rawValue) rules: \(error)")
        }
        return nil
    }

    /// Signs a walk: its walk.json (which binds every step, file and digest),
    /// once the walk validates; then reseals the walk folder.
    package static func sign(walk directory: URL, keyFile: URL) throws -> String {
        let key = try Signing.loadPrivateKey(keyFile)
        let (findings, _) = try validate(directory)
        guard findings.isEmpty else {
            throw RehearseError(.evidenceRejected, "\(directory.path): the walk does not validate (\(findings.first.map(\.description) ?? "")); rehearse signs only valid evidence.")
        }
        return try Signing.addSignature(directory: directory, key: key, payloadFile: MigrationWalk.indexFile, envelopeFile: envelopeFile,
                                        payloadType: payloadType)
    }

    /// One line saying what a walk covers: layout, engine, mode, range, steps.
    package static func coverage(_ directory: URL, trusted: Bool) -> (text: String, json: JSONValue)? {
        guard let folder = try? RunFolder(directory: directory),
              let index = folder.file(named: MigrationWalk.indexFile).flatMap({ try? JSONValue.parseStrict($0) }),
              let steps = index["steps"]?.arrayValue else { return nil }
        let from = index["from"]?.stringValue, to = index["to"]?.stringValue
        let range: String = switch (from, to) {
        case (nil, nil): "every migration"
        case let (from, to): "--from \(from ?? "the first") --to \(to ?? "the last")"
        }
        let derived = derive(index, folder) { _, _ in }
        let total = derived?.set?.steps.count ?? 0, covered = derived?.range?.count ?? 0
        let enveloped = folder.file(named: envelopeFile) != nil
        let signature = !enveloped ? "none" : trusted ? "verified" : "present_unchecked"
        let signed = switch signature {
        case "verified": "signed (walk.dsse.json), verified by the trust policy"
        case "present_unchecked": "signature present, not checked without --trust (it vouches for nothing until checked)"
        default: "unsigned"
        }
        let text = "recorded as walk of \(index["directory"]?.stringValue ?? "?") (that path is not checked): layout \(index["layout"]?.stringValue ?? "?"), \(index["dialect"]?.stringValue ?? "?"), \(index["mode"]?.stringValue ?? "?") mode, \(range), \(steps.count) steps covering \(covered) of the \(total) migrations; \(signed)"
        let json: JSONValue = [
            "directory_recorded": index["directory"] ?? .null, "layout": index["layout"] ?? .null, "dialect": index["dialect"] ?? .null,
            "mode": index["mode"] ?? .null, "from": index["from"] ?? .null, "to": index["to"] ?? .null,
            "steps": .integer(Int64(steps.count)), "migrations": .integer(Int64(total)), "covered": .integer(Int64(covered)),
            "covers_every_migration": .bool(total > 0 && covered == total), "signature": .string(signature),
            "statuses": .array(steps.map { ["version": $0["version"] ?? .null, "name": $0["name"] ?? .null, "status": $0["status"] ?? .null,
                                            "exit_status": $0["exit_status"] ?? .null] }),
        ]
        return (text, json)
    }

    /// `validate --reproduce` / `--replay` of a walk: each step's run folder by
    /// the ordinary checks; with `--replay`, each rehearsed step's re-birth and
    /// verify script run again inside the replay and must come out as recorded.
    package static func checkSteps(_ directory: URL, reproduce: Bool, replay: Bool, postgres: PostgresTarget) throws -> [ValidationFinding] {
        let folder = try RunFolder(directory: directory)
        guard let index = folder.file(named: MigrationWalk.indexFile).flatMap({ try? JSONValue.parseStrict($0) }),
              let steps = index["steps"]?.arrayValue else { return [] }
        let derived = derive(index, folder) { _, _ in }
        let units = derived?.units ?? []
        var findings: [ValidationFinding] = []
        if replay, let derived, let set = derived.set {
            findings += try MigrationWalkHistoryReplay.check(index: index, folder: folder, set: set, range: derived.range, units: units,
                                                            postgres: postgres)
        }
        for (i, step) in steps.enumerated() {
            guard let run = step["run"]?.stringValue, RunFolder.isPortable(run) else { continue }
            let runFolder = try RunFolder(directory: directory.appendingPathComponent(run))
            func located(_ more: [ValidationFinding]) -> [ValidationFinding] {
                more.map { ValidationFinding(rule: $0.rule, path: run + "/" + $0.path, message: $0.message) }
            }
            if reproduce { findings += located(try Reproduction.check(runFolder, postgres: postgres)) }
            guard replay else { continue }
            var followUp: MigrationStepFollowUp?
            if units.indices.contains(i), units[i].skip == nil {
                let unit = units[i]
                let verifyScript = unit.verify.isEmpty ? nil : { () -> SQLScript in
                    let path = MigrationWalk.verifyFolder + "/" + unit.label + ".sql"
                    let text = MigrationWalk.composed(unit.verify).text
                    return SQLScript(displayPath: path, url: directory.appendingPathComponent(path), text: text, sha256: Digest.sha256Hex(Data(text.utf8)))
                }()
                followUp = MigrationStepFollowUp(unit: unit, verifyScript: verifyScript, verify: nil)
            }
            findings += located(try Replay.check(runFolder, postgres: postgres, afterRollback: followUp.map { f in { try f.run($0, $1) } }))
            if let followUp { findings += compare(step, followUp, at: run + "/" + MigrationWalkIndex.stepRecordFile) }
        }
        return findings
    }

    /// Re-birth and verify as the replay found them against what the walk records.
    static func compare(_ step: JSONValue, _ replayed: MigrationStepFollowUp, at path: String) -> [ValidationFinding] {
        var out: [ValidationFinding] = []
        func finding(_ message: String) { out.append(ValidationFinding(rule: "R16-replay", path: path, message: message)) }
        let recorded = step["rebirth"] ?? .null
        let a = recorded["outcome"]?.stringValue, b = replayed.rebirth["outcome"]?.stringValue
        if a != b {
            finding("re-birth run again in the replay came out \(b ?? "not run"); the walk records \(a ?? "none")")
        } else if a == "same" || a == "differs", recorded["fingerprint"] != replayed.rebirth["fingerprint"] {
            finding("re-birth run again in the replay gives another re-born state than the walk records")
        }
        // Where each failing verify statement is (the engine's wording may change between versions).
        func failures(_ v: JSONValue) -> [String] {
            (v["failed"]?.arrayValue ?? []).compactMap { $0.stringValue.map { String($0.split(separator: ":", maxSplits: 2).prefix(2).joined(separator: ":")) } }
        }
        let recordedVerify = step["verify"] ?? .null
        if failures(recordedVerify) != failures(replayed.verify) || recordedVerify["statements"] != replayed.verify["statements"] {
            let shown = { (v: JSONValue) in v == .null ? "not run" : "\(failures(v).count) failed (\(failures(v).joined(separator: ", ")))" }
            finding("the verify script run again in the replay: \(shown(replayed.verify)); the walk records \(shown(recordedVerify))")
        }
        return out
    }
}
