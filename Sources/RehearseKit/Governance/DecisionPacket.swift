import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// The decision packet in Markdown, in the spirit of the governance seed:
/// the five options with HOLD_REAL_DATA the default and lane 5 recorded as
/// not selectable, the preconditions table (each leg, the evidence digest
/// that discharged it or what remains and with whom), the evidence that was
/// rejected and therefore discharged nothing, and the boundaries. It selects
/// nothing: no option is marked chosen, and rendering it executes nothing.
package enum DecisionPacket {
    package static func render(_ map: BlockerMap, runs: [ValidatedRun], mapPath: String) -> String {
        let md = ReportEscaping.markdown, code = ReportEscaping.markdownCode
        let statuses = Discharge.evaluate(map, runs: runs)
        let pre = statuses.filter { $0.first?.blocker.lane5Precondition == true }
        let met = pre.filter { $0.allSatisfy(\.discharged) }.count
        var out = "# Decision packet: \(md(map.title))\n\n"
        out += "**This document selects nothing. Default = \(Lane.holdRealData.rawValue).**\n\n"
        out += "Rendered by rehearse \(md(RehearseVersion.current)) from the blocker map \(code(mapPath)) (sha256 \(code(map.digest))) and \(runs.count) evidence folders, each checked by the validator first. Rendering it executed nothing and contacted nothing.\n\n"
        out += "## Options (the owner picks exactly one; nothing here is pre-selected)\n\n"
        out += "1. **\(Lane.holdRealData.rawValue) (DEFAULT)**: do nothing more. Everything stays governed and rerunnable; no production exposure.\n"
        out += "2. **\(Lane.operatorRealDataCloneHandoff.rawValue)**: the operator provides an isolated, secret-free clone of the real database; a separately authorized lane re-runs this rehearsal and the validator on it, still with zero production contact. Discharges the real-dump legs below.\n"
        out += "3. **\(Lane.productionDryRunOnly.rawValue)**: a read-only production dry run to scope the real birth surface. Needs an explicit grant; no mutation.\n"
        out += "4. **\(Lane.productionRealRunPrecheckOnly.rawValue)**: a precheck of the lane-5 preconditions only (`rehearse precheck`), no real run.\n"
        out += "5. **\(Lane.productionExecution.rawValue)**: **NOT SELECTABLE** by this lane or this tool. Requires every lane-5 precondition below (\(met) of \(pre.count) met now) and its own grants. Recorded for completeness only.\n\n"
        out += "## Evidence considered\n\n"
        if runs.isEmpty {
            out += "No evidence folders were given: every leg that needs evidence is open.\n\n"
        } else {
            out += "| folder | accepted | verdict | source | engine | evidence sha256 |\n|---|---|---|---|---|---|\n"
            for r in runs {
                let source = r.evidence.map { "\(md($0.sourceName)) (\(md($0.sourceKind)), \(md($0.tag)))" } ?? "not read"
                let accepted = r.isValid ? "yes" : "**REJECTED: discharges nothing**"
                out += "| \(code(r.directory)) | \(accepted) | \(md(r.verdict)) | \(source) | \(md(r.evidence?.engine ?? "")) | \(code(r.evidenceDigest ?? "none")) |\n"
            }
            let rejected = runs.filter { !$0.isValid }
            if !rejected.isEmpty {
                out += "\n\(rejected.count) evidence folders did not validate. Evidence that does not validate discharges nothing, whatever it claims:\n\n"
                for r in rejected.prefix(50) {
                    out += "- \(code(r.directory)): \(md(r.findings.first?.description ?? "rejected"))" + (r.findings.count > 1 ? " (and \(r.findings.count - 1) more findings)" : "") + "\n"
                }
            }
            out += "\n"
        }
        out += "## Preconditions\n\n"
        out += "| blocker | lane 5 needs it | leg | status | discharged by (evidence sha256) | what remains | remaining actor |\n|---|---|---|---|---|---|---|\n"
        for legs in statuses {
            for s in legs {
                let by = s.dischargedBy.map { r in
                    "\(code(r.evidenceDigest ?? "")) (\(md(r.evidence?.sourceName ?? "")) \(md(r.verdict)) on \(md(r.evidence?.engine ?? "")), run \(code(r.evidence?.runID ?? "")), birth sha256 \(code(String((r.evidence?.inputDigests["birth"] ?? "").prefix(12)))))"
                } ?? "none"
                out += "| \(md(s.blocker.id)) | \(s.blocker.lane5Precondition ? "yes" : "no") | \(md(s.leg.name)) | \(s.discharged ? "discharged" : "**open**") | \(by) | "
                out += (s.discharged ? "nothing" : md(s.openReason)) + " | \(s.discharged ? "none" : md(s.leg.remainingActor)) |\n"
            }
        }
        out += "\n"
        for b in map.blockers {
            out += "- **\(md(b.id))**: \(md(b.description))\n"
        }
        out += "\n## Boundaries\n\n"
        out += "- No option is selected here. This packet alone authorizes nothing.\n"
        out += "- A surrogate is \(Discharge.surrogateTag) and is never to be presented as real production data; a surrogate run never discharges a real-dump leg.\n"
        out += "- Evidence that does not validate discharges nothing.\n"
        out += "- Production mutation, REAL_RUN, apply, permit, activation, repoint and cutover, production CI triggering, and secrets changes all remain forbidden until their own grants exist.\n"
        out += "- rehearse has no code path that executes against production; lane 5 is recorded, never run.\n"
        return out
    }
}
