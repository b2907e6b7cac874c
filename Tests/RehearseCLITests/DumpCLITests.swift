import Foundation
import Testing

/// `rehearse --dump … --grant … --trust …` end to end on the command line:
/// refusals exit 3 naming what failed, the source is byte-identical after
/// every run (also interrupted ones), and nothing is left in TMPDIR.
@Suite struct DumpCLITests {
    /// Keys, trust file and a signed sqlite grant for a copy of Chinook (SQLite).
    func setUp(_ s: Scratch, engine: String = "sqlite") throws -> (dump: String, grant: String, trust: String) {
        let dump = s.path("chinook.sqlite")
        try FileManager.default.copyItem(atPath: CLI.root.deletingLastPathComponent().appendingPathComponent("shared/data/chinook/Chinook_Sqlite.sqlite").path, toPath: dump)
        #expect(try CLI.run(["keys", "generate", "--out", s.path("op")]).status == 0)
        try CLI.run(["keys", "trust", s.path("op.pub")]).stdout.write(toFile: s.path("trust.json"), atomically: true, encoding: .utf8)
        #expect(try CLI.run(["grant", "create", "--dump", dump, "--issuer", "ops", "--engine", engine, "--out", s.path("g.json")]).status == 0)
        #expect(try CLI.run(["grant", "sign", s.path("g.json"), "--key", s.path("op.key")]).status == 0)
        return (dump, s.path("g.json"), s.path("trust.json"))
    }

