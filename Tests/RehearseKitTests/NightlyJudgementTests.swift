import Foundation
import Testing
@testable import RehearseCore
@testable import RehearseEngine
@testable import RehearseEvidence
@testable import RehearseKit
@testable import RehearsePostgres
@testable import RehearseSQLite
@testable import RehearseSurrogate
@testable import RehearseValidator

/// How the nightly judges a job and what the exit status becomes, from
/// evidence facts: every verdict but PASS fails the night, INCONCLUSIVE
/// alone exits 6, and evidence problems outrank everything (exit 5).
@Suite struct NightlyJudgementTests {
    static func run(verdict: String, drift: Bool = false, valid: Bool = true) -> ValidatedRun {
        let data: JSONValue = drift
            ? [["table": "customers", "rows_before": 10, "rows_after": 10, "changed": 3, "added": 0, "removed": 0, "columns": ["phone": 3],
                "sample_keys": ["1"], "matched_by": "primary key (id)", "note": nil]]
            : []
        let predicate: JSONValue = [
            "verdict": .string(verdict), "run_id": "r", "lane": "HOLD_REAL_DATA", "grant": nil,
            "source": ["kind": "surrogate", "name": "s", "tag": "GENERATED_SURROGATE_NOT_REAL_PRODUCTION_DUMP"],
            "phases": [["name": "birth", "outcome": "ok", "detail": "1 statement", "duration_us": 5]],
            "drift": ["schema": [], "data": data], "failure": nil,
            "unexercised": verdict == "INCONCLUSIVE" ? [["line": 3, "statement": "UPDATE t SET v = 1 WHERE id < 0", "reason": "matched no rows"]] : [],
        ]
        let facts = EvidenceFacts(predicate: predicate)
        return valid
            ? ValidatedRun(directory: "/r", findings: [], evidence: facts, evidenceDigest: String(repeating: "a", count: 64))
            : ValidatedRun(directory: "/r", findings: [ValidationFinding(rule: "R2-seal", path: "evidence.json", message: "changed")], evidence: nil, evidenceDigest: String(repeating: "b", count: 64))
    }

    static func judge(_ run: ValidatedRun, expectFail: Bool = false, validate: Int32 = 0, seal: [String] = []) -> NightlyOutcome {
        let job = NightlyPlan.Job(kind: .surrogate, engine: "sqlite", name: "s", path: "/s", expectFail: expectFail)
        return NightlyOutcome(job: job, runDirectory: "/r", runStatus: 0, validateStatus: validate, runs: [run], sealFindings: seal, logTail: "", micros: 1)
    }

    static func status(_ outcomes: [NightlyOutcome]) -> Int32 {
        NightlySummary(outcomes: outcomes, shard: .whole, skipped: [], totalMicros: 1).exitStatus
    }

    @Test func inconclusiveIsNeverAPassAndAloneExitsSix() {
        let o = Self.judge(Self.run(verdict: "INCONCLUSIVE"), validate: 6)
        #expect(!o.ok)
        #expect(o.problems.map(\.cause) == [.inconclusive])
        #expect(o.problems.first?.detail == "not exercised: line 3: UPDATE t SET v = 1 WHERE id < 0: matched no rows")
        #expect(Self.status([o]) == 6)
        #expect(Self.status([o, Self.judge(Self.run(verdict: "FAIL", drift: true), validate: 1)]) == 1)
        #expect(JUnitReport.render([Self.run(verdict: "INCONCLUSIVE")]).contains(#"<failure message="verdict INCONCLUSIVE""#))
        #expect(MarkdownReport.render([Self.run(verdict: "INCONCLUSIVE")]).contains("❌ **INCONCLUSIVE**"))
        #expect(MarkdownReport.render([Self.run(verdict: "INCONCLUSIVE")]).contains("  - line 3\\: UPDATE t SET v \\= 1 WHERE id &lt; 0\\: matched no rows"))
        #expect(HTMLReport.render([Self.run(verdict: "INCONCLUSIVE")]).contains("<li>line 3: UPDATE t SET v = 1 WHERE id &lt; 0: matched no rows</li>"))
    }

