import RehearseCore

/// What each lane allows, what it needs, and which lane is active: the words
/// `rehearse lanes` prints and every refusal reuses, so a lane is described
/// the same way wherever an operator meets it.
extension Lane {
    /// Accepts a lane's number (`2`) or its name (`AUTHORIZE_OPERATOR_REAL_DATA_CLONE_HANDOFF`,
    /// case-sensitive, as the decision packet spells it).
    public init?(selection: String) {
        if let n = Int(selection), let lane = Lane.allCases.first(where: { $0.number == n }) {
            self = lane
        } else if let lane = Lane(rawValue: selection) {
            self = lane
        } else {
            return nil
        }
    }

    /// One sentence: what rehearse does under this lane.
    public var allows: String {
        switch self {
        case .holdRealData:
            "Surrogate rehearsals only; any request for real data is refused with an explanation of what grant would allow it."
        case .operatorRealDataCloneHandoff:
            "rehearse --dump on an operator-provided, secret-free dump, restored into a scratch database; the source is never modified and no other host is contacted."
        case .productionDryRunOnly:
            "A read-only scoping of the birth surface on production; no mutation is possible. This version has no production path: it is refused."
        case .productionRealRunPrecheckOnly:
            "A report of whether every precondition of a real run is met; never executes anything. The precheck comes with the nightly/decision-packet work: it is refused in this version."
        case .productionExecution:
            "Not selectable: rehearse has no code path that executes against production."
        }
    }

    /// One sentence: what selecting this lane needs.
    public var needs: String {
        switch self {
        case .holdRealData:
            "Nothing: it is the default."
        case .operatorRealDataCloneHandoff:
            "A grant for this lane, bound to the dump's SHA-256, inside its validity window, signed by enough distinct keys of the operator's trust file: rehearse --dump PATH --grant FILE --trust FILE."
        case .productionDryRunOnly:
            "Its own grant for lane 3 plus a read-only production path, which this version does not have."
        case .productionRealRunPrecheckOnly:
            "Its own grant for lane 4 plus the outputs of lanes 2 and 3 and the owner's scoping, which this version does not check yet."
        case .productionExecution:
            "Grants outside this tool (real-dump rehearsal proven, production surface scoped, rollback and real-run grants, per-action permits); rehearse never selects it."
        }
    }

    /// Whether any invocation of this version can run under the lane.
    public var isSelectable: Bool {
        self == .holdRealData || self == .operatorRealDataCloneHandoff
    }
}

/// The lane a command runs under, and why: the default unless a verified grant
/// selected lane 2.
package struct ActiveLane: Sendable, Equatable {
    package var lane: Lane
    package var reason: String

    package init(lane: Lane, reason: String) {
        self.lane = lane
        self.reason = reason
    }

    package static let byDefault = ActiveLane(
        lane: .holdRealData,
        reason: "the default: no grant was given, and only a verified grant (rehearse --dump PATH --grant FILE --trust FILE) selects another lane")
}

extension Governance {
    /// Grants can be written for lane 2 only; any other lane is refused with
    /// what it would need.
    public static func requireGrantable(_ lane: Lane) throws {
        if lane == .operatorRealDataCloneHandoff { return }
        if lane == .productionExecution {
            try authorize(.surrogate, lane: lane)
        }
        throw RehearseError.refused("Refused: no grant can be written for lane \(lane.number), \(lane.rawValue), in this version: grants select lane 2 (\(Lane.operatorRealDataCloneHandoff.rawValue)) only. \(lane.needs)")
    }
}
