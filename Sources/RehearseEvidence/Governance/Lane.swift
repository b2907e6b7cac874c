import RehearseCore

/// The authority a run happens under: the decision options of the governance
/// packet. The default is ``holdRealData``; ``productionExecution`` exists only
/// so it can be named and refused: no code path executes under it.
public enum Lane: String, CaseIterable, Sendable {
    case holdRealData = "HOLD_REAL_DATA"
    case operatorRealDataCloneHandoff = "AUTHORIZE_OPERATOR_REAL_DATA_CLONE_HANDOFF"
    case productionDryRunOnly = "AUTHORIZE_PRODUCTION_DRYRUN_ONLY"
    case productionRealRunPrecheckOnly = "AUTHORIZE_PRODUCTION_REALRUN_PRECHECK_ONLY"
    case productionExecution = "AUTHORIZE_PRODUCTION_EXECUTION"

    /// The lane a run is under unless a verified grant selects another: ``holdRealData``.
    public static let `default` = Lane.holdRealData

    /// The option number used in the decision packet (1–5).
    public var number: Int {
        switch self {
        case .holdRealData: 1
        case .operatorRealDataCloneHandoff: 2
        case .productionDryRunOnly: 3
        case .productionRealRunPrecheckOnly: 4
        case .productionExecution: 5
        }
    }
}

/// Decides whether a request may proceed under a lane. Refusals explain what
/// would allow the request, and never touch the resource asked for. A lane
/// other than the default is only ever reached through a verified grant
/// (``GrantVerifier``); this check says whether the request fits the lane.
public enum Governance {
    /// What a run asks to do with real data, if anything.
    public enum Request: Sendable {
        case surrogate
        case dumpClone(path: String)
    }

    /// Returns when `request` fits `lane`; otherwise throws a ``RehearseError`` of code `refused` (exit 3) that says what would allow it.
    /// Lane 5 is always refused, lanes 3 and 4 are not available; a surrogate needs lane 1 and a dump clone lane 2.
    public static func authorize(_ request: Request, lane: Lane = .default) throws {
        switch (request, lane) {
        case (_, .productionExecution):
            throw RehearseError.refused("Refused: lane 5, \(Lane.productionExecution.rawValue), is not selectable. rehearse has no code path that executes against production; production execution needs its own grants outside this tool.")
        case (_, .productionDryRunOnly), (_, .productionRealRunPrecheckOnly):
            throw RehearseError.refused("Refused: lane \(lane.number), \(lane.rawValue), is not available in this version. What it would do: \(lane.allows) What it needs: \(lane.needs) Use the default lane \(Lane.holdRealData.rawValue) with --surrogate, or lane 2 with --dump.")
        case (.surrogate, .holdRealData), (.dumpClone, .operatorRealDataCloneHandoff):
            return
        case (.surrogate, .operatorRealDataCloneHandoff):
            throw RehearseError.refused("Refused: lane 2, \(Lane.operatorRealDataCloneHandoff.rawValue), rehearses on a granted dump clone (--dump PATH --grant FILE --trust FILE); a surrogate rehearsal runs under the default lane \(Lane.holdRealData.rawValue). Drop --lane or --grant, or give --dump.")
        case (.dumpClone(let path), .holdRealData):
            throw RehearseError.refused("""
                Refused: --dump \(path) asks to rehearse on a real data dump, but the lane is \(Lane.holdRealData.rawValue) (the default), \
                which allows surrogate rehearsals only. A dump clone needs lane 2, \(Lane.operatorRealDataCloneHandoff.rawValue), \
                selected by a grant signed by keys the operator trusts, bound to the dump's SHA-256 and still within its validity window: \
                give --grant FILE --trust FILE (see 'rehearse grant --help' and 'rehearse lanes'). The dump was not opened or read.
                """)
        }
    }
}
