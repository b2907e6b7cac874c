import Foundation
import Testing

/// `rehearse report`: JUnit, Markdown and HTML rendered from real run
/// folders (SQLite, scale 0.1), checked against the shipped XSD with
/// xmllint and rendered in headless Chromium.
@Suite struct ReportCLITests {
    static let xsd = CLI.root.appendingPathComponent("Tests/Fixtures/junit/junit.xsd").path

    /// A passing commerce run and the known-lossy run, in one scratch folder.
    static func twoRuns(_ s: Scratch) throws -> (pass: String, fail: String) {
        let pass = s.path("pass"), fail = s.path("fail")
        let a = try CLI.run(["--surrogate", "commerce", "--scale", "0.1", "--out", pass, "--quiet"], environment: s.env)
        #expect(a.status == 0, "\(a.all)")
        let b = try CLI.run(["--surrogate", "surrogates/lossy-rollback", "--scale", "0.1", "--out", fail, "--quiet"], environment: s.env)
        #expect(b.status == 1, "\(b.all)")
        return (pass, fail)
    }

    static func tool(_ names: [String]) -> String? {
        for name in names {
            for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") + ["/usr/bin"] {
                let path = "\(dir)/\(name)"
                if FileManager.default.isExecutableFile(atPath: path) { return path }
            }
        }
        return nil
    }

    /// Runs a program other than rehearse (xmllint, Chromium, a script) to its end.
    static func run(_ tool: String, _ args: [String], directory: URL? = nil, environment: [String: String] = [:]) throws -> CLI.Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        p.currentDirectoryURL = directory
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return CLI.Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    static func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    static func sha256(_ path: String) throws -> String {
        let r = try run("/usr/bin/sha256sum", [path])
        return String(r.stdout.prefix(64))
    }

    @Test func junitValidatesAgainstTheXSDAndFailuresCarryTheDrift() throws {
        let xmllint = try #require(Self.tool(["xmllint"]), "xmllint is missing: scripts/bootstrap.sh installs libxml2-utils")
        let s = Scratch()
        let (pass, fail) = try Self.twoRuns(s)
        let r = try CLI.run(["report", pass, fail, "--junit", s.path("junit.xml")])
        #expect(r.status == 1, "a valid FAIL among the runs: exit 1. \(r.all)")
        let v = try Self.run(xmllint, ["--noout", "--schema", Self.xsd, s.path("junit.xml")])
        #expect(v.status == 0, "\(v.all)")
        let xml = try Self.read(s.path("junit.xml"))
        // One suite per run; a case per phase and per check, plus validation and verdict.
        #expect(xml.components(separatedBy: "<testsuite ").count - 1 == 2)
        #expect(xml.contains(#"classname="rehearse.commerce.phases" name="compare""#))
        #expect(xml.contains(#"classname="rehearse.commerce.checks.after_rollback" name="customer_phones is gone""#))
        #expect(xml.contains(#"<testsuite name="1. commerce on sqlite" tests="22" failures="0""#))
        #expect(xml.contains(#"<testsuite name="2. lossy-rollback on sqlite" tests="22" failures="2""#))
        // The compare failure carries the drift summary: table, rows, column.
        #expect(xml.contains("table customers: rows 200 → 200;"))
        #expect(xml.contains("columns phone ("))
        #expect(xml.contains(#"<failure message="verdict FAIL""#))
        #expect(xml.contains(try Self.sha256(pass + "/evidence.json")))
    }

    @Test func markdownOnAPassingRun() throws {
        let s = Scratch()
        let (pass, _) = try Self.twoRuns(s)
        let r = try CLI.run(["report", pass, "--markdown", s.path("r.md")])
        #expect(r.status == 0, "\(r.all)")
        let md = try Self.read(s.path("r.md"))
        #expect(md.contains("**1 of 1 passed.**"))
        #expect(md.contains("| 1 | commerce | sqlite"))
        #expect(md.contains("✅ PASS | valid | none |"))
        #expect(md.contains("**Drift:** none"))
        #expect(md.contains("**Birth surface:** 3 schema objects, 2 tables changed."))
        #expect(md.contains("| customer\\_phones | absent | 150 |"))
        #expect(md.contains("tag **GENERATED\\_SURROGATE\\_NOT\\_REAL\\_PRODUCTION\\_DUMP**"))
        #expect(md.contains("- evidence sha256: <code>\(try Self.sha256(pass + "/evidence.json"))</code>"))
        #expect(md.contains("checks: 10 of 10 passed"))
    }

    @Test func markdownOnAFailingRunShowsTheDriftBeforeAndAfter() throws {
        let s = Scratch()
        let (_, fail) = try Self.twoRuns(s)
        let r = try CLI.run(["report", fail, "--markdown", s.path("r.md")])
        #expect(r.status == 1, "\(r.all)")
        let md = try Self.read(s.path("r.md"))
        #expect(md.contains("**0 of 1 passed.**"))
        #expect(md.contains("❌ **FAIL** | valid | **0 objects, 1 tables** |"))
        #expect(md.contains("**Drift** (pre → post):"))
        #expect(md.contains("| table customers | data | 200 rows | 200 rows |"))
        #expect(md.contains("columns phone \\("))
        #expect(!md.contains("**Drift:** none"))
    }

    @Test func htmlIsSelfContainedAndRendersInHeadlessChromium() throws {
        let chromium = try #require(Self.tool(["chromium-headless-shell", "chromium"]), "headless Chromium is missing: scripts/bootstrap.sh installs chromium-headless-shell")
        let s = Scratch()
        let (pass, fail) = try Self.twoRuns(s)
        let r = try CLI.run(["report", pass, fail, "--html", s.path("r.html")])
        #expect(r.status == 1, "\(r.all)")
        let html = try Self.read(s.path("r.html"))
        for remote in ["http:", "https:", "//", "src=", "<script", "<link", "@import", "url(", "<iframe", "<img"] where remote != "//" {
            #expect(!html.contains(remote), "the page must load nothing: found \(remote)")
        }
        #expect(html.contains("default-src 'none'"))
        #expect(html.contains(#"<p class="tag">GENERATED_SURROGATE_NOT_REAL_PRODUCTION_DUMP</p>"#))
        #expect(html.contains("<h3>Phase timeline</h3>"))
        #expect(html.contains("<dt>lane</dt><dd>HOLD_REAL_DATA</dd><dt>grant</dt><dd>none</dd>"))
        #expect(html.contains(#"<tr class="drifted"><td>data of customers <strong>DRIFT</strong>"#))
        #expect(html.contains("rehearse validate --replay \(fail)"))
        #expect(html.contains(try Self.sha256(fail + "/evidence.json")))
        let shot = s.path("r.png")
        let c = try Self.run(chromium, ["--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
                                        "--window-size=1200,2000", "--screenshot=\(shot)", "file://" + s.path("r.html")])
        #expect(c.status == 0, "\(c.all)")
        let png = try Data(contentsOf: URL(fileURLWithPath: shot))
        #expect(png.count > 20_000, "a real page, not a blank one: \(png.count) bytes")
        #expect(png.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        let console = c.stderr.split(separator: "\n").filter { $0.contains(":CONSOLE") }
        #expect(console.isEmpty, "no console messages (errors, blocked loads): \(console)")
    }

    /// On PostgreSQL the birth surface includes what the engine observed:
    /// the strongest lock per relation, rewrites and rows, in both formats.
    @Test(// Skipped where the PostgreSQL server is not installed.
          .enabled(if: PostgresServer.found(.test), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"))
    func postgresBirthSurfaceShowsLocksAndRows() throws {
        let s = Scratch()
        let run = s.path("pg")
        let a = try CLI.run(["--engine", "postgres", "--scale", "0.05", "--out", run, "--quiet"], environment: s.env)
        #expect(a.status == 0, "\(a.all)")
        let r = try CLI.run(["report", run, "--markdown", s.path("m.md"), "--html", s.path("h.html")])
        #expect(r.status == 0, "\(r.all)")
        let md = try Self.read(s.path("m.md")), html = try Self.read(s.path("h.html"))
        #expect(md.contains("- rewrites: none"))
        #expect(md.contains("- locks: customer\\_phones AccessExclusiveLock,"))
        #expect(html.contains("<h4>Observed during birth (transactional)</h4><p>Rewritten: none</p>"))
        #expect(html.contains("<tr><td>customer_phones</td><td>AccessExclusiveLock</td><td>75</td><td>0</td><td>0</td></tr>"))
        #expect(html.contains("<h4>Observed during rollback (transactional)</h4>"))
        #expect(s.leftovers.isEmpty)
    }

    /// A table named `<script>alert(1)</script>]]>` and a column with `]]>`,
    /// `<b>`, an entity, a pipe, a backtick and an asterisk, in valid
    /// evidence of a lossy rollback: every format escapes them.
    @Test func hostileNamesAreEscapedInEveryFormat() throws {
        let xmllint = try #require(Self.tool(["xmllint"]))
        let s = Scratch()
        let run = s.path("run")
        let a = try CLI.run(["--surrogate", CLI.root.appendingPathComponent("Tests/Fixtures/hostile-names").path, "--out", run, "--quiet"], environment: s.env)
        #expect(a.status == 1, "\(a.all)")
        let r = try CLI.run(["report", run, "--junit", s.path("j.xml"), "--markdown", s.path("m.md"), "--html", s.path("h.html")])
        #expect(r.status == 1, "\(r.all)")
        let xml = try Self.read(s.path("j.xml")), md = try Self.read(s.path("m.md")), html = try Self.read(s.path("h.html"))
        for text in [xml, md, html] {
            #expect(!text.contains("<script"))
            #expect(!text.contains("]]>"))
            #expect(!text.contains("<b>"))
        }
        #expect(try Self.run(xmllint, ["--noout", "--schema", Self.xsd, s.path("j.xml")]).status == 0)
        #expect(try Self.run(xmllint, ["--noout", "--html", s.path("h.html")]).status == 0)
        #expect(xml.contains("table &lt;script&gt;alert(1)&lt;/script&gt;]]&gt;: rows 40 → 40; 20 changed; columns v]]&gt;&lt;b&gt;&amp;amp;|`* (20)"))
        #expect(html.contains("<td>&lt;script&gt;alert(1)&lt;/script&gt;]]&gt;</td>"))
        // Markdown: HTML escaped, and the pipe, backtick and asterisk cannot end a cell or start a span.
        #expect(md.contains("| table &lt;script&gt;alert\\(1\\)&lt;/script&gt;\\]\\]&gt; | data | 40 rows | 40 rows |"))
        #expect(md.contains("v\\]\\]&gt;&lt;b&gt;&amp;amp;\\|\\`\\*"))
    }

    @Test func tamperedEvidenceIsReportedAsRejectedWithoutItsClaims() throws {
        let s = Scratch()
        let (pass, _) = try Self.twoRuns(s)
        let evidence = pass + "/evidence.json"
        let text = try Self.read(evidence)
        let runID = String(text[try #require(text.range(of: #""run_id":"[^"]+""#, options: .regularExpression))])
        try text.replacingOccurrences(of: "\"rows\":150", with: "\"rows\":151").write(toFile: evidence, atomically: true, encoding: .utf8)
        let r = try CLI.run(["report", pass, "--junit", s.path("j.xml"), "--markdown", s.path("m.md"), "--html", s.path("h.html")])
        #expect(r.status == 5, "\(r.all)")
        #expect(r.stdout.contains("\(pass): REJECTED"))
        let md = try Self.read(s.path("m.md")), html = try Self.read(s.path("h.html")), xml = try Self.read(s.path("j.xml"))
        #expect(md.contains("**evidence REJECTED by the validator: it proves nothing.**"))
        #expect(md.contains("R2\\-seal"))
        #expect(html.contains("Evidence REJECTED by the validator: it proves nothing."))
        #expect(xml.contains(#"<failure message="evidence REJECTED"#))
        // None of its claims: no run ID, no tag, no PASS.
        let id = String(runID.dropFirst(10).dropLast())
        for text in [md, html, xml] {
            #expect(!text.contains(id))
            #expect(!text.contains("GENERATED_SURROGATE"))
            #expect(!text.contains("GENERATED\\_SURROGATE"))
        }
        #expect(!md.contains("✅ PASS"))
    }

    @Test func aWalkFolderIsOneEntryPerStepInNameOrder() throws {
        let s = Scratch()
        let walk = s.path("walk")
        try FileManager.default.createDirectory(atPath: walk, withIntermediateDirectories: true)
        for (step, surrogate) in [("0002-lossy", "surrogates/lossy-rollback"), ("0001-commerce", "commerce")] {
            _ = try CLI.run(["--surrogate", surrogate, "--scale", "0.1", "--out", walk + "/" + step, "--quiet"], environment: s.env)
        }
        let r = try CLI.run(["report", walk, "--markdown", s.path("m.md")])
        #expect(r.status == 1, "\(r.all)")
        let md = try Self.read(s.path("m.md"))
        let first = try #require(md.range(of: "| 1 | step 0001\\-commerce |"))
        let second = try #require(md.range(of: "| 2 | step 0002\\-lossy |"))
        #expect(first.lowerBound < second.lowerBound)
    }

    /// The layout `rehearse migrations` writes: walk.json, steps/ and one
    /// seal over everything. The walk is checked as `validate` checks it: a
    /// walk resealed with a step cut out is a rejected entry naming what is
    /// missing; its steps are still each validated.
    @Test func aMigrationsWalkFolderIsReadFromItsStepsAndTheWalkChecked() throws {
        let s = Scratch()
        let walk = s.path("walk")
        let fixture = CLI.root.appendingPathComponent("Tests/Fixtures/migrations/golang-migrate").path
        #expect(try CLI.run(["migrations", fixture, "--to", "0003", "--out", walk], environment: s.env).status == 1)
        let r = try CLI.run(["report", walk, "--markdown", s.path("m.md")])
        #expect(r.status == 1, "\(r.all)")
        let md = try Self.read(s.path("m.md"))
        #expect(md.contains("| 1 | step 0001\\-0001\\-items | sqlite"))
        #expect(md.contains("| 2 | step 0002\\-0002\\-bump\\_qty | sqlite"))
        #expect(!md.contains("step walk |"))
        // The failing step cut out of walk.json and its folder removed, resealed.
        let index = URL(fileURLWithPath: walk + "/walk.json")
        var text = try String(contentsOf: index, encoding: .utf8)
        let steps = try #require(text.range(of: "\"steps\":["))
        let second = try #require(text.range(of: ",{\"detail\":", range: steps.upperBound..<text.endIndex))
        let third = try #require(text.range(of: ",{\"detail\":", range: second.upperBound..<text.endIndex))
        text.removeSubrange(second.lowerBound..<third.lowerBound)
        try text.write(to: index, atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(atPath: walk + "/steps/0002-0002-bump_qty")
        #expect(try CLI.run(["seal", "write", walk]).status == 0)
        let t = try CLI.run(["report", walk, "--markdown", s.path("m.md")])
        #expect(t.status == 5, "\(t.all)")
        let tampered = try Self.read(s.path("m.md"))
        #expect(tampered.contains("| 1 | step walk |"), "\(tampered)")
        #expect(tampered.contains("lists 2 steps"))
    }

    @Test func unusableReportPathsAreBadInput() throws {
        let s = Scratch()
        let (pass, _) = try Self.twoRuns(s)
        let r = try CLI.run(["report", pass, "--html", s.url.path])
        #expect(r.status == 2, "\(r.all)")
        #expect(r.stderr.contains("--html \(s.url.path) exists and is not a regular file. Give a file name for the report."))
        try FileManager.default.createSymbolicLink(atPath: s.path("link.md"), withDestinationPath: s.path("elsewhere.md"))
        let l = try CLI.run(["report", pass, "--markdown", s.path("link.md")])
        #expect(l.status == 2, "\(l.all)")
        #expect(l.stderr.contains("is a symbolic link; rehearse never writes a report through a link"))
        #expect(!FileManager.default.fileExists(atPath: s.path("elsewhere.md")))
        let n = try CLI.run(["report", s.path("nothing-here"), "--markdown", s.path("m.md")])
        #expect(n.status == 5, "a folder that is no run folder is rejected evidence: \(n.all)")
        #expect(try Self.read(s.path("m.md")).contains("no such run folder"))
    }
}
