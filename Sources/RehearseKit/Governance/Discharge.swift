import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// Which legs of a blocker map validated evidence discharges. Only runs
/// the validator accepted are looked at; a rejected folder discharges
/// nothing, whatever it claims. A leg is discharged by the first accepted
/// run (in the order given) of exactly its kind; a real-dump leg needs
/// evidence whose source is a dump clone under lane 2 with a grant, so no
/// surrogate run (tagged GENERATED_SURROGATE_NOT_REAL_PRODUCTION_DUMP) can
/// ever discharge it. A grant leg is a person's act: no evidence discharges it.
package enum Discharge {
    package static let surrogateTag = "GENERATED_SURROGATE_NOT_REAL_PRODUCTION_DUMP"

    package struct LegStatus: Sendable {
        package var blocker: BlockerMap.Blocker
        package var leg: BlockerMap.Leg
        /// The accepted run that discharges the leg, if any.
        package var dischargedBy: ValidatedRun?
        /// Why the leg is open (empty when discharged).
        package var openReason: String
        package var discharged: Bool { dischargedBy != nil }
    }

    package static func evaluate(_ map: BlockerMap, runs: [ValidatedRun]) -> [[LegStatus]] {
        map.blockers.map { blocker in
            blocker.legs.map { leg in
                if let run = runs.first(where: { matches(leg, $0) }) {
                    return LegStatus(blocker: blocker, leg: leg, dischargedBy: run, openReason: "")
                }
                return LegStatus(blocker: blocker, leg: leg, dischargedBy: nil, openReason: openReason(leg))
            }
        }
    }

    /// Whether one run discharges one leg. Rejected evidence never does.
    package static func matches(_ leg: BlockerMap.Leg, _ run: ValidatedRun) -> Bool {
        guard run.isValid, let e = run.evidence else { return false }
        func narrowed() -> Bool {
            (leg.surrogate == nil || leg.surrogate == e.sourceName) && (leg.engine == nil || leg.engine == e.engine)
                && (leg.birthSHA256 == nil || leg.birthSHA256 == e.inputDigests["birth"])
                && (leg.rollbackSHA256 == nil || leg.rollbackSHA256 == e.inputDigests["rollback"])
        }
        let surrogate = e.sourceKind == "surrogate" && e.tag == surrogateTag
        switch leg.kind {
        case .surrogatePass:
            return surrogate && e.verdict == "PASS" && narrowed()
        case .surrogateDetectsLoss:
            return surrogate && e.verdict == "FAIL" && e.hasDrift && narrowed()
        case .realDumpPass:
            return e.sourceKind == "dump_clone" && e.tag != surrogateTag && e.verdict == "PASS"
                && e.lane == Lane.operatorRealDataCloneHandoff.rawValue && e.grant != nil
        case .grant:
            return false
        }
    }

    package static func openReason(_ leg: BlockerMap.Leg) -> String {
        let narrowing = [leg.surrogate.map { "surrogate \($0)" }, leg.engine.map { "engine \($0)" },
                         leg.birthSHA256.map { "birth sha256 \($0.prefix(12))…" }, leg.rollbackSHA256.map { "rollback sha256 \($0.prefix(12))…" }].compactMap { $0 }
        let on = narrowing.isEmpty ? "" : " (" + narrowing.joined(separator: ", ") + ")"
        switch leg.kind {
        case .surrogatePass:
            return "needs validated evidence of a PASS on a generated surrogate\(on); none of the accepted evidence is one"
        case .surrogateDetectsLoss:
            return "needs validated evidence of a FAIL with drift on a generated surrogate\(on) (the drift check catching a lossy rollback); none of the accepted evidence is one"
        case .realDumpPass:
            return "needs validated evidence of a PASS on a real dump clone under lane 2 (\(Lane.operatorRealDataCloneHandoff.rawValue)) with its grant (--dump under a signed grant); a surrogate run never discharges this leg"
        case .grant:
            return "needs a signed grant or decision by \(leg.remainingActor); no rehearsal evidence discharges it"
        }
    }
}
