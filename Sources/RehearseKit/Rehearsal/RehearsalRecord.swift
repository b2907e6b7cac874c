import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// Everything a rehearsal observed, from which evidence is written.
public struct RehearsalRecord: Sendable {
    /// The run's ID: UTC start time, the surrogate's name and a random suffix; also the run folder's default name.
    public var runID: String
    /// When the run started, in seconds since the Unix epoch.
    public var startedAt: Int64
    /// The lane the run was under.
    public var lane: Lane
    /// The manifest's name.
    public var surrogateName: String
    /// The seed used.
    public var seed: UInt64
    /// The scale used.
    public var scale: Double
    package var inputs: RehearsalInputs
    /// The engine's dialect name and version; empty until provisioned.
    public var engine: (name: String, version: String) = ("", "")
    /// The scratch database's isolation in evidence form (``ScratchIsolation/json``); `null` until provisioned.
    public var isolation: JSONValue = .null
    /// What the load put in; nil until loaded.
    public var load: LoadRecord?
    /// The phases so far, in order; after a failure the rest are recorded as skipped.
    public var phases: [PhaseRecord] = []
    /// One record per birth statement that ran.
    public var birthStatements: [StatementRecord] = []
    /// One record per rollback statement that ran.
    public var rollbackStatements: [StatementRecord] = []
    /// What the engine saw birth and rollback do, where it can (PostgreSQL).
    public var birthObserved: ScriptObservation?
    /// What the engine saw the rollback do; nil where it cannot see.
    public var rollbackObserved: ScriptObservation?
    /// The checks run after birth; empty when there are none or birth failed.
    public var checksAfterBirth: [CheckResult] = []
    /// The checks run after rollback; empty when there are none or an earlier phase failed.
    public var checksAfterRollback: [CheckResult] = []
    /// The fingerprint after the load, before birth.
    public var pre: Fingerprint?
    /// The fingerprint after birth; nil when birth failed.
    public var born: Fingerprint?
    /// The fingerprint after rollback; nil when an earlier phase failed.
    public var post: Fingerprint?
    /// What birth changed (pre → born); nil when birth failed.
    public var birthSurface: Drift?
    /// What rollback failed to restore (pre → post), with row detail where located; nil when an earlier phase failed.
    public var drift: Drift?
    /// The birth or rollback script's failure; nil when both ran.
    public var failure: (phase: Phase, message: String)?
    /// The evidence's `source` and `grant`, from the data source that loaded
    /// the scratch database (``RehearsalDataSource``).
    public var sourceEvidence: (source: JSONValue, grant: JSONValue) = (.null, .null)

    /// PASS only when every phase ran and succeeded, every check passed,
    /// the post-rollback fingerprint equals the pre-birth one, and the birth
    /// exercised its data changes; the same facts with an unexercised data
    /// change are INCONCLUSIVE. Drift or a failing check is FAIL first.
    public var verdict: Verdict {
        guard failure == nil,
              phases.count == Phase.allCases.count, phases.allSatisfy({ $0.outcome == .ok }),
              (checksAfterBirth + checksAfterRollback).allSatisfy(\.passed),
              let pre, let post, pre == post, drift?.isEmpty == true else { return .fail }
        return exercise?.unexercised.isEmpty == false ? .inconclusive : .pass
    }

    /// The birth's statements judged (BirthExercise), once birth ran and the
    /// born fingerprint exists; split the way the validator splits them.
    package var exercise: BirthExercise? {
        guard let pre, let born,
              let sealed = SealedScript(bytes: Array(inputs.birth.text.utf8), path: inputs.birth.displayPath, engine: engine.name) else { return nil }
        return BirthExercise(sql: sealed.statements.map { (sealed.script.line(ofByteOffset: $0.startOffset), $0.sql) },
                             rowsChanged: birthStatements.map(\.rowsChanged), dialect: sealed.dialect,
                             pre: pre.tables.mapValues { ($0.rows, $0.digest) }, born: born.tables.mapValues { ($0.rows, $0.digest) },
                             preObjects: pre.objectDigests, bornObjects: born.objectDigests, file: inputs.birth.displayPath)
    }

    /// The evidence: an in-toto Statement v1 whose subjects are the run's
    /// inputs and whose predicate is the rehearsal record.
    public var evidence: JSONValue {
        let subjects = inputs.files.map { f -> JSONValue in
            ["name": .string(RehearsalInputs.runPath(role: f.role, of: f.path)), "digest": ["sha256": .string(f.sha256)]]
        }.sorted { ($0["name"]?.stringValue ?? "") < ($1["name"]?.stringValue ?? "") }
        return [
            "_type": .string(EvidenceFormat.statementType),
            "subject": .array(subjects),
            "predicateType": .string(EvidenceFormat.predicateType),
            "predicate": predicate,
        ]
    }

    /// The rehearsal record: the predicate of the evidence statement.
    public var predicate: JSONValue {
        let exercise = self.exercise
        func statements(_ s: [StatementRecord], judged: [BirthExercise.Statement]? = nil) -> JSONValue {
            .array(s.enumerated().map { n, r in
                var o: [String: JSONValue] = ["line": .integer(Int64(r.line)), "duration_us": .integer(r.durationMicros), "rows_changed": .integer(r.rowsChanged)]
                if let judged, n < judged.count {
                    o["effect"] = .string(judged[n].effect.kind.rawValue)
                    o["matched_rows"] = judged[n].matchedRows.map { .integer($0) } ?? .null
                }
                return .object(o)
            })
        }
        var inputsJSON: [String: JSONValue] = [:]
        for f in inputs.files {
            inputsJSON[f.role] = ["subject": .string(RehearsalInputs.runPath(role: f.role, of: f.path)), "source_path": .string(f.path)]
        }
        var record: [String: JSONValue] = [
            "tool": ["name": "rehearse", "version": .string(RehearseVersion.current)],
            "run_id": .string(runID),
            "started_at": .string(CivilTime.rfc3339(startedAt)),
            "lane": .string(lane.rawValue),
            "grant": sourceEvidence.grant,
            "source": sourceEvidence.source,
            "engine": ["name": .string(engine.name), "version": .string(engine.version)],
            "target": isolation,
            "inputs": .object(inputsJSON),
            "phases": .array(phases.map(\.json)),
            "statements": ["birth": statements(birthStatements, judged: exercise?.statements), "rollback": statements(rollbackStatements)],
            "checks": ["after_birth": .array(checksAfterBirth.map(\.json)), "after_rollback": .array(checksAfterRollback.map(\.json))],
            "fingerprints": ["pre": pre?.json ?? .null, "born": born?.json ?? .null, "post": post?.json ?? .null],
            "birth_surface": birthSurface?.json ?? .null,
            "drift": drift?.json ?? .null,
            "failure": failure.map { ["phase": .string($0.phase.rawValue), "message": .string($0.message)] } ?? .null,
            "verdict": .string(verdict.rawValue),
        ]
        if let exercise, !exercise.unexercised.isEmpty {
            record["unexercised"] = .array(exercise.unexercised.map(\.json))
        }
        if birthObserved != nil || rollbackObserved != nil {
            record["observed"] = ["birth": birthObserved?.json ?? .null, "rollback": rollbackObserved?.json ?? .null]
        }
        return .object(record)
    }
}
