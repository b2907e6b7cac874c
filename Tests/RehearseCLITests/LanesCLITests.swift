import Foundation
import Testing

/// `rehearse lanes` and lane selection on the command line: the default is
/// HOLD_REAL_DATA, lane 5 is refused everywhere, lanes 3 and 4 say what they need.
@Suite struct LanesCLITests {
    @Test func listsFiveLanesWithTheDefaultActive() throws {
        let r = try CLI.run(["lanes"])
        #expect(r.status == 0, "\(r.all)")
        #expect(r.stdout.contains("Active lane: 1 HOLD_REAL_DATA (the default"))
        for name in ["HOLD_REAL_DATA", "AUTHORIZE_OPERATOR_REAL_DATA_CLONE_HANDOFF", "AUTHORIZE_PRODUCTION_DRYRUN_ONLY",
                     "AUTHORIZE_PRODUCTION_REALRUN_PRECHECK_ONLY", "AUTHORIZE_PRODUCTION_EXECUTION"] {
            #expect(r.stdout.contains(name))
        }
        #expect(r.stdout.contains("* 1 HOLD_REAL_DATA"))
        #expect(r.stdout.contains("5 AUTHORIZE_PRODUCTION_EXECUTION [not selectable in this version]"))
    }

    @Test func jsonNamesTheActiveLaneAndWhy() throws {
        let r = try CLI.run(["lanes", "--format", "json"])
        #expect(r.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(json["active"] as? String == "HOLD_REAL_DATA")
        #expect((json["active_reason"] as? String)?.contains("no grant was given") == true)
        let lanes = try #require(json["lanes"] as? [[String: Any]])
        #expect(lanes.count == 5)
        #expect(lanes.filter { $0["selectable"] as? Bool == true }.compactMap { $0["number"] as? Int } == [1, 2])
        #expect(lanes.filter { $0["default"] as? Bool == true }.compactMap { $0["name"] as? String } == ["HOLD_REAL_DATA"])
    }

    @Test func laneFiveIsRefusedByNumberAndByNameEverywhere() throws {
        let s = Scratch()
        try "x".write(toFile: s.path("d.sql"), atomically: true, encoding: .utf8)
        for args in [["--lane", "5"], ["--lane", "AUTHORIZE_PRODUCTION_EXECUTION"], ["--surrogate", "--lane", "5"],
                     ["--dump", s.path("d.sql"), "--lane", "5"],
                     ["grant", "create", "--lane", "5", "--subject", String(repeating: "a", count: 64), "--issuer", "x", "--engine", "sqlite", "--out", s.path("g.json")]] {
            let r = try CLI.run(args, environment: s.env)
            #expect(r.status == 3, "\(args): \(r.all)")
            #expect(r.stderr.contains("lane 5, AUTHORIZE_PRODUCTION_EXECUTION, is not selectable"), "\(args): \(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: s.path("g.json")))
        #expect(s.leftovers.isEmpty)
    }

    @Test func lanesThreeAndFourSayWhatTheyNeed() throws {
        for (lane, need) in [("3", "Its own grant for lane 3"), ("AUTHORIZE_PRODUCTION_REALRUN_PRECHECK_ONLY", "Its own grant for lane 4")] {
            let r = try CLI.run(["--lane", lane])
            #expect(r.status == 3, "\(r.all)")
            #expect(r.stderr.contains("is not available in this version"))
            #expect(r.stderr.contains("What it would do:"))
            #expect(r.stderr.contains(need))
        }
    }

    @Test func laneTwoWithoutADumpOrAGrantIsRefused() throws {
        let s = Scratch()
        let surrogate = try CLI.run(["--lane", "2"], environment: s.env)
        #expect(surrogate.status == 3)
        #expect(surrogate.stderr.contains("a surrogate rehearsal runs under the default lane HOLD_REAL_DATA"))
        try "SELECT 1;".write(toFile: s.path("d.sql"), atomically: true, encoding: .utf8)
        let noGrant = try CLI.run(["--dump", s.path("d.sql"), "--lane", "2"], environment: s.env)
        #expect(noGrant.status == 3)
        #expect(noGrant.stderr.contains("give --grant FILE --trust FILE"))
        #expect(noGrant.stderr.contains("The dump was not opened or read"))
    }

    @Test func anUnknownLaneIsBadInput() throws {
        let r = try CLI.run(["--lane", "6"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("--lane"))
    }
}
