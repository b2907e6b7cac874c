import Foundation
import Testing

/// `rehearse packet` and `rehearse precheck` on evidence of the bundled
/// surrogates (SQLite, scale 0.1) and the shipped example blocker map.
@Suite struct PacketCLITests {
    static let example = CLI.root.appendingPathComponent("schemas/blocker-map.example.json").path

    static func runs(_ s: Scratch) throws -> (pass: String, lossy: String) {
        let pass = s.path("pass"), lossy = s.path("lossy")
        #expect(try CLI.run(["--surrogate", "commerce", "--scale", "0.1", "--out", pass, "--quiet"], environment: s.env).status == 0)
        #expect(try CLI.run(["--surrogate", "surrogates/lossy-rollback", "--scale", "0.1", "--out", lossy, "--quiet"], environment: s.env).status == 1)
        return (pass, lossy)
    }

    /// The packet's table row for one blocker's leg.
    static func row(_ packet: String, _ blocker: String, _ leg: String) -> String? {
        let b = blocker.replacingOccurrences(of: "-", with: "\\-"), l = leg.replacingOccurrences(of: "-", with: "\\-")
        return packet.split(separator: "\n").first { $0.hasPrefix("| \(b) | ") && $0.contains(" | \(l) | ") }.map(String.init)
    }

    @Test func surrogateLegsAreDischargedByDigestAndRealDumpLegsStayOpen() throws {
        let s = Scratch()
        let (pass, lossy) = try Self.runs(s)
        let r = try CLI.run(["packet", "--blockers", Self.example, "--evidence", pass, lossy])
        #expect(r.status == 0, "\(r.all)")
        let p = r.stdout
        let passDigest = try ReportCLITests.sha256(pass + "/evidence.json"), lossyDigest = try ReportCLITests.sha256(lossy + "/evidence.json")
        #expect(p.contains("**This document selects nothing. Default = HOLD_REAL_DATA.**"))
        #expect(p.contains("1. **HOLD_REAL_DATA (DEFAULT)**"))
        #expect(p.contains("5. **AUTHORIZE_PRODUCTION_EXECUTION**: **NOT SELECTABLE** by this lane or this tool. Requires every lane-5 precondition below (0 of 7 met now)"))
        #expect(!p.lowercased().contains("selected:") && !p.contains("[x]"), "the packet selects nothing")
        let toy = try #require(Self.row(p, "FIX7-P0-DRYRUN-PROD-ROLLBACK-1", "toy"))
        #expect(toy.contains("| discharged | <code>\(lossyDigest)</code> (lossy\\-rollback FAIL on sqlite"))
        let surrogate = try #require(Self.row(p, "FIX7-P0-DRYRUN-PROD-ROLLBACK-1", "surrogate"))
        #expect(surrogate.contains("| discharged | <code>\(passDigest)</code> (commerce PASS on sqlite"))
        for blocker in ["FIX7-P0-DRYRUN-PROD-ROLLBACK-1", "FIX7-P0-OPERATOR-INPUT-1"] {
            let dump = try #require(Self.row(p, blocker, "real dump"))
            #expect(dump.contains("| **open** | none |"))
            #expect(dump.contains("a surrogate run never discharges this leg"))
        }
        let grant = try #require(Self.row(p, "FIX7-P0-PLAN-REALRUN-1", "REAL\\_RUN grant"))
        #expect(grant.contains("| **open** | none | needs a signed grant or decision by owner; no rehearsal evidence discharges it | owner |"))
        #expect(p.contains("## Boundaries"))
        #expect(p.contains("a surrogate run never discharges a real-dump leg."))
    }

