import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// The night's result in one output folder: `summary.md` (what failed and
/// why, by cause), `summary.json` (the same for machines), and the reports
/// `report.xml` (JUnit), `report.md` and `report.html`, all rendered from the
/// validated run folders. The exit status is the worst cause's: 5 for a
/// validation failure or seal mismatch, 1 for drift, a failing check, a
/// rehearsal error or a known-lossy surrogate that passed, 6 when the only
/// problem is INCONCLUSIVE, 0 when every job is ok.
package struct NightlySummary {
    package var outcomes: [NightlyOutcome]
    package var shard: NightlyPlan.Shard
    package var skipped: [String]
    package var totalMicros: Int64
    /// At most this many job lines and causes are printed or summarized;
    /// the reports and logs hold the rest.
    package static let maxLines = 200

    package init(outcomes: [NightlyOutcome], shard: NightlyPlan.Shard, skipped: [String], totalMicros: Int64) {
        self.outcomes = outcomes
        self.shard = shard
        self.skipped = skipped
        self.totalMicros = totalMicros
    }

    package var causes: [NightlyOutcome.Cause] {
        NightlyOutcome.Cause.allCases.filter { c in outcomes.contains { $0.problems.contains { $0.cause == c } } }
    }

    package var exitStatus: Int32 {
        let codes = causes.map(\.exitStatus)
        if codes.contains(5) { return 5 }
        if codes.contains(1) { return 1 }
        if codes.contains(6) { return 6 }
        return 0
    }

    package static func duration(_ micros: Int64) -> String {
        let s = micros / 1_000_000
        return s >= 60 ? "\(s / 60)m \(s % 60)s" : "\(s).\(micros % 1_000_000 / 100_000)s"
    }

    /// One line per job (bounded), then the verdict line with the total time.
    package var consoleLines: [String] {
        var lines: [String] = []
        for o in outcomes.prefix(Self.maxLines) {
            lines.append("\(o.ok ? "ok  " : "FAIL") \(o.job.id): \(o.verdict)\(o.job.expectFail ? " (expected FAIL)" : "") in \(Self.duration(o.micros))")
            for p in o.problems.prefix(3) { lines.append("       \(p.cause.rawValue): \(p.detail.prefix(300))") }
            if o.problems.count > 3 { lines.append("       … \(o.problems.count - 3) more in summary.md") }
        }
        if outcomes.count > Self.maxLines { lines.append("… \(outcomes.count - Self.maxLines) more jobs in summary.md") }
        for s in skipped { lines.append("skipped \(s)") }
        lines.append(headline)
        return lines
    }

    package var headline: String {
        let failed = outcomes.filter { !$0.ok }.count
        let what = failed == 0 ? "passed" : "FAILED (\(causes.map(\.rawValue).joined(separator: ", ")))"
        return "nightly shard \(shard): \(outcomes.count - failed) of \(outcomes.count) jobs ok, \(what); total time \(Self.duration(totalMicros)); exit \(exitStatus)"
    }

    package var markdown: String {
        let md = ReportEscaping.markdown
        var out = "# rehearse nightly, shard \(shard)\n\n**\(md(headline))**\n\n"
        if !causes.isEmpty {
            out += "## Why it failed\n\n"
            for c in causes {
                let jobs = outcomes.filter { $0.problems.contains { $0.cause == c } }
                out += "- **\(md(c.rawValue))**: " + jobs.prefix(20).map { ReportEscaping.markdownCode($0.job.id) }.joined(separator: ", ")
                    + (jobs.count > 20 ? " and \(jobs.count - 20) more" : "") + "\n"
            }
            out += "\n"
        }
        out += "| job | verdict | result | time | causes |\n|---|---|---|---|---|\n"
        for o in outcomes.prefix(Self.maxLines) {
            let causes = o.problems.prefix(5).map { "\(md($0.cause.rawValue)): \(md(String($0.detail.prefix(300))))" }.joined(separator: "<br>")
            out += "| \(ReportEscaping.markdownCode(o.job.id)) | \(md(o.verdict))\(o.job.expectFail ? " (expected FAIL)" : "") | \(o.ok ? "ok" : "**FAIL**") | \(Self.duration(o.micros)) | \(causes) |\n"
        }
        if outcomes.count > Self.maxLines { out += "\n… \(outcomes.count - Self.maxLines) more jobs: see summary.json.\n" }
        for s in skipped { out += "\n- skipped \(md(s))" }
        out += "\n\nReports: report.md, report.html, report.xml (JUnit). Run folders under runs/, logs under logs/. Re-validate any run with `rehearse validate --replay runs/NAME`.\n"
        return out
    }

    package var json: JSONValue {
        .object([
            "shard": .string(shard.description),
            "exit_status": .integer(Int64(exitStatus)),
            "causes": .array(causes.map { .string($0.rawValue) }),
            "total_us": .integer(totalMicros),
            "skipped": .array(skipped.map { .string($0) }),
            "jobs": .array(outcomes.map { o in
                .object([
                    "id": .string(o.job.id), "ok": .bool(o.ok), "verdict": .string(o.verdict), "expect_fail": .bool(o.job.expectFail),
                    "run_dir": .string(o.runDirectory), "duration_us": .integer(o.micros),
                    "evidence_sha256": .array(o.runs.map { $0.evidenceDigest.map(JSONValue.string) ?? .null }),
                    "problems": .array(o.problems.map { .object(["cause": .string($0.cause.rawValue), "detail": .string($0.detail)]) }),
                ])
            }),
        ])
    }

    /// Writes the summary and the three reports into `output`.
    package func write(to output: URL) throws {
        let runs = outcomes.flatMap { o in o.runs.map { var r = $0; r.expectsFailWithDrift = o.job.expectFail; return r } }
        let title = "rehearse nightly, shard \(shard)"
        try ReportFile.write(markdown, to: output.appendingPathComponent("summary.md").path, option: "--out")
        try ReportFile.write(json.canonicalString + "\n", to: output.appendingPathComponent("summary.json").path, option: "--out")
        try ReportFile.write(JUnitReport.render(runs), to: output.appendingPathComponent("report.xml").path, option: "--out")
        try ReportFile.write(MarkdownReport.render(runs, title: title), to: output.appendingPathComponent("report.md").path, option: "--out")
        try ReportFile.write(HTMLReport.render(runs, title: title), to: output.appendingPathComponent("report.html").path, option: "--out")
    }
}