    /// attack-w13 W-F6: a walk's step is judged by the walk's checked status.
    @Test func aWalkStepIsJudgedByTheWalksStatusNotItsFoldersVerdict() {
        var verifyFailed = Self.run(verdict: "PASS")
        verifyFailed.step = "0002-2-b"
        verifyFailed.walkStep = ValidatedRun.WalkStep(status: "FAIL", exitStatus: 1, note: nil)
        let o = Self.judge(verifyFailed, validate: 1)
        #expect(o.problems.map(\.cause) == [.rehearsalError])
        #expect(Self.status([o]) == 1)
        var skipped = ValidatedRun(directory: "/r", step: "0005-5-x", findings: [], evidence: nil, evidenceDigest: String(repeating: "a", count: 64))
        skipped.walkStep = ValidatedRun.WalkStep(status: "IRREVERSIBLE", exitStatus: 6, note: "not rehearsed: no down migration")
        let s = Self.judge(skipped, validate: 6)
        #expect(s.problems.map(\.detail) == ["step 0005-5-x: walk status IRREVERSIBLE: not rehearsed: no down migration"])
        #expect(Self.status([s]) == 6)
    }

    @Test func anUnknownVerdictFailsTheNight() {
        let o = Self.judge(Self.run(verdict: "MAYBE"))
        #expect(o.problems.map(\.cause) == [.rehearsalError])
        #expect(Self.status([o]) == 1)
    }

    @Test func evidenceProblemsOutrankEverything() {
        #expect(Self.status([Self.judge(Self.run(verdict: "PASS", valid: false), validate: 5), Self.judge(Self.run(verdict: "FAIL", drift: true), validate: 1)]) == 5)
        #expect(Self.status([Self.judge(Self.run(verdict: "PASS"), seal: ["rollback.sql: bytes differ"])]) == 5)
        // validate exiting 5 on evidence this process read as valid (a replay mismatch) still fails.
        #expect(Self.judge(Self.run(verdict: "PASS"), validate: 5).problems.map(\.cause) == [.validationFailure])
    }

    @Test func knownLossyMustFailWithDrift() {
        #expect(Self.judge(Self.run(verdict: "FAIL", drift: true), expectFail: true, validate: 1).ok)
        #expect(Self.judge(Self.run(verdict: "FAIL", drift: false), expectFail: true, validate: 1).problems.map(\.cause) == [.lossyNotCaught])
        #expect(Self.judge(Self.run(verdict: "INCONCLUSIVE"), expectFail: true, validate: 6).problems.map(\.cause) == [.lossyNotCaught])
        #expect(Self.judge(Self.run(verdict: "PASS"), expectFail: true).problems.map(\.cause) == [.lossyNotCaught])
    }

    @Test func escapingNeutralisesEveryFormatsMarkup() {
        let hostile = "</td><script>x</script>]]>|`*[a](b)\u{0}"
        #expect(ReportEscaping.xml(hostile) == "&lt;/td&gt;&lt;script&gt;x&lt;/script&gt;]]&gt;|`*[a](b)\u{FFFD}")
        #expect(ReportEscaping.markdown(hostile) == "&lt;/td&gt;&lt;script&gt;x&lt;/script&gt;\\]\\]&gt;\\|\\`\\*\\[a\\]\\(b\\)\u{FFFD}")
        #expect(ReportEscaping.markdown("a\nb|c") == "a b\\|c")
    }

    @Test func secondsAreWholeMicrosecondsWithoutFloats() {
        #expect(JUnitReport.seconds(0) == "0.000000")
        #expect(JUnitReport.seconds(1_234_567) == "1.234567")
        #expect(JUnitReport.seconds(-5) == "0.000000")
    }
}