    @Test func tamperedEvidenceDischargesNothingAndThePacketSaysSo() throws {
        let s = Scratch()
        let (pass, lossy) = try Self.runs(s)
        for dir in [pass, lossy] {
            let file = dir + "/evidence.json"
            let text = try ReportCLITests.read(file)
            try text.replacingOccurrences(of: "\"verdict\":\"FAIL\"", with: "\"verdict\":\"PASS\"")
                .replacingOccurrences(of: "\"duration_us\":", with: "\"duration_us\":1").write(toFile: file, atomically: true, encoding: .utf8)
        }
        let r = try CLI.run(["packet", "--blockers", Self.example, "--evidence", pass, lossy])
        #expect(r.status == 0, "\(r.all)")
        #expect(!r.stdout.contains("| discharged |"), "no leg is discharged by rejected evidence")
        #expect(r.stdout.contains("| **REJECTED: discharges nothing** |"))
        #expect(r.stdout.contains("2 evidence folders did not validate. Evidence that does not validate discharges nothing, whatever it claims:"))
        let c = try CLI.run(["precheck", "--blockers", Self.example, "--evidence", pass, lossy])
        #expect(c.status == 1, "\(c.all)")
        #expect(c.stdout.contains("REJECTED \(pass): discharges nothing"))
        #expect(c.stdout.contains("0 of 7 lane-5 preconditions met; not all met (exit 1)."))
    }

    @Test func aLookAlikeSurrogateWithAnotherBirthDoesNotDischargeAPinnedLeg() throws {
        let s = Scratch()
        let copy = try s.commerce()
        let birth = copy + "/birth.sql"
        try (try ReportCLITests.read(birth) + "\n-- a different birth with the same name\n").write(toFile: birth, atomically: true, encoding: .utf8)
        try? FileManager.default.removeItem(atPath: copy + "/SEAL.sha256")
        let run = s.path("lookalike")
        let a = try CLI.run(["--surrogate", copy, "--scale", "0.1", "--out", run, "--quiet"], environment: s.env)
        #expect(a.status == 0, "\(a.all)")
        let r = try CLI.run(["packet", "--blockers", Self.example, "--evidence", run])
        let pinned = try #require(Self.row(r.stdout, "FIX7-P0-DRYRUN-PROD-ROLLBACK-1", "surrogate"))
        #expect(pinned.contains("| **open** |"), "\(pinned)")
        #expect(pinned.contains("birth sha256 b97fa7d62253…"))
        // The unpinned substitute leg takes any surrogate PASS.
        let loose = try #require(Self.row(r.stdout, "FIX7-P0-OPERATOR-INPUT-1", "surrogate substitute"))
        #expect(loose.contains("| discharged |"))
    }

    @Test func precheckReportsEachLaneFivePreconditionAndExitsOneWhenNotAllMet() throws {
        let s = Scratch()
        let (pass, lossy) = try Self.runs(s)
        let r = try CLI.run(["precheck", "--blockers", Self.example, "--evidence", pass, lossy])
        #expect(r.status == 1, "\(r.all)")
        #expect(r.stdout.contains("it executes nothing and contacts nothing."))
        #expect(r.stdout.contains("NOT MET FIX7-P0-DRYRUN-PROD-ROLLBACK-1:"))
        #expect(r.stdout.contains("toy: discharged by evidence sha256 \(try ReportCLITests.sha256(lossy + "/evidence.json"))"))
        #expect(r.stdout.contains("real dump: open, needs validated evidence of a PASS on a real dump clone"))
        #expect(!r.stdout.contains("FIX7-P0-PROD-CI-SCOPE-1"), "not a lane-5 precondition")
        let j = try CLI.run(["precheck", "--blockers", Self.example, "--evidence", pass, "--format", "json"])
        #expect(j.status == 1)
        #expect(j.stdout.hasPrefix(#"{"all_met":false,"preconditions":[{"id":"FIX7-P0-DRYRUN-PROD-ROLLBACK-1","met":false"#))

        // A map whose only lane-5 precondition is evidence the runs provide: met, exit 0.
        let map = s.path("map.json")
        try #"{"format":"rehearse-blocker-map/1","title":"t","blockers":[{"id":"B-1","description":"d","lane5_precondition":true,"legs":[{"name":"surrogate","evidence":"surrogate_pass","surrogate":"commerce","remaining_actor":"engineering"},{"name":"toy","evidence":"surrogate_detects_loss","remaining_actor":"engineering"}]}]}"#
            .write(toFile: map, atomically: true, encoding: .utf8)
        let m = try CLI.run(["precheck", "--blockers", map, "--evidence", pass, lossy])
        #expect(m.status == 0, "\(m.all)")
        #expect(m.stdout.contains("MET     B-1: d"))
        #expect(m.stdout.contains("1 of 1 lane-5 preconditions met. Lane 5, AUTHORIZE_PRODUCTION_EXECUTION, is not selectable by this tool either way."))
    }

