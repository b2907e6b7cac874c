import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// What one nightly job came to, judged from the validated evidence and the
/// exit statuses of `rehearse` and `rehearse validate`, never from their
/// words. A job is ok only when every run it made is valid evidence of a
/// PASS (or, for a known-lossy surrogate, valid evidence of a FAIL with drift).
package struct NightlyOutcome: Sendable {
    /// Why the night failed; the summary names each one.
    package enum Cause: String, Sendable, CaseIterable {
        case drift = "drift"
        case failingCheck = "failing check"
        case inconclusive = "INCONCLUSIVE"
        case rehearsalError = "rehearsal error"
        case validationFailure = "validation failure"
        case sealMismatch = "seal mismatch"
        case lossyNotCaught = "known-lossy surrogate passed"

        /// Exit status contribution: evidence problems 5, failures 1, INCONCLUSIVE 6.
        package var exitStatus: Int32 {
            switch self {
            case .validationFailure, .sealMismatch: 5
            case .inconclusive: 6
            default: 1
            }
        }
    }

    package var job: NightlyPlan.Job
    package var runDirectory: String
    package var runStatus: Int32
    package var validateStatus: Int32?
    package var runs: [ValidatedRun]
    package var problems: [(cause: Cause, detail: String)] = []
    package var micros: Int64

    package var ok: Bool { problems.isEmpty }
    package var verdict: String {
        if runs.isEmpty || runs.allSatisfy({ $0.evidenceDigest == nil }) { return "NO EVIDENCE" }
        if let bad = runs.first(where: { !$0.passed }) { return bad.verdict }
        return "PASS"
    }

    /// Judges a finished job. `logTail` is the last line the rehearsal
    /// printed, quoted only when it left no evidence to judge.
    package init(job: NightlyPlan.Job, runDirectory: String, runStatus: Int32, validateStatus: Int32?, runs: [ValidatedRun],
                sealFindings: [String], logTail: String, micros: Int64) {
        self.job = job
        self.runDirectory = runDirectory
        self.runStatus = runStatus
        self.validateStatus = validateStatus
        self.runs = runs
        self.micros = micros
        for f in sealFindings.prefix(5) { problems.append((.sealMismatch, "\(job.path): \(f)")) }
        if sealFindings.count > 5 { problems.append((.sealMismatch, "… and \(sealFindings.count - 5) more seal differences")) }
        if runs.isEmpty || runs.allSatisfy({ $0.evidenceDigest == nil }) {
            problems.append((.rehearsalError, "no evidence written (rehearse exit \(runStatus)): \(logTail)"))
            return
        }
        if let v = validateStatus, v != 0 && v != 1 && v != 6 {
            problems.append((.validationFailure, "rehearse validate\(v == 5 ? "" : " could not run and") exited \(v)"))
        }
        for run in runs {
            let at = run.step.map { "step \($0): " } ?? ""
            // A walk's step not rehearsed (IRREVERSIBLE, SKIPPED, ...): the walk's word.
            if run.isValid, run.evidence == nil, let w = run.walkStep {
                problems.append((w.exitStatus == 6 ? .inconclusive : .rehearsalError, "\(at)walk status \(w.status): \(w.note ?? "not rehearsed")"))
                continue
            }
            guard let e = run.evidence, run.isValid else {
                let first = run.findings.first.map(\.description) ?? "rejected"
                problems.append((.validationFailure, "\(at)evidence rejected (\(run.findings.count) findings; first: \(first))"))
                continue
            }
            if job.expectFail {
                if e.verdict == "PASS" || !e.hasDrift {
                    problems.append((.lossyNotCaught, "\(at)\(job.name) is listed in expect_fail but its rollback was not caught: verdict \(e.verdict), no drift recorded"))
                }
                continue
            }
            if e.verdict == "PASS" {
                // A walk step whose re-birth or verify failed is not a pass.
                if let w = run.walkStep, w.status != "PASS" {
                    problems.append((w.exitStatus == 6 ? .inconclusive : .rehearsalError, "\(at)walk status \(w.status): re-birth or verify did not come out as the first birth"))
                }
                continue
            }
            if e.verdict == "INCONCLUSIVE" {
                let why = e.unexercised.first.map { "not exercised: \($0)" + (e.unexercised.count > 1 ? " (and \(e.unexercised.count - 1) more)" : "") }
                problems.append((.inconclusive, at + (why ?? e.failureMessage ?? "the birth did not exercise its data changes")))
                continue
            }
            var named = false
            for line in e.driftSummary.prefix(3) { problems.append((.drift, at + line)); named = true }
            if e.driftSummary.count > 3 { problems.append((.drift, "\(at)… and \(e.driftSummary.count - 3) more drifted objects or tables")) }
            for c in e.checks.filter({ $0.outcome != "pass" }).prefix(3) {
                problems.append((.failingCheck, "\(at)\(c.name) (\(c.file):\(c.line)) returned \(c.returned)"))
                named = true
            }
            if let m = e.failureMessage {
                problems.append((.rehearsalError, "\(at)\(e.failurePhase ?? "?"): \(m)"))
                named = true
            }
            if !named { problems.append((.rehearsalError, "\(at)verdict \(e.verdict)")) }
        }
    }
}