    func digest(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    /// The change rehearsed on Chinook: a Loyalty column on Customer,
    /// backfilled for the 13 US customers, dropped by the rollback.
    func change(_ s: Scratch) throws -> String {
        let dir = s.url.appendingPathComponent("change")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("checks"), withIntermediateDirectories: true)
        for f in ["schema.sql", "profile.yaml"] {
            try FileManager.default.copyItem(at: CLI.root.appendingPathComponent("surrogates/commerce/\(f)"), to: dir.appendingPathComponent(f))
        }
        let files = [
            "manifest.yaml": "name: chinook-loyalty\nschema: schema.sql\nprofile: profile.yaml\nbirth: birth.sql\nrollback: rollback.sql\nchecks:\n  after_birth: checks/after-birth.sql\n  after_rollback: checks/after-rollback.sql\nseed: 1\nscale: 1\n",
            "birth.sql": "ALTER TABLE Customer ADD COLUMN Loyalty INTEGER;\nUPDATE Customer SET Loyalty = 1 WHERE Country = 'USA';\n",
            "rollback.sql": "ALTER TABLE Customer DROP COLUMN Loyalty;\n",
            "checks/after-birth.sql": "-- check: US customers are loyal\nSELECT count(*) = 13 FROM Customer WHERE Loyalty = 1;\n",
            "checks/after-rollback.sql": "-- check: loyalty is gone\nSELECT count(*) = 0 FROM pragma_table_info('Customer') WHERE name = 'Loyalty';\n",
        ]
        for (name, text) in files { try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        return dir.path
    }

    @Test func aGrantedSQLiteDumpIsRehearsedAndItsEvidenceValidatesWithTrust() throws {
        let s = Scratch()
        let (dump, grant, trust) = try setUp(s)
        let change = try change(s)
        let before = try digest(dump)
        let r = try CLI.run(["--dump", dump, "--grant", grant, "--trust", trust, change, "--out", s.path("run")], environment: s.env)
        #expect(r.status == 0, "\(r.all)")
        #expect(r.stdout.contains("REAL_DUMP_CLONE"))
        #expect(r.stdout.contains("secret scan rehearse-secret-scan/2: 0 finding(s)"))
        #expect(r.stdout.contains("Verdict: PASS (evidence valid)"))
        #expect(try digest(dump) == before)
        #expect(s.leftovers.isEmpty, "\(s.leftovers)")
        let evidence = try String(contentsOfFile: s.path("run/evidence.json"), encoding: .utf8)
        #expect(evidence.contains("\"kind\":\"dump_clone\""))
        #expect(evidence.contains("\"dump_sha256\":\"\(Self.sha256(before))\""))
        #expect(FileManager.default.fileExists(atPath: s.path("run/grant.dsse.json")))
        #expect(try CLI.run(["sign", s.path("run"), "--key", s.path("op.key")]).status == 0)
        let v = try CLI.run(["validate", s.path("run"), "--trust", trust])
        #expect(v.status == 0, "\(v.all)")
        // another operator's trust file: neither the evidence nor the grant verifies
        #expect(try CLI.run(["keys", "generate", "--out", s.path("x")]).status == 0)
        try CLI.run(["keys", "trust", s.path("x.pub")]).stdout.write(toFile: s.path("x.json"), atomically: true, encoding: .utf8)
        let other = try CLI.run(["validate", s.path("run"), "--trust", s.path("x.json")])
        #expect(other.status == 5)
        #expect(other.stdout.contains("grant.dsse.json: the grant does not verify against the trust policy"))
    }

    /// `validate --replay` of a dump clone needs the dump (and the trust file
    /// its grant verifies under); with them it replays to the same result;
    /// another dump is refused with exit 3 naming both digests.
    @Test func aDumpRunReplaysWithItsDumpAndOnlyWithIt() throws {
        let s = Scratch()
        let (dump, grant, trust) = try setUp(s)
        let change = try change(s)
        let before = try digest(dump)
        #expect(try CLI.run(["--dump", dump, "--grant", grant, "--trust", trust, change, "--out", s.path("run")], environment: s.env).status == 0)
        // --trust also requires the evidence itself to be signed by a trusted key
        #expect(try CLI.run(["sign", s.path("run"), "--key", s.path("op.key")]).status == 0)
        let sha = Self.sha256(before)
        let bare = try CLI.run(["validate", s.path("run"), "--replay"], environment: s.env)
        #expect(bare.status == 2, "\(bare.all)")
        #expect(bare.stderr.contains("is a dump clone: real data is never sealed into evidence, so replaying it needs the dump itself"), "\(bare.stderr)")
        #expect(bare.stderr.contains("Give --dump PATH (the dump with SHA-256 \(sha)) and --trust FILE"))
        let noTrust = try CLI.run(["validate", s.path("run"), "--replay", "--dump", dump], environment: s.env)
        #expect(noTrust.status == 2)
        let replay = try CLI.run(["validate", s.path("run"), "--replay", "--dump", dump, "--trust", trust], environment: s.env)
        #expect(replay.status == 0, "\(replay.all)")
        #expect(replay.stdout.contains("evidence valid; verdict PASS"))
        #expect(try digest(dump) == before)
        try FileManager.default.copyItem(atPath: dump, toPath: s.path("other.sqlite"))
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: s.path("other.sqlite")))
        try h.seekToEnd(); try h.write(contentsOf: Data([0])); try h.close()
        let other = try CLI.run(["validate", s.path("run"), "--replay", "--dump", s.path("other.sqlite"), "--trust", trust], environment: s.env)
        #expect(other.status == 3, "\(other.all)")
        #expect(other.stderr.contains("has SHA-256 \(Self.sha256(try digest(s.path("other.sqlite"))))"), "\(other.stderr)")
        #expect(other.stderr.contains("rehearsed the dump with SHA-256 \(sha) (source.dump_sha256)"))
        let withoutReplay = try CLI.run(["validate", s.path("run"), "--dump", dump], environment: s.env)
        #expect(withoutReplay.status == 2)
        #expect(withoutReplay.stderr.contains("--dump and --allowlist go with --replay"))
        #expect(try CLI.run(["--surrogate", "commerce", "--scale", "0.05", "--out", s.path("sur")], environment: s.env).status == 0)
        #expect(try CLI.run(["sign", s.path("sur"), "--key", s.path("op.key")]).status == 0)
        let surrogate = try CLI.run(["validate", s.path("sur"), "--replay", "--dump", dump, "--trust", trust], environment: s.env)
        #expect(surrogate.status == 2)
        #expect(surrogate.stderr.contains("is a surrogate run: replay it without --dump"))
        #expect(s.leftovers.isEmpty, "\(s.leftovers)")
    }

    /// A birth whose data change matches no row of the dump proves nothing
    /// about data: INCONCLUSIVE, exit 6, as for a surrogate (it was 1).
    @Test func anUnexercisedBirthOnADumpIsInconclusiveExitSix() throws {
        let s = Scratch()
        let (dump, grant, trust) = try setUp(s)
        let change = try change(s)
        try "ALTER TABLE Customer ADD COLUMN Loyalty INTEGER;\nUPDATE Customer SET Loyalty = 1 WHERE Country = 'Atlantis';\n"
            .write(toFile: change + "/birth.sql", atomically: true, encoding: .utf8)
        try "-- check: nobody is loyal\nSELECT count(*) = 0 FROM Customer WHERE Loyalty = 1;\n"
            .write(toFile: change + "/checks/after-birth.sql", atomically: true, encoding: .utf8)
        let r = try CLI.run(["--dump", dump, "--grant", grant, "--trust", trust, change, "--out", s.path("run")], environment: s.env)
        #expect(r.status == 6, "\(r.all)")
        #expect(r.stdout.contains("INCONCLUSIVE"), "\(r.stdout)")
        #expect(s.leftovers.isEmpty, "\(s.leftovers)")
    }

    @Test func withoutTheChangeToRehearseItIsBadInputAndTheDumpIsNotOpened() throws {
        let s = Scratch()
        let (dump, grant, trust) = try setUp(s)
        let r = try CLI.run(["--dump", dump, "--grant", grant, "--trust", trust], environment: s.env)
        #expect(r.status == 2, "\(r.all)")
        #expect(r.stderr.contains("needs the change to rehearse"))
        let dir = try FileManager.default.contentsOfDirectory(atPath: s.url.path).sorted()
        #expect(dir == ["chinook.sqlite", "g.json", "op.key", "op.pub", "trust.json"], "nothing written beside the dump")
    }

    static func sha256(_ data: Data) -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        let i = Pipe(), o = Pipe()
        p.standardInput = i; p.standardOutput = o
        try? p.run()
        i.fileHandleForWriting.write(data); try? i.fileHandleForWriting.close()
        let out = o.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(String(decoding: out, as: UTF8.self).prefix(64))
    }

    @Test func grantFailuresExitThreeNamingWhatFailed() throws {
        let s = Scratch()
        let (dump, grant, trust) = try setUp(s)
        let change = try change(s)
        let pg = try CLI.run(["--dump", dump, "--grant", grant, "--trust", trust, "--engine", "postgres", change], environment: s.env)
        #expect(pg.status == 3)
        #expect(pg.stderr.contains("it grants the sqlite engine, and this run asks for postgres"))
        #expect(pg.stderr.contains("The dump was not opened or read."))
        try FileManager.default.copyItem(atPath: dump, toPath: s.path("other.sqlite"))
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: s.path("other.sqlite")))
        try h.seekToEnd(); try h.write(contentsOf: Data([0])); try h.close()
        let other = try CLI.run(["--dump", s.path("other.sqlite"), "--grant", grant, "--trust", trust, change], environment: s.env)
        #expect(other.status == 3)
        #expect(other.stderr.contains("it is bound to the dump with SHA-256"))
        let onlyGrant = try CLI.run(["--dump", dump, "--grant", grant], environment: s.env)
        #expect(onlyGrant.status == 2)
        #expect(onlyGrant.stderr.contains("--grant FILE and --trust FILE go together"))
        #expect(s.leftovers.isEmpty)
    }

    @Test func anInterruptedGateLeavesTheSourceIdenticalAndNoCopy() throws {
        let s = Scratch()
        // a plain dump large enough that the scan is still running when the signal comes
        let dump = s.path("big.sql")
        var text = "CREATE TABLE public.t (id integer, body text);\nCOPY public.t (id, body) FROM stdin;\n"
        let row = String(repeating: "abcdefghij ", count: 20)
        for i in 0..<60_000 { text += "\(i)\t\(row)\n" }
        text += "\\.\n"
        try text.write(toFile: dump, atomically: true, encoding: .utf8)
        #expect(try CLI.run(["keys", "generate", "--out", s.path("op")]).status == 0)
        try CLI.run(["keys", "trust", s.path("op.pub")]).stdout.write(toFile: s.path("trust.json"), atomically: true, encoding: .utf8)
        #expect(try CLI.run(["grant", "create", "--dump", dump, "--issuer", "ops", "--engine", "postgres", "--out", s.path("g.json")]).status == 0)
        #expect(try CLI.run(["grant", "sign", s.path("g.json"), "--key", s.path("op.key")]).status == 0)
        let before = try digest(dump)
        let change = try change(s)
        for (signal, delay) in [(SIGTERM, 0.3), (SIGINT, 0.6)] {
            let p = Process()
            p.executableURL = CLI.binary
            p.arguments = ["--dump", dump, "--grant", s.path("g.json"), "--trust", s.path("trust.json"), "--engine", "postgres", change]
            p.environment = ProcessInfo.processInfo.environment.merging(s.env) { _, n in n }
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            Thread.sleep(forTimeInterval: delay)
            kill(p.processIdentifier, signal)
            p.waitUntilExit()
            #expect(try digest(dump) == before)
            #expect(s.leftovers.isEmpty, "signal \(signal): \(s.leftovers)")
        }
    }
}
