import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// A self-contained HTML page: inline CSS, no script, no network resource
/// (no link, image, font or frame that leaves the file), readable from disk
/// without a server. A strict Content-Security-Policy meta tag says the same
/// to the browser, so even a value that escaped escaping could not load or
/// run anything. Per run it shows the surrogate tag prominently, the lane
/// and grant, the phase timeline, the birth surface (tables, rows,
/// rewrites, locks), the fingerprint comparison with drift highlighted,
/// the evidence digest and how to re-validate.
package enum HTMLReport {
    package static let maxRows = 200

    package static func render(_ runs: [ValidatedRun], title: String = "rehearse report") -> String {
        let h = ReportEscaping.html
        var out = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(h(title))</title>
            <style>\(style)</style></head><body>
            <h1>\(h(title))</h1>
            <p class="note">Rendered from validated evidence only. Evidence the validator rejected proves nothing and is shown without its claims.</p>
            <table class="status"><thead><tr><th>#</th><th>run</th><th>engine</th><th>verdict</th><th>evidence</th></tr></thead><tbody>

            """
        for (i, run) in runs.enumerated() {
            out += "<tr><td>\(i + 1)</td><td><a href=\"#run-\(i + 1)\">\(h(label(run)))</a></td><td>\(h(run.evidence.map { "\($0.engine) \($0.engineVersion)" } ?? "n/a"))</td>"
            out += "<td>\(verdictBadge(run.verdict))</td><td>\(run.isValid ? "valid" : "<strong class=\"bad\">REJECTED</strong>")</td></tr>\n"
        }
        out += "</tbody></table>\n"
        for (i, run) in runs.enumerated() { out += section(run, index: i + 1) }
        out += "</body></html>\n"
        return out
    }

    package static func label(_ run: ValidatedRun) -> String {
        run.step.map { "step \($0)" } ?? run.evidence?.sourceName ?? run.directory
    }

    package static func verdictBadge(_ verdict: String) -> String {
        "<span class=\"verdict \(verdict == "PASS" ? "pass" : "fail")\">\(ReportEscaping.html(verdict))</span>"
    }

    package static func section(_ run: ValidatedRun, index: Int) -> String {
        let h = ReportEscaping.html
        var out = "<section id=\"run-\(index)\"><h2>\(index). \(h(label(run))) \(verdictBadge(run.verdict))</h2>\n"
        out += "<dl><dt>run folder</dt><dd><code>\(h(run.directory))</code></dd>"
        out += "<dt>evidence sha256</dt><dd><code>\(h(run.evidenceDigest ?? "none"))</code></dd></dl>\n"
        if run.isValid, run.evidence == nil, let w = run.walkStep {
            return out + "<p>walk status <strong>\(h(w.status))</strong> (exit status \(w.exitStatus)): \(h(w.note ?? "not rehearsed"))</p></section>\n"
        }
        if let w = run.walkStep, run.isValid, w.status != run.evidence?.verdict {
            out += "<p class=\"bad\"><strong>walk status \(h(w.status))</strong>: the step's own evidence says \(h(run.evidence?.verdict ?? "?")); the walk's re-birth or verify decides</p>\n"
        }
        guard let e = run.evidence, run.isValid else {
            out += "<p class=\"bad\"><strong>Evidence REJECTED by the validator: it proves nothing.</strong></p><ul>"
            for f in run.findings.prefix(maxRows) { out += "<li>\(h(f.description))</li>" }
            out += "</ul></section>\n"
            return out
        }
        out += "<p class=\"tag\">\(h(e.tag.isEmpty ? "NO SOURCE TAG" : e.tag))</p>\n"
        out += "<dl><dt>source</dt><dd>\(h(e.sourceName)) (\(h(e.sourceKind))), seed \(h(e.seed)), scale \(h(e.scale))</dd>"
        out += "<dt>lane</dt><dd>\(h(e.lane))</dd><dt>grant</dt><dd>\(h(e.grant ?? "none"))</dd>"
        out += "<dt>engine</dt><dd>\(h(e.engine)) \(h(e.engineVersion)), target \(h(e.targetKind)), network \(h(e.network))</dd>"
        out += "<dt>run</dt><dd><code>\(h(e.runID))</code> started \(h(e.startedAt))</dd></dl>\n"
        if let m = e.failureMessage { out += "<p class=\"bad\">Failure in \(h(e.failurePhase ?? "?")): \(h(m))</p>\n" }
        if !e.unexercised.isEmpty {
            out += "<h3 class=\"bad\">Not exercised by the birth</h3><p>The run proves nothing about these data changes:</p><ul>"
            for u in e.unexercised.prefix(maxRows) { out += "<li>\(h(u))</li>" }
            out += "</ul>\n"
        }
        out += timeline(e)
        out += surface(e)
        out += checks(e)
        out += fingerprints(e)
        out += "<h3>Re-validate</h3><pre>rehearse validate \(h(shellQuoted(run.directory)))\nrehearse validate --replay \(h(shellQuoted(run.directory)))</pre>\n"
        out += "<p>Check the evidence digest with <code>sha256sum evidence.json</code> in the run folder.</p></section>\n"
        return out
    }

    package static func timeline(_ e: EvidenceFacts) -> String {
        let h = ReportEscaping.html
        let total = max(1, e.phases.reduce(Int64(0)) { $0 + max(0, $1.durationMicros) })
        var out = "<h3>Phase timeline</h3><table class=\"timeline\"><thead><tr><th>phase</th><th>outcome</th><th>time</th><th class=\"wide\">share</th><th>detail</th></tr></thead><tbody>\n"
        for p in e.phases {
            // Whole per-mille widths: evidence holds no floats, and neither does the page.
            let permille = max(0, p.durationMicros) * 1000 / total
            let cls = p.outcome == "ok" ? "ok" : (p.outcome == "skipped" ? "skip" : "bad")
            out += "<tr class=\"\(cls)\"><td>\(h(p.name))</td><td>\(h(p.outcome))</td><td>\(JUnitReport.seconds(p.durationMicros)) s</td>"
            out += "<td class=\"wide\"><div class=\"bar \(cls)\" style=\"width:\(permille / 10).\(permille % 10)%\"></div></td><td>\(h(p.detail))</td></tr>\n"
        }
        return out + "</tbody></table>\n"
    }

    package static func surface(_ e: EvidenceFacts) -> String {
        let h = ReportEscaping.html
        var out = "<h3>Birth surface</h3><p>\(e.birthSchema.count) schema objects and \(e.birthData.count) tables changed by the birth.</p>\n"
        if !e.birthSchema.isEmpty {
            out += "<table><thead><tr><th>object</th><th>change</th><th>details</th></tr></thead><tbody>\n"
            for s in e.birthSchema.prefix(maxRows) {
                out += "<tr><td>\(h(s.kind)) \(h(s.name))</td><td>\(h(s.change))</td><td>\(h(s.details.prefix(10).joined(separator: "; ")))</td></tr>\n"
            }
            out += "</tbody></table>\n"
        }
        if !e.birthData.isEmpty {
            out += "<table><thead><tr><th>table</th><th>rows before</th><th>rows after</th></tr></thead><tbody>\n"
            for d in e.birthData.prefix(maxRows) {
                out += "<tr><td>\(h(d.table))</td><td>\(d.rowsBefore.map(String.init) ?? "absent")</td><td>\(d.rowsAfter.map(String.init) ?? "absent")</td></tr>\n"
            }
            out += "</tbody></table>\n"
        }
        for (name, o) in [("birth", e.observedBirth), ("rollback", e.observedRollback)] {
            guard let o else { continue }
            out += "<h4>Observed during \(name) (\(o.transactional ? "transactional" : "not transactional"))</h4>"
            out += "<p>Rewritten: \(o.rewritten.isEmpty ? "none" : h(o.rewritten.prefix(maxRows).joined(separator: ", ")))</p>\n"
            if !o.locks.isEmpty || !o.rows.isEmpty {
                out += "<table><thead><tr><th>relation</th><th>strongest lock</th><th>inserted</th><th>updated</th><th>deleted</th></tr></thead><tbody>\n"
                let names = Set(o.locks.map(\.relation)).union(o.rows.map(\.table)).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
                for n in names.prefix(maxRows) {
                    let lock = o.locks.first { $0.relation == n }?.mode ?? ""
                    let r = o.rows.first { $0.table == n }
                    out += "<tr><td>\(h(n))</td><td>\(h(lock))</td><td>\(r.map { String($0.inserted) } ?? "")</td><td>\(r.map { String($0.updated) } ?? "")</td><td>\(r.map { String($0.deleted) } ?? "")</td></tr>\n"
                }
                out += "</tbody></table>\n"
            }
        }
        if e.observedBirth == nil { out += "<p class=\"note\">Rewrites and locks: not observed for this engine or mode.</p>\n" }
        return out
    }

    package static func checks(_ e: EvidenceFacts) -> String {
        let h = ReportEscaping.html
        guard !e.checks.isEmpty else { return "<h3>Checks</h3><p>No checks were recorded.</p>\n" }
        var out = "<h3>Checks</h3><table><thead><tr><th>stage</th><th>check</th><th>outcome</th><th>returned</th><th>where</th></tr></thead><tbody>\n"
        for c in e.checks.prefix(maxRows) {
            out += "<tr class=\"\(c.outcome == "pass" ? "ok" : "bad")\"><td>\(h(c.stage))</td><td>\(h(c.name))</td><td>\(h(c.outcome))</td><td>\(h(c.returned))</td><td>\(h(c.file)):\(c.line)</td></tr>\n"
        }
        return out + "</tbody></table>\n"
    }

    package static func fingerprints(_ e: EvidenceFacts) -> String {
        let h = ReportEscaping.html
        var out = "<h3>Fingerprints: pre against post</h3>"
        out += e.hasDrift ? "<p class=\"bad\"><strong>Drift:</strong> \(e.driftSchema.count) schema objects and \(e.driftData.count) tables differ.</p>\n"
                          : "<p>No drift: every digest below is equal before and after.</p>\n"
        if !e.driftData.isEmpty {
            out += "<table class=\"drift\"><thead><tr><th>table</th><th>rows before</th><th>rows after</th><th>changed</th><th>added</th><th>removed</th><th>columns</th><th>sample keys</th></tr></thead><tbody>\n"
            for d in e.driftData.prefix(maxRows) {
                out += "<tr class=\"bad\"><td>\(h(d.table))</td><td>\(d.rowsBefore.map(String.init) ?? "absent")</td><td>\(d.rowsAfter.map(String.init) ?? "absent")</td>"
                out += "<td>\(d.changed.map(String.init) ?? "")</td><td>\(d.added.map(String.init) ?? "")</td><td>\(d.removed.map(String.init) ?? "")</td>"
                out += "<td>\(h(d.columns.prefix(20).map { "\($0.name) (\($0.count))" }.joined(separator: ", ")))</td><td>\(h(d.sampleKeys.prefix(10).joined(separator: ", ")))</td></tr>\n"
            }
            out += "</tbody></table>\n"
        }
        for s in e.driftSchema.prefix(maxRows) {
            out += "<p class=\"bad\">\(h(s.kind)) \(h(s.name)) \(h(s.change)): \(h(s.details.prefix(10).joined(separator: "; ")))</p>\n"
        }
        out += "<table class=\"fp\"><thead><tr><th>fingerprinted</th><th>pre</th><th>post</th></tr></thead><tbody>\n"
        out += row("schema digest", e.preSchemaDigest, e.postSchemaDigest)
        out += row("data digest", e.preDataDigest, e.postDataDigest)
        for c in e.objects.prefix(maxRows) { out += row(c.name, c.pre, c.post) }
        for c in e.tables.prefix(maxRows) { out += row("data of " + c.name, c.pre, c.post) }
        let cut = max(0, e.objects.count - maxRows) + max(0, e.tables.count - maxRows)
        if cut > 0 { out += "<tr><td colspan=\"3\">… and \(cut) more</td></tr>\n" }
        return out + "</tbody></table>\n"
    }

    package static func row(_ name: String, _ pre: String?, _ post: String?) -> String {
        let h = ReportEscaping.html
        let drifted = pre != post
        return "<tr class=\"\(drifted ? "drifted" : "same")\"><td>\(h(name))\(drifted ? " <strong>DRIFT</strong>" : "")</td><td><code>\(h(pre ?? "absent"))</code></td><td><code>\(h(post ?? "absent"))</code></td></tr>\n"
    }

    /// A path as one POSIX shell word, for the copyable commands.
    package static func shellQuoted(_ s: String) -> String {
        s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "/._-".contains($0)) } ? s : "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    package static let style = """
        body{font-family:system-ui,sans-serif;margin:2em;color:#1b1b1b;max-width:80em}
        table{border-collapse:collapse;margin:.5em 0 1em;font-size:.9em}th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}
        th{background:#f1f1f1}code{font-size:.85em;word-break:break-all}.note{color:#555}
        .verdict{padding:.1em .5em;border-radius:.3em;color:#fff;font-weight:bold}.verdict.pass{background:#1a7f37}.verdict.fail{background:#cf222e}
        .tag{font-size:1.3em;font-weight:bold;background:#fff8c5;border:2px solid #d4a72c;padding:.4em .8em;display:inline-block}
        .bad,.drifted td{color:#a40e26}.drifted{background:#ffebe9}tr.bad{background:#ffebe9}
        .timeline td.wide,.timeline th.wide{width:30%}.timeline td:nth-child(3){white-space:nowrap}.bar{height:.8em;background:#1a7f37;min-width:1px}.bar.bad{background:#cf222e}.bar.skip{background:#999}
        dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dt{font-weight:bold}dd{margin:0}
        section{border-top:2px solid #ddd;margin-top:2em}
        """
}
