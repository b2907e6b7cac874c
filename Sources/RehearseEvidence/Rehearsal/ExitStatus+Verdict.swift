import RehearseCore

extension ExitStatus {
    /// The status of a run or evidence folder the validator judged: evidence
    /// that is not valid is rejected (5) whatever it claims; valid evidence
    /// ends with its verdict's status (PASS 0, FAIL 1, INCONCLUSIVE 6). With
    /// no verdict (a seal check), valid is 0. `run`, `validate` and
    /// `seal verify` all end here, so they cannot disagree.
    public static func of(valid: Bool, verdict: Verdict?) -> Int32 {
        guard valid else { return RehearseError.Code.evidenceRejected.exitStatus }
        return switch verdict {
        case nil, .pass?: 0
        case .fail?: RehearseError.Code.rehearsalFailed.exitStatus
        case .inconclusive?: RehearseError.Code.inconclusive.exitStatus
        }
    }
}
