import Foundation
import Testing

/// `rehearse nightly` and scripts/nightly-rehearsal.sh on copies of the
/// bundled surrogates, SQLite only and at scale 0.1 so the suite stays quick.
@Suite struct NightlyCLITests {
    /// A folder laid out like the repository: surrogates/ (commerce,
    /// lossy-rollback and any extras) and a configuration for them.
    static func workspace(_ s: Scratch, config: String? = nil, extra: [String] = []) throws -> String {
        let fm = FileManager.default
        let surrogates = s.url.appendingPathComponent("ws/surrogates")
        try fm.createDirectory(at: surrogates, withIntermediateDirectories: true)
        for name in ["commerce", "lossy-rollback"] {
            try fm.copyItem(at: CLI.root.appendingPathComponent("surrogates/\(name)"), to: surrogates.appendingPathComponent(name))
        }
        for path in extra {
            let src = CLI.root.appendingPathComponent(path)
            try fm.copyItem(at: src, to: surrogates.appendingPathComponent(src.lastPathComponent))
        }
        let file = s.url.appendingPathComponent("ws/nightly.yaml")
        try (config ?? "surrogates: all\nexpect_fail: [lossy-rollback]\nengines: [sqlite]\n").write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    static func breakRollback(_ s: Scratch, keepSeal: Bool) throws {
        let dir = s.url.appendingPathComponent("ws/surrogates/commerce")
        let rollback = dir.appendingPathComponent("rollback.sql")
        let text = try String(contentsOf: rollback, encoding: .utf8)
        let lossy = text.replacingOccurrences(of: "SELECT c.id, c.email, c.full_name, p.phone,", with: "SELECT c.id, c.email, c.full_name, substr(p.phone, 1, 9),")
        #expect(lossy != text)
        try lossy.write(to: rollback, atomically: true, encoding: .utf8)
        if !keepSeal { try FileManager.default.removeItem(at: dir.appendingPathComponent("SEAL.sha256")) }
    }

    @Test func passesOnTheBundledSurrogatesAndWritesEveryReport() throws {
        let s = Scratch()
        let config = try Self.workspace(s)
        let out = s.path("out")
        let r = try CLI.run(["nightly", "--config", config, "--out", out, "--scale", "0.1"], environment: s.env)
        #expect(r.status == 0, "\(r.all)")
        #expect(r.stdout.contains("ok   sqlite/surrogate/commerce: PASS in "))
        #expect(r.stdout.contains("ok   sqlite/surrogate/lossy-rollback: FAIL (expected FAIL) in "))
        #expect(r.stdout.contains("nightly shard 1/1: 2 of 2 jobs ok, passed; total time "))
        for file in ["summary.md", "summary.json", "report.xml", "report.md", "report.html", "runs/001-sqlite_surrogate_commerce/evidence.json",
                     "logs/001-sqlite_surrogate_commerce.log", "logs/001-sqlite_surrogate_commerce.validate.log"] {
            #expect(FileManager.default.fileExists(atPath: out + "/" + file), "\(file)")
        }
        if let xmllint = ReportCLITests.tool(["xmllint"]) {
            #expect(try ReportCLITests.run(xmllint, ["--noout", "--schema", ReportCLITests.xsd, out + "/report.xml"]).status == 0)
        }
        // The caught known-lossy run is no failure in CI's test view either.
        let junit = try ReportCLITests.read(out + "/report.xml")
        #expect(junit.contains(#"<testsuites name="rehearse" tests="44" failures="0""#))
        #expect(junit.contains(#"name="verdict FAIL with drift (known-lossy rollback caught)""#))
        let json = try ReportCLITests.read(out + "/summary.json")
        #expect(json.contains(#""exit_status":0"#))
        #expect(s.leftovers.isEmpty)
    }

    @Test func aLossyRollbackFailsTheNightNamingTheDrift() throws {
        let s = Scratch()
        let config = try Self.workspace(s)
        try Self.breakRollback(s, keepSeal: false)
        let out = s.path("out")
        let r = try CLI.run(["nightly", "--config", config, "--out", out, "--scale", "0.1"], environment: s.env)
        #expect(r.status == 1, "\(r.all)")
        #expect(r.stdout.contains("FAIL sqlite/surrogate/commerce: FAIL in "))
        #expect(r.stdout.contains("drift: table customers: rows 200 → 200;"))
        #expect(r.stdout.contains("columns phone ("))
        #expect(r.stdout.contains("1 of 2 jobs ok, FAILED (drift); total time"))
        let summary = try ReportCLITests.read(out + "/summary.md")
        #expect(summary.contains("- **drift**: <code>sqlite/surrogate/commerce</code>"))
        #expect(try ReportCLITests.read(out + "/report.md").contains("| table customers | data | 200 rows | 200 rows |"))
    }

    @Test func aChangedSealedSurrogateIsASealMismatch() throws {
        let s = Scratch()
        let config = try Self.workspace(s)
        try Self.breakRollback(s, keepSeal: true)
        let r = try CLI.run(["nightly", "--config", config, "--out", s.path("out"), "--scale", "0.1"], environment: s.env)
        #expect(r.status == 5, "\(r.all)")
        #expect(r.stdout.contains("seal mismatch: \(s.url.path)/ws/surrogates/commerce: rollback.sql"))
        #expect(r.stdout.contains("FAILED (drift, seal mismatch)"))
    }

    @Test func aKnownLossySurrogateThatPassesFailsTheNight() throws {
        let s = Scratch()
        let config = try Self.workspace(s, config: "surrogates: [commerce]\nexpect_fail: [commerce]\nengines: [sqlite]\n")
        let r = try CLI.run(["nightly", "--config", config, "--out", s.path("out"), "--scale", "0.1"], environment: s.env)
        #expect(r.status == 1, "\(r.all)")
        #expect(r.stdout.contains("known-lossy surrogate passed: commerce is listed in expect_fail but its rollback was not caught: verdict PASS"))
        #expect(try ReportCLITests.read(s.path("out") + "/report.xml").contains(#"<failure message="verdict PASS, no drift: the known-lossy rollback was not caught""#))
    }

    @Test func shardsAreDisjointDeterministicAndTogetherWhole() throws {
        let s = Scratch()
        let config = try Self.workspace(s, extra: ["Tests/Fixtures/hostile-names", "Tests/Fixtures/digest-collision"])
        func list(_ shard: String) throws -> [String] {
            let r = try CLI.run(["nightly", "--config", config, "--out", s.path("unused"), "--shard", shard, "--list"])
            #expect(r.status == 0, "\(r.all)")
            return r.stdout.split(separator: "\n").map(String.init)
        }
        let whole = try list("1/1")
        #expect(whole == ["sqlite/surrogate/commerce", "sqlite/surrogate/digest-collision", "sqlite/surrogate/hostile-names", "sqlite/surrogate/lossy-rollback"])
        let a = try list("1/3"), b = try list("2/3"), c = try list("3/3")
        #expect(a == ["sqlite/surrogate/commerce", "sqlite/surrogate/lossy-rollback"])
        #expect(b == ["sqlite/surrogate/digest-collision"])
        #expect(c == ["sqlite/surrogate/hostile-names"])
        #expect(try list("2/3") == b)
        for bad in ["0/2", "3/2", "a/b", "1", "1/0"] {
            let r = try CLI.run(["nightly", "--config", config, "--out", s.path("unused"), "--shard", bad, "--list"])
            #expect(r.status == 2, "\(bad): \(r.all)")
            #expect(r.stderr.contains("--shard \(bad): expected I/N with 1 ≤ I ≤ N ≤ 1000"))
        }
    }

    @Test func badConfigurationAndOutputAreRefusedWithWhereAndWhat() throws {
        let s = Scratch()
        let config = try Self.workspace(s, config: "surrogates: all\nsurogates: [commerce]\n")
        let r = try CLI.run(["nightly", "--config", config, "--out", s.path("out")])
        #expect(r.status == 2, "\(r.all)")
        #expect(r.stderr.contains("nightly.yaml"))
        #expect(r.stderr.contains("surogates"))
        try "surrogates: [commerce, nosuch]\nengines: [sqlite]\n".write(toFile: config, atomically: true, encoding: .utf8)
        let m = try CLI.run(["nightly", "--config", config, "--out", s.path("out")])
        #expect(m.status == 2, "\(m.all)")
        #expect(m.stderr.contains("surrogate nosuch:"))
        #expect(m.stderr.contains("holds no manifest.yaml. Fix the name in the nightly configuration."))
        try "engines: [sqlite, oracle]\n".write(toFile: config, atomically: true, encoding: .utf8)
        let e = try CLI.run(["nightly", "--config", config, "--out", s.path("out")])
        #expect(e.status == 2, "\(e.all)")
        #expect(e.stderr.contains("unknown engine \"oracle\"; use sqlite or postgres."))
        try "engines: [sqlite]\n".write(toFile: config, atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: s.path("full"), withIntermediateDirectories: true)
        try "x".write(toFile: s.path("full/old.txt"), atomically: true, encoding: .utf8)
        let f = try CLI.run(["nightly", "--config", config, "--out", s.path("full")])
        #expect(f.status == 2, "\(f.all)")
        #expect(f.stderr.contains("--out \(s.path("full")) is not empty."))
        // A night that would rehearse nothing is refused, never a pass.
        try FileManager.default.createDirectory(atPath: s.path("empty/surrogates"), withIntermediateDirectories: true)
        try "surrogates: all\n".write(toFile: s.path("empty/n.yaml"), atomically: true, encoding: .utf8)
        let none = try CLI.run(["nightly", "--config", s.path("empty/n.yaml"), "--out", s.path("out")])
        #expect(none.status == 2, "\(none.all)")
        #expect(none.stderr.contains("the configuration selects no work"))
        let missing = try CLI.run(["nightly", "--config", s.path("none.yaml"), "--out", s.path("out")])
        #expect(missing.status == 2, "\(missing.all)")
        #expect(missing.stderr.contains("the nightly configuration cannot be read"))
    }

    /// A job that never ends is stopped at job_timeout_seconds, cleans up
    /// after itself, and fails the night as a rehearsal error.
    @Test func aHungJobIsStoppedAndNamed() throws {
        let s = Scratch()
        let dir = s.url.appendingPathComponent("hang/surrogates/hang")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for f in ["schema.sql", "profile.yaml", "rollback.sql"] {
            try FileManager.default.copyItem(at: CLI.root.appendingPathComponent("Tests/Fixtures/hostile-names/" + f), to: dir.appendingPathComponent(f))
        }
        try "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) SELECT count(*) FROM r;\n".write(to: dir.appendingPathComponent("birth.sql"), atomically: true, encoding: .utf8)
        try "name: hang\ndescription: a birth that never ends\nschema: schema.sql\nprofile: profile.yaml\nbirth: birth.sql\nrollback: rollback.sql\nseed: 1\nscale: 1\n"
            .write(to: dir.appendingPathComponent("manifest.yaml"), atomically: true, encoding: .utf8)
        let config = s.path("hang/n.yaml")
        try "engines: [sqlite]\njob_timeout_seconds: 2\n".write(toFile: config, atomically: true, encoding: .utf8)
        let r = try CLI.run(["nightly", "--config", config, "--out", s.path("out")], environment: s.env)
        #expect(r.status == 1, "\(r.all)")
        #expect(r.stdout.contains("FAIL sqlite/surrogate/hang: NO EVIDENCE in "))
        #expect(r.stdout.contains("rehearsal error: no evidence written (rehearse exit 124): stopped after 2 seconds (job_timeout_seconds)"))
        #expect(s.leftovers.isEmpty, "the stopped rehearsal cleaned up: \(s.leftovers)")
    }

    /// The script: the same run plus the seal gate, and the total time.
    @Test func theScriptFailsOnALossyRollbackAndPrintsItsTotalTime() throws {
        let s = Scratch()
        let config = try Self.workspace(s)
        try Self.breakRollback(s, keepSeal: false)
        let r = try CLI.run([], environment: s.env, script: ["scripts/nightly-rehearsal.sh", "--config", config, "--out", s.path("out"), "--scale", "0.1"])
        #expect(r.status == 1, "\(r.all)")
        #expect(r.stdout.contains("drift: table customers"))
        #expect(r.stdout.contains("seal-gate: "))
        #expect(r.stdout.contains("nightly: shard 1/1 exit 1; output in \(s.path("out")); total time "))
    }
}

extension CLI {
    /// Runs a repository script with REHEARSE_BIN set to the built binary.
    static func run(_ arguments: [String], environment: [String: String], script: [String]) throws -> Result {
        try ReportCLITests.run("/bin/bash", script + arguments, directory: root, environment: environment.merging(["REHEARSE_BIN": binary.path]) { _, new in new })
    }
}
