import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// Everything a rehearsal observed, from which evidence is written.
public struct RehearsalRecord: Sendable {
    public var runID: String
    public var startedAt: Int64
    public var lane: Lane
    public var surrogateName: String
    public var seed: UInt64
    public var scale: Double
    package var inputs: RehearsalInputs
    public var engine: (name: String, version: String) = ("", "")
    public var isolation: JSONValue = .null
    public var load: LoadRecord?
    public var phases: [PhaseRecord] = []
    public var birthStatements: [StatementRecord] = []
    public var rollbackStatements: [StatementRecord] = []
    /// What the engine saw birth and rollback do, where it can (PostgreSQL).
    public var birthObserved: ScriptObservation?
    public var rollbackObserved: ScriptObservation?
    public var checksAfterBirth: [CheckResult] = []
    public var checksAfterRollback: [CheckResult] = []
    public var pre: Fingerprint?
    public var born: Fingerprint?
    public var post: Fingerprint?
    public var birthSurface: Drift?
    public var drift: Drift?
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
