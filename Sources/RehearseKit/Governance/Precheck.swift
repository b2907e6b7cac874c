import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// Lane 4, AUTHORIZE_PRODUCTION_REALRUN_PRECHECK_ONLY: for each lane-5
/// precondition of the blocker map (each blocker marked lane5_precondition),
/// whether it is met and why. A precondition is met only when every one of
/// its legs is discharged by validated evidence. It reads files and nothing
/// else: it executes nothing, contacts nothing, and authorizes nothing;
/// even all met, lane 5 stays not selectable by this tool.
package struct Precheck: Sendable {
    package struct Item: Sendable {
        package var blocker: BlockerMap.Blocker
        package var met: Bool
        /// One line per leg: discharged by which digest, or what remains with whom.
        package var why: [String]
    }

    package var items: [Item]
    package var rejected: [ValidatedRun]
    package var allMet: Bool { !items.isEmpty && items.allSatisfy(\.met) }
    /// The documented exit status: 0 when every precondition is met, 1 when any is not.
    package var exitStatus: Int32 { allMet ? 0 : 1 }

    package init(_ map: BlockerMap, runs: [ValidatedRun]) {
        rejected = runs.filter { !$0.isValid }
        items = Discharge.evaluate(map, runs: runs).compactMap { legs in
            guard let blocker = legs.first?.blocker, blocker.lane5Precondition else { return nil }
            let why = legs.map { s in
                s.discharged
                    ? "\(s.leg.name): discharged by evidence sha256 \(s.dischargedBy?.evidenceDigest ?? "") (\(s.dischargedBy?.directory ?? ""))"
                    : "\(s.leg.name): open, \(s.openReason); remaining actor: \(s.leg.remainingActor)"
            }
            return Item(blocker: blocker, met: legs.allSatisfy(\.discharged), why: why)
        }
    }

    package var lines: [String] {
        var out = ["Precheck of the lane-5 preconditions (\(Lane.productionRealRunPrecheckOnly.rawValue)); it executes nothing and contacts nothing."]
        for item in items {
            out.append("\(item.met ? "MET    " : "NOT MET") \(item.blocker.id): \(item.blocker.description)")
            for w in item.why { out.append("          \(w)") }
        }
        for r in rejected.prefix(50) {
            out.append("REJECTED \(r.directory): discharges nothing (\(r.findings.first?.description ?? "rejected"))")
        }
        let met = items.filter(\.met).count
        out.append("\(met) of \(items.count) lane-5 preconditions met" + (allMet ? "." : "; not all met (exit 1).")
                   + " Lane 5, \(Lane.productionExecution.rawValue), is not selectable by this tool either way.")
        return out
    }

    package var json: JSONValue {
        .object([
            "all_met": .bool(allMet),
            "preconditions": .array(items.map { i in
                .object(["id": .string(i.blocker.id), "met": .bool(i.met), "why": .array(i.why.map { .string($0) })])
            }),
            "rejected_evidence": .array(rejected.map { .string($0.directory) }),
        ])
    }
}
