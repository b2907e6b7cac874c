/// Everything a rehearsal observed, from which evidence is written.
public struct RehearsalRecord: Sendable {
    public var runID: String
    public var startedAt: Int64
    public var lane: Lane
    public var surrogateName: String
    public var seed: UInt64
    public var scale: Double
    public var inputs: RehearsalInputs
    public var engine: (name: String, version: String) = ("", "")
    public var isolation: JSONValue = .null
    public var load: LoadRecord?
    public var phases: [PhaseRecord] = []
    public var birthStatements: [StatementRecord] = []
    public var rollbackStatements: [StatementRecord] = []
    /// What the engine saw birth and rollback do, where it can (PostgreSQL).
    public var birthObserved: JSONValue?
    public var rollbackObserved: JSONValue?
    public var checksAfterBirth: [CheckResult] = []
    public var checksAfterRollback: [CheckResult] = []
    public var pre: Fingerprint?
    public var born: Fingerprint?
    public var post: Fingerprint?
    public var birthSurface: Drift?
    public var drift: Drift?
    public var failure: (phase: Phase, message: String)?
    /// Set when the data came from a granted dump clone instead of the
    /// generator: the evidence's `source` and `grant`.
    public var dumpClone: (source: JSONValue, grant: JSONValue)?

    /// PASS only when every phase ran and succeeded, every check passed and
    /// the post-rollback fingerprint equals the pre-birth one.
    public var verdict: Verdict {
        guard failure == nil,
              phases.count == Phase.allCases.count, phases.allSatisfy({ $0.outcome == .ok }),
              (checksAfterBirth + checksAfterRollback).allSatisfy(\.passed),
              let pre, let post, pre == post, drift?.isEmpty == true else { return .fail }
        return .pass
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
        func statements(_ s: [StatementRecord]) -> JSONValue {
            .array(s.map { ["line": .integer(Int64($0.line)), "duration_us": .integer($0.durationMicros), "rows_changed": .integer($0.rowsChanged)] })
        }
        var inputsJSON: [String: JSONValue] = [:]
        for f in inputs.files {
            inputsJSON[f.role] = ["subject": .string(RehearsalInputs.runPath(role: f.role, of: f.path)), "source_path": .string(f.path)]
        }
        let source: JSONValue = [
            "kind": "surrogate",
            "tag": .string(SurrogateTag.generated),
            "name": .string(surrogateName),
            "generator": .string(SurrogatePlan.generatorVersion),
            "spec_digest": .string(load?.specDigest ?? ""),
            "seed": .integer(Int64(clamping: seed)),
            "scale": .string(describeScale(scale)),
            "rows": .object((load?.rowsPerTable ?? [:]).mapValues { .integer($0) }),
        ]
        var record: [String: JSONValue] = [
            "tool": ["name": "rehearse", "version": .string(RehearseVersion.current)],
            "run_id": .string(runID),
            "started_at": .string(CivilTime.rfc3339(startedAt)),
            "lane": .string(lane.rawValue),
            "grant": dumpClone?.grant ?? .null,
            "source": dumpClone?.source ?? source,
            "engine": ["name": .string(engine.name), "version": .string(engine.version)],
            "target": isolation,
            "inputs": .object(inputsJSON),
            "phases": .array(phases.map(\.json)),
            "statements": ["birth": statements(birthStatements), "rollback": statements(rollbackStatements)],
            "checks": ["after_birth": .array(checksAfterBirth.map(\.json)), "after_rollback": .array(checksAfterRollback.map(\.json))],
            "fingerprints": ["pre": pre?.json ?? .null, "born": born?.json ?? .null, "post": post?.json ?? .null],
            "birth_surface": birthSurface?.json ?? .null,
            "drift": drift?.json ?? .null,
            "failure": failure.map { ["phase": .string($0.phase.rawValue), "message": .string($0.message)] } ?? .null,
            "verdict": .string(verdict.rawValue),
        ]
        if birthObserved != nil || rollbackObserved != nil {
            record["observed"] = ["birth": birthObserved ?? .null, "rollback": rollbackObserved ?? .null]
        }
        return .object(record)
    }
}
