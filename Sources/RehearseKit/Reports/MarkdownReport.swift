import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// A compact Markdown summary for a pull-request comment or a CI step
/// summary: a status table, then per run the drift with before and after, the
/// birth surface (rows, rewrites, locks), the verdict and the evidence digest.
/// Every evidence value goes through ``ReportEscaping/markdown(_:)``; lists
/// are cut at a fixed length, saying how many were left out, so the summary
/// stays small whatever the evidence holds.
package enum MarkdownReport {
    package static let maxRows = 20

    package static func render(_ runs: [ValidatedRun], title: String = "rehearse report") -> String {
        let md = ReportEscaping.markdown, code = ReportEscaping.markdownCode
        var out = "# \(md(title))\n\n"
        let passed = runs.filter(\.passed).count
        out += "**\(passed) of \(runs.count) passed.** Rendered from validated evidence only; rejected evidence proves nothing and is shown without its claims.\n\n"
        out += "| # | run | engine | verdict | evidence | drift | evidence sha256 |\n|---|---|---|---|---|---|---|\n"
        for (i, run) in runs.enumerated() {
            let e = run.evidence
            let name = run.step.map { "step " + md($0) } ?? e.map { md($0.sourceName) } ?? md(run.directory)
            let evidence = run.isValid ? (run.evidence == nil ? "not rehearsed" : "valid") : "**REJECTED** (\(run.findings.count) findings)"
            let drift = e.map { $0.hasDrift ? "**\($0.driftSchema.count) objects, \($0.driftData.count) tables**" : "none" } ?? "n/a"
            out += "| \(i + 1) | \(name) | \(md(e.map { "\($0.engine) \($0.engineVersion)" } ?? "n/a")) | \(badge(run.verdict)) | \(evidence) | \(drift) | \(code(run.evidenceDigest.map { String($0.prefix(16)) } ?? "none")) |\n"
        }
        for (i, run) in runs.enumerated() {
            out += "\n## \(i + 1). " + (run.step.map { "step " + md($0) } ?? md(run.evidence?.sourceName ?? run.directory)) + ": \(badge(run.verdict))\n\n"
            out += "- run folder: \(code(run.directory))\n"
            out += "- evidence sha256: \(code(run.evidenceDigest ?? "none"))\n"
            if run.isValid, run.evidence == nil, let w = run.walkStep {
                out += "- walk status \(md(w.status)) (exit status \(w.exitStatus)): \(md(w.note ?? "not rehearsed"))\n"
                continue
            }
            if let w = run.walkStep, run.isValid, w.status != run.evidence?.verdict {
                out += "- **walk status \(md(w.status))**: the step's own evidence says \(md(run.evidence?.verdict ?? "?")); the walk's re-birth or verify decides\n"
            }
            guard let e = run.evidence, run.isValid else {
                out += "- **evidence REJECTED by the validator: it proves nothing.** Findings:\n"
                for f in run.findings.prefix(maxRows) { out += "  - \(md(f.description))\n" }
                if run.findings.count > maxRows { out += "  - … and \(run.findings.count - maxRows) more\n" }
                continue
            }
            out += "- source: \(md(e.sourceName)) (\(md(e.sourceKind))), tag **\(md(e.tag))**, seed \(md(e.seed)), scale \(md(e.scale))\n"
            out += "- lane: \(md(e.lane)); grant: \(md(e.grant ?? "none"))\n"
            out += "- run: \(code(e.runID)), started \(md(e.startedAt))\n"
            if let m = e.failureMessage { out += "- failure in \(md(e.failurePhase ?? "?")): \(md(m))\n" }
            let failing = e.checks.filter { $0.outcome != "pass" }
            out += "- checks: \(e.checks.count - failing.count) of \(e.checks.count) passed\n"
            for c in failing.prefix(maxRows) {
                out += "  - \(md(c.stage)): \(md(c.name)) → \(md(c.outcome)), returned \(md(c.returned)) (\(md(c.file)):\(c.line))\n"
            }
            if !e.unexercised.isEmpty {
                out += "- **not exercised by the birth** (why the run proves nothing about these changes):\n"
                for u in e.unexercised.prefix(maxRows) { out += "  - \(md(u))\n" }
                if e.unexercised.count > maxRows { out += "  - … and \(e.unexercised.count - maxRows) more\n" }
            }
            out += drift(e)
            out += surface(e)
            out += "\nRe-validate: `rehearse validate --replay RUN_DIR` (the folder above).\n"
        }
        return out
    }

    package static func badge(_ verdict: String) -> String {
        verdict == "PASS" ? "✅ PASS" : "❌ **\(ReportEscaping.markdown(verdict))**"
    }

    package static func drift(_ e: EvidenceFacts) -> String {
        let md = ReportEscaping.markdown
        guard e.hasDrift else { return "\n**Drift:** none (pre and post fingerprints are equal).\n" }
        var out = "\n**Drift** (pre → post):\n\n| object | change | before | after | detail |\n|---|---|---|---|---|\n"
        for s in e.driftSchema.prefix(maxRows) {
            let comparison = e.objects.first { $0.name == "\(s.kind) \(s.name)" }
            out += "| \(md(s.kind)) \(md(s.name)) | \(md(s.change)) | \(short(comparison?.pre)) | \(short(comparison?.post)) | \(md(s.details.prefix(5).joined(separator: "; "))) |\n"
        }
        for d in e.driftData.prefix(maxRows) {
            let cols = d.columns.prefix(10).map { "\($0.name) (\($0.count))" }.joined(separator: ", ")
            var detail = [String]()
            if let c = d.changed, c > 0 { detail.append("\(c) changed") }
            if let c = d.added, c > 0 { detail.append("\(c) added") }
            if let c = d.removed, c > 0 { detail.append("\(c) removed") }
            if !cols.isEmpty { detail.append("columns " + cols) }
            if !d.sampleKeys.isEmpty { detail.append("sample keys " + d.sampleKeys.prefix(5).joined(separator: ", ")) }
            if let n = d.note { detail.append(n) }
            out += "| table \(md(d.table)) | data | \(d.rowsBefore.map { "\($0) rows" } ?? "absent") | \(d.rowsAfter.map { "\($0) rows" } ?? "absent") | \(md(detail.joined(separator: "; "))) |\n"
        }
        let cut = max(0, e.driftSchema.count - maxRows) + max(0, e.driftData.count - maxRows)
        if cut > 0 { out += "\n… and \(cut) more drifted objects or tables.\n" }
        return out
    }

    package static func surface(_ e: EvidenceFacts) -> String {
        let md = ReportEscaping.markdown
        var out = "\n**Birth surface:** \(e.birthSchema.count) schema objects, \(e.birthData.count) tables changed.\n"
        if !e.birthData.isEmpty {
            out += "\n| table | rows before | rows after |\n|---|---|---|\n"
            for d in e.birthData.prefix(maxRows) {
                out += "| \(md(d.table)) | \(d.rowsBefore.map(String.init) ?? "absent") | \(d.rowsAfter.map(String.init) ?? "absent") |\n"
            }
        }
        if let o = e.observedBirth {
            out += "\n- rewrites: " + (o.rewritten.isEmpty ? "none" : md(o.rewritten.prefix(maxRows).joined(separator: ", "))) + "\n"
            out += "- locks: " + (o.locks.isEmpty ? "none observed" : md(o.locks.prefix(maxRows).map { "\($0.relation) \($0.mode)" }.joined(separator: ", "))) + "\n"
        } else {
            out += "\n- rewrites and locks: not observed for this engine or mode\n"
        }
        return out
    }

    package static func short(_ digest: String?) -> String {
        digest.map { ReportEscaping.markdownCode(String($0.prefix(12))) } ?? "absent"
    }
}
