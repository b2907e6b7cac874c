import RehearseCore

/// The steps of a rehearsal, in the order they must appear in evidence.
public enum Phase: String, CaseIterable, Sendable {
    case provision
    case load
    case fingerprintPre = "fingerprint_pre"
    case birth
    case checksAfterBirth = "checks_after_birth"
    case fingerprintBorn = "fingerprint_born"
    case rollback
    case checksAfterRollback = "checks_after_rollback"
    case fingerprintPost = "fingerprint_post"
    case compare

    /// The phase's name for people, as the command line prints it.
    public var title: String {
        switch self {
        case .provision: "provision scratch database"
        case .load: "load surrogate"
        case .fingerprintPre: "fingerprint (pre)"
        case .birth: "birth"
        case .checksAfterBirth: "checks after birth"
        case .fingerprintBorn: "fingerprint (born)"
        case .rollback: "rollback (fresh connection)"
        case .checksAfterRollback: "checks after rollback"
        case .fingerprintPost: "fingerprint (post)"
        case .compare: "compare pre with post"
        }
    }
}

/// How one phase of a rehearsal went, as evidence records it under `phases`.
public struct PhaseRecord: Sendable, Equatable {
    /// Whether the phase succeeded, failed, or did not run.
    public enum Outcome: String, Sendable { case ok, failed, skipped }
    /// Which phase.
    public var phase: Phase
    /// How it went.
    public var outcome: Outcome
    /// How long it took, in microseconds.
    public var durationMicros: Int64
    /// One line for people: rows loaded, checks passed, the failure.
    public var detail: String

    /// The evidence form: name (the phase's raw value), outcome, `duration_us` and detail.
    public var json: JSONValue {
        ["name": .string(phase.rawValue), "outcome": .string(outcome.rawValue),
         "duration_us": .integer(durationMicros), "detail": .string(detail)]
    }

    package init(phase: Phase, outcome: Outcome, durationMicros: Int64, detail: String) {
        self.phase = phase
        self.outcome = outcome
        self.durationMicros = durationMicros
        self.detail = detail
    }
}

/// A rehearsal's outcome, recorded as `predicate.verdict` (docs/VERDICTS.md): PASS exits 0, FAIL 1, INCONCLUSIVE 6.
public enum Verdict: String, Sendable, CaseIterable {
    /// Every phase succeeded, every check passed, post equals pre, and the birth exercised its data changes (exit 0).
    case pass = "PASS"
    /// A phase failed, a check failed, or the rollback left drift (exit 1).
    case fail = "FAIL"
    /// Every phase succeeded and post equals pre, but the birth did not
    /// exercise its data changes (docs/VERDICTS.md): nothing shows the
    /// rollback restores data. Never a PASS; exit status 6.
    case inconclusive = "INCONCLUSIVE"
}
