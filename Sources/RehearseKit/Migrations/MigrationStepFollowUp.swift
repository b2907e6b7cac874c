import Foundation
import RehearseCore
import RehearseEvidence
import RehearseEngine

/// What a walk runs on a step's scratch database after the rollback and its
/// compare: re-birth (the up again, compared with the first born state) and
/// the step's verify script (Sqitch). The walk runs it inside the step's
/// rehearsal; `validate WALK --replay` runs it inside the replay of the
/// step, so re-birth and verify are proven again, not only recorded.
package final class MigrationStepFollowUp {
    let unit: MigrationUnit
    let verifyScript: SQLScript?
    let verifyText: ComposedScript?
    let relocate: (String) -> String

    /// `outcome` same, differs, not_comparable or failed, with the re-born fingerprint and drift.
    package private(set) var rebirth: JSONValue = .null
    /// The verify script, its digest, its statement count and the statements that failed.
    package private(set) var verify: JSONValue = .null
    package private(set) var rebirthLines: [String] = []
    package private(set) var verifyLines: [String] = []
    package private(set) var chanceLine: String?

    package init(unit: MigrationUnit, verifyScript: SQLScript?, verify: ComposedScript?, relocate: @escaping (String) -> String = { $0 }) {
        self.unit = unit
        self.verifyScript = verifyScript
        self.verifyText = verify
        self.relocate = relocate
    }

    package func run(_ scratch: ScratchEngine, _ record: RehearsalRecord) throws {
        guard record.post != nil, let born = record.born else { return }
        do {
            _ = try scratch.apply(record.inputs.birth, transactional: unit.transactional)
        } catch let failure {
            rebirth = ["outcome": "failed", "message": .string(relocate("\(failure)"))]
            rebirthLines = ["re-birth: the up failed on the rolled-back database: " + relocate("\(failure)")]
            return
        }
        let reborn = try scratch.fingerprint()
        let drift = Drift(from: born, to: reborn)
        rebirth = ["outcome": .string(drift.isEmpty ? "same" : "differs"), "fingerprint": reborn.json, "drift": drift.json]
        if !drift.isEmpty {
            // The down restored the fingerprinted state exactly, yet the up
            // came out differently: an up that reads chance or the clock
            // does that by itself, so re-birth proves nothing either way.
            if record.drift?.isEmpty == true, drift.schema.isEmpty, let call = MigrationChance.firstCall(in: unit.up) {
                chanceLine = "re-birth not comparable: the up calls \(call) and gives different rows each run; the rollback restored the state exactly, but whether the down leaves a trace the second up would show is not known"
                rebirth = rebirth.with("outcome", "not_comparable")
            } else {
                rebirthLines = ["re-birth: the up run again after the down gives a different state than the first up (the down leaves a trace)"]
                    + MigrationDriftText.lines(drift)
            }
        }
        if let verifyScript {
            let checks = try scratch.runChecks(verifyScript)
            // Sqitch's rule: a verify script passes when no statement errors.
            let failed = checks.filter { $0.returned.hasPrefix("error") || $0.returned.hasPrefix("refused") }
            verify = ["script": .string(verifyScript.displayPath), "sha256": .string(verifyScript.sha256),
                       "statements": .integer(Int64(checks.count)), "failed": .array(failed.map { .string("\($0.file):\($0.line): \($0.returned)") })]
            for f in failed {
                verifyLines.append("verify failed at " + (verifyText?.locate(f.line).map { "\($0.file):\($0.line)" } ?? "\(f.file):\(f.line)") + ": \(f.returned)")
            }
        }
    }
}
