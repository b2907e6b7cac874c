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

public struct PhaseRecord: Sendable, Equatable {
    public enum Outcome: String, Sendable { case ok, failed, skipped }
    public var phase: Phase
    public var outcome: Outcome
    public var durationMicros: Int64
    /// One line for people: rows loaded, checks passed, the failure.
    public var detail: String

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

public enum Verdict: String, Sendable, CaseIterable {
    case pass = "PASS"
    case fail = "FAIL"
    /// Every phase succeeded and post equals pre, but the birth did not
    /// exercise its data changes (docs/VERDICTS.md): nothing shows the
    /// rollback restores data. Never a PASS; exit status 6.
    case inconclusive = "INCONCLUSIVE"
}
