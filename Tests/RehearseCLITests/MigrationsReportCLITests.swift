import Foundation
import Testing

/// `rehearse report` and `validate --format json` of a walk present the
/// walk's own (checked) statuses and coverage, not each step folder's
/// verdict (issue 13, attack-w13 W-F6/W-F8/W-F9/W-F15).
@Suite struct MigrationsReportCLITests {
    static let fixtures = CLI.root.appendingPathComponent("Tests/Fixtures/migrations")

    @Test func aReportOfAWalkShowsEveryStepWithItsWalkStatusAndExitsAsTheWalk() throws {
        let s = Scratch()
        let w = try CLI.run(["migrations", Self.fixtures.appendingPathComponent("sqitch").path, "--out", s.path("walk")], environment: s.env)
        #expect(w.status == 1, "\(w.all)")
        let failing = try #require(w.stdout.split(separator: "\n").first { $0.hasPrefix("FAIL") })
        let r = try CLI.run(["report", s.path("walk"), "--markdown", s.path("r.md"), "--junit", s.path("r.xml")])
        #expect(r.status == 1, "\(r.all)")
        let md = try String(contentsOfFile: s.path("r.md"), encoding: .utf8)
        let xml = try String(contentsOfFile: s.path("r.xml"), encoding: .utf8)
        let steps = w.stdout.split(separator: "\n").filter { ["PASS", "FAIL", "SKIPPED", "IRREVERSIBLE", "NOT_REHEARSABLE"].contains(String($0.prefix { $0 != " " })) }
        let passes = steps.filter { $0.hasPrefix("PASS ") }.count
        #expect(md.contains("**\(passes) of \(steps.count) passed.**"), "\(failing)\n\(md.prefix(1500))")
        #expect(!xml.contains("failures=\"0\" errors=\"0\" skipped=\"0\" time") || xml.contains("walk status FAIL"), "\(xml.prefix(1500))")
        #expect(xml.contains("walk status FAIL") || xml.contains("verdict FAIL"), "\(xml.prefix(1500))")
        // golang-migrate: IRREVERSIBLE and SKIPPED steps have no run folder; they are listed, and count.
        let g = try CLI.run(["migrations", Self.fixtures.appendingPathComponent("golang-migrate").path, "--out", s.path("g")], environment: s.env)
        #expect(g.status == 1)
        let gr = try CLI.run(["report", s.path("g"), "--markdown", s.path("g.md")])
        #expect(gr.status == 1, "\(gr.all)")
        let gmd = try String(contentsOfFile: s.path("g.md"), encoding: .utf8)
        #expect(gmd.contains("**3 of 7 passed.**"), "\(gmd.prefix(1500))")
        #expect(gmd.contains("| ❌ **IRREVERSIBLE** | not rehearsed |") && gmd.contains("walk status IRREVERSIBLE (exit status 6): not rehearsed\\: no down migration"), "\(gmd)")
        #expect(gr.stdout.contains("SKIPPED"), "\(gr.stdout)")
        // Only the steps that are not rehearsed: the report exits 6 as the walk does.
        let only = try CLI.run(["migrations", Self.fixtures.appendingPathComponent("golang-migrate").path, "--from", "0005", "--to", "0006", "--out", s.path("g56")], environment: s.env)
        #expect(only.status == 6, "\(only.all)")
        let r56 = try CLI.run(["report", s.path("g56"), "--junit", s.path("g56.xml")])
        #expect(r56.status == 6, "\(r56.all)")
        #expect(try String(contentsOfFile: s.path("g56.xml"), encoding: .utf8).contains("failures=\"1\""))
    }

    @Test func validateJSONCarriesTheCoverageAndTextDoesNotCallAnUnverifiedSignatureSigned() throws {
        let s = Scratch()
        let dir = Self.fixtures.appendingPathComponent("golang-migrate").path
        let w = try CLI.run(["migrations", dir, "--to", "0001", "--out", s.path("walk")], environment: s.env)
        #expect(w.status == 0, "\(w.all)")
        let v = try CLI.run(["validate", s.path("walk"), "--format", "json"])
        #expect(v.status == 0, "\(v.all)")
        for key in ["\"covers_every_migration\":false", "\"to\":\"0001\"", "\"steps\":1", "\"migrations\":7", "\"signature\":\"none\"", "\"layout\":\"golang-migrate\""] {
            #expect(v.stdout.contains(key), "\(key)\n\(v.stdout)")
        }
        let t = try CLI.run(["validate", s.path("walk")])
        #expect(t.stdout.contains("1 of the 7 migrations"), "\(t.stdout)")
        #expect(t.stdout.contains("recorded as walk of \(dir)"), "\(t.stdout)")
        #expect(try CLI.run(["keys", "generate", "--out", s.path("op")]).status == 0)
        #expect(try CLI.run(["sign", s.path("walk"), "--key", s.path("op.key")]).status == 0)
        let plain = try CLI.run(["validate", s.path("walk")])
        #expect(plain.stdout.contains("signature present, not checked without --trust"), "\(plain.stdout)")
        #expect(!plain.stdout.contains("signed (walk.dsse.json)"))
        try CLI.run(["keys", "trust", s.path("op.pub")]).stdout.write(toFile: s.path("trust.json"), atomically: true, encoding: .utf8)
        let trusted = try CLI.run(["validate", s.path("walk"), "--trust", s.path("trust.json")])
        #expect(trusted.stdout.contains("signed (walk.dsse.json), verified by the trust policy"), "\(trusted.stdout)")
        let tj = try CLI.run(["validate", s.path("walk"), "--trust", s.path("trust.json"), "--format", "json"])
        #expect(tj.stdout.contains("\"signature\":\"verified\""), "\(tj.stdout)")
    }

    @Test func validateAgainstTheDirectoryFindsAWalkOfAnotherCopy() throws {
        let s = Scratch()
        let fm = FileManager.default
        try fm.copyItem(atPath: Self.fixtures.appendingPathComponent("golang-migrate").path, toPath: s.path("real"))
        try fm.copyItem(atPath: s.path("real"), toPath: s.path("copy"))
        // The copy walked has the lossy migration removed: a genuine walk, of another directory.
        for f in try fm.contentsOfDirectory(atPath: s.path("copy")) where f.hasPrefix("0002_") { try fm.removeItem(atPath: s.path("copy/" + f)) }
        let w = try CLI.run(["migrations", s.path("copy"), "--to", "0003", "--out", s.path("walk")], environment: s.env)
        #expect(w.status == 0, "\(w.all)")
        #expect(try CLI.run(["validate", s.path("walk")]).status == 0)
        let v = try CLI.run(["validate", s.path("walk"), "--against", s.path("real")])
        #expect(v.status == 5, "\(v.all)")
        #expect(v.stdout.contains("0002_bump_qty.up.sql: is in \(s.path("real")) but not in the walk's inventory"), "\(v.stdout)")
        let same = try CLI.run(["validate", s.path("walk"), "--against", s.path("copy")])
        #expect(same.status == 0, "\(same.all)")
        let run = try CLI.run(["validate", s.path("walk/steps/0001-0001-items"), "--against", s.path("real")])
        #expect(run.status == 2, "\(run.all)")
        #expect(run.stderr.contains("--against compares a migrations walk's inventory"), "\(run.all)")
    }
}
