import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// JUnit XML, the format CI interfaces display as test results. One
/// `<testsuite>` per run (per step of a walk); in it, one test case for the
/// validation of the evidence, one per phase, one per check, and one for the
/// verdict. The verdict case fails for every verdict but PASS, so an
/// INCONCLUSIVE run whose phases all went well still shows red. Rejected
/// evidence renders a suite with only the failing validation case: none of
/// its claims are shown. The format is checked against
/// Tests/Fixtures/junit/junit.xsd.
package enum JUnitReport {
    package static func render(_ runs: [ValidatedRun]) -> String {
        var suites: [String] = []
        var totals = (tests: 0, failures: 0, skipped: 0, time: Int64(0))
        for (index, run) in runs.enumerated() {
            let suite = Suite(run: run, index: index)
            totals.tests += suite.cases.count
            totals.failures += suite.cases.filter { $0.failure != nil }.count
            totals.skipped += suite.cases.filter(\.skipped).count
            totals.time += suite.micros
            suites.append(suite.xml)
        }
        var out = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
        out += #"<testsuites name="rehearse" tests="\#(totals.tests)" failures="\#(totals.failures)" errors="0" skipped="\#(totals.skipped)" time="\#(seconds(totals.time))">"# + "\n"
        out += suites.joined()
        out += "</testsuites>\n"
        return out
    }

    package struct Case {
        package var classname, name: String
        package var micros: Int64 = 0
        package var failure: (message: String, body: String)?
        package var skipped = false
    }

    package struct Suite {
        package var name: String
        package var cases: [Case] = []
        package var micros: Int64 = 0
        package var properties: [(String, String)] = []

        package init(run: ValidatedRun, index: Int) {
            let label = run.step.map { "step \($0)" } ?? run.evidence.map { "\($0.sourceName) on \($0.engine)" } ?? run.directory
            name = "\(index + 1). \(label)"
            let cls = "rehearse." + (run.step ?? run.evidence?.sourceName ?? "run")
            properties.append(("run_dir", run.directory))
            properties.append(("evidence_sha256", run.evidenceDigest ?? "none"))
            if run.isValid, run.evidence == nil, let w = run.walkStep {
                var c = Case(classname: cls, name: "walk status PASS")
                c.failure = ("walk status \(w.status) (exit status \(w.exitStatus))", w.note ?? "not rehearsed")
                cases.append(c)
                return
            }
            guard let e = run.evidence, run.isValid else {
                let body = run.findings.prefix(50).map(\.description).joined(separator: "\n")
                cases.append(Case(classname: cls, name: "evidence validates", failure: ("evidence REJECTED: \(run.findings.count) findings; it proves nothing", body)))
                return
            }
            properties += [("run_id", e.runID), ("verdict", e.verdict), ("tag", e.tag), ("lane", e.lane), ("engine", "\(e.engine) \(e.engineVersion)")]
            cases.append(Case(classname: cls, name: "evidence validates"))
            let drift = e.driftSummary.joined(separator: "\n")
            // A known-lossy run that was caught: its compare failure is the expected result.
            let caught = run.expectsFailWithDrift && e.verdict == "FAIL" && e.hasDrift
            for phase in e.phases {
                var c = Case(classname: cls + ".phases", name: phase.name, micros: phase.durationMicros)
                switch phase.outcome {
                case "ok": break
                case "skipped": c.skipped = true
                case _ where caught && phase.name == "compare": break
                default:
                    var body = phase.detail
                    if phase.name == "compare", !drift.isEmpty { body += "\nDrift (pre → post):\n" + drift }
                    if let m = e.failureMessage, e.failurePhase == phase.name { body += "\n" + m }
                    c.failure = ("\(phase.name) \(phase.outcome): \(phase.detail)", body)
                }
                micros += phase.durationMicros
                cases.append(c)
            }
            for check in e.checks {
                var c = Case(classname: cls + ".checks." + check.stage, name: check.name)
                switch check.outcome {
                case "pass": break
                case "skipped", "not_run": c.skipped = true
                default: c.failure = ("check \(check.outcome): returned \(check.returned)", "\(check.file):\(check.line)")
                }
                cases.append(c)
            }
            var verdict = Case(classname: cls, name: run.expectsFailWithDrift ? "verdict FAIL with drift (known-lossy rollback caught)" : "verdict PASS")
            if run.expectsFailWithDrift {
                if !caught {
                    verdict.failure = ("verdict \(e.verdict)\(e.hasDrift ? "" : ", no drift"): the known-lossy rollback was not caught", drift)
                }
            } else if e.verdict != "PASS" {
                var body = drift.isEmpty ? (e.failureMessage ?? "") : "Drift (pre → post):\n" + drift
                if !e.unexercised.isEmpty { body += "\nNot exercised by the birth:\n" + e.unexercised.prefix(20).joined(separator: "\n") }
                verdict.failure = ("verdict \(e.verdict)", body)
            }
            cases.append(verdict)
            if let w = run.walkStep, w.status != "PASS", verdict.failure == nil {
                var c = Case(classname: cls, name: "walk status PASS")
                c.failure = ("walk status \(w.status) (exit status \(w.exitStatus))", "the walk's re-birth or verify for this step did not come out as the first birth")
                cases.append(c)
            }
        }

        package var xml: String {
            let x = ReportEscaping.xml
            let failures = cases.filter { $0.failure != nil }.count
            let skipped = cases.filter(\.skipped).count
            var out = #"  <testsuite name="\#(x(name))" tests="\#(cases.count)" failures="\#(failures)" errors="0" skipped="\#(skipped)" time="\#(seconds(micros))">"# + "\n"
            out += "    <properties>\n"
            for (k, v) in properties { out += #"      <property name="\#(x(k))" value="\#(x(v))"/>"# + "\n" }
            out += "    </properties>\n"
            for c in cases {
                let open = #"    <testcase classname="\#(x(c.classname))" name="\#(x(c.name))" time="\#(seconds(c.micros))""#
                if let f = c.failure {
                    out += open + ">\n"
                    out += #"      <failure message="\#(x(f.message))" type="\#(c.name == "evidence validates" ? "rejected" : "failed")">\#(x(f.body))</failure>"# + "\n"
                    out += "    </testcase>\n"
                } else if c.skipped {
                    out += open + ">\n      <skipped/>\n    </testcase>\n"
                } else {
                    out += open + "/>\n"
                }
            }
            out += "  </testsuite>\n"
            return out
        }
    }

    /// Seconds with microsecond precision, from whole microseconds (no floats).
    package static func seconds(_ micros: Int64) -> String {
        let m = max(0, micros)
        let frac = String(m % 1_000_000)
        return "\(m / 1_000_000)." + String(repeating: "0", count: 6 - frac.count) + frac
    }
}