    /// With --trust, unsigned evidence discharges nothing; signed by a trusted key, it does.
    @Test func withATrustFileOnlySignedEvidenceDischarges() throws {
        let s = Scratch()
        let (pass, _) = try Self.runs(s)
        #expect(try CLI.run(["keys", "generate", "--out", s.path("ops")]).status == 0)
        let trust = try CLI.run(["keys", "trust", s.path("ops.pub")])
        try trust.stdout.write(toFile: s.path("trust.json"), atomically: true, encoding: .utf8)
        let unsigned = try CLI.run(["packet", "--blockers", Self.example, "--trust", s.path("trust.json"), "--evidence", pass])
        #expect(unsigned.status == 0, "\(unsigned.all)")
        #expect(!unsigned.stdout.contains("| discharged |"))
        #expect(unsigned.stdout.contains("R9\\-signature"))
        let report = try CLI.run(["report", pass, "--trust", s.path("trust.json"), "--markdown", s.path("m.md")])
        #expect(report.status == 5, "\(report.all)")
        #expect(try CLI.run(["sign", pass, "--key", s.path("ops.key")]).status == 0)
        let signed = try CLI.run(["packet", "--blockers", Self.example, "--trust", s.path("trust.json"), "--evidence", pass])
        #expect(try #require(Self.row(signed.stdout, "FIX7-P0-OPERATOR-INPUT-1", "surrogate substitute")).contains("| discharged |"))
    }

    @Test func badBlockerMapsAreRefusedSayingWhereAndWhat() throws {
        let s = Scratch()
        let map = s.path("map.json")
        let leg = #"{"name":"l","evidence":"surrogate_pass","remaining_actor":"a"}"#
        let cases: [(String, String)] = [
            (#"{"format":"rehearse-blocker-map/1","title":"t","blockers":[{"id":"B","description":"d","lane5_precondition":true,"legs":[\#(leg)],"extra":1}]}"#,
             #"($.blockers[0]): unknown field "extra"."#),
            (#"{"format":"rehearse-blocker-map/1","title":"t","title":"u","blockers":[]}"#, "not strict JSON"),
            (#"{"format":"rehearse-blocker-map/1","title":"t","blockers":[{"id":"B","description":"d","lane5_precondition":true,"legs":[\#(leg)]},{"id":"B","description":"d","lane5_precondition":true,"legs":[\#(leg)]}]}"#,
             "($.blockers[1].id): the ID B is used twice."),
            (#"{"format":"rehearse-blocker-map/1","title":"t","blockers":[{"id":"B","description":"d","lane5_precondition":true,"legs":[{"name":"l","evidence":"surrogate_said_so","remaining_actor":"a"}]}]}"#,
             #"unknown evidence kind "surrogate_said_so""#),
            (#"{"format":"rehearse-blocker-map/1","title":"t","blockers":[{"id":"B","description":"d","lane5_precondition":true,"legs":[{"name":"l","evidence":"real_dump_pass","surrogate":"commerce","remaining_actor":"a"}]}]}"#,
             "narrow only surrogate_pass and surrogate_detects_loss legs."),
            (#"{"format":"rehearse-blocker-map/2","title":"t","blockers":[]}"#, #"($.format): expected "rehearse-blocker-map/1"."#),
        ]
        for (text, message) in cases {
            try text.write(toFile: map, atomically: true, encoding: .utf8)
            for command in ["packet", "precheck"] {
                let r = try CLI.run([command, "--blockers", map])
                #expect(r.status == 2, "\(command) \(text): \(r.all)")
                #expect(r.stderr.contains(message), "\(command): \(r.stderr)")
            }
        }
        let missing = try CLI.run(["packet", "--blockers", s.path("none.json")])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("the blocker map cannot be read"))
    }
}
