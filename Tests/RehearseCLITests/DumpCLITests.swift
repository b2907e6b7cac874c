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

    @Test func aGrantedDumpPassesTheGateAndIsRefusedBeforeRestoreUnchanged() throws {
        let s = Scratch()
        let (dump, grant, trust) = try setUp(s)
        let before = try digest(dump)
        let r = try CLI.run(["--dump", dump, "--grant", grant, "--trust", trust], environment: s.env)
        #expect(r.status == 3, "\(r.all)")
        #expect(r.stdout.contains("REAL_DUMP_CLONE"))
        #expect(r.stdout.contains("secret scan rehearse-secret-scan/1: 0 finding(s)"))
        #expect(r.stderr.contains("passed the grant, secret and content checks, but this version cannot restore a dump clone"))
        #expect(try digest(dump) == before)
        #expect(s.leftovers.isEmpty, "\(s.leftovers)")
        let dir = try FileManager.default.contentsOfDirectory(atPath: s.url.path).sorted()
        #expect(dir == ["chinook.sqlite", "g.json", "op.key", "op.pub", "trust.json"], "nothing written beside the dump")
    }

    @Test func grantFailuresExitThreeNamingWhatFailed() throws {
        let s = Scratch()
        let (dump, grant, trust) = try setUp(s)
        let pg = try CLI.run(["--dump", dump, "--grant", grant, "--trust", trust, "--engine", "postgres"], environment: s.env)
        #expect(pg.status == 3)
        #expect(pg.stderr.contains("it grants the sqlite engine, and this run asks for postgres"))
        #expect(pg.stderr.contains("The dump was not opened or read."))
        try FileManager.default.copyItem(atPath: dump, toPath: s.path("other.sqlite"))
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: s.path("other.sqlite")))
        try h.seekToEnd(); try h.write(contentsOf: Data([0])); try h.close()
        let other = try CLI.run(["--dump", s.path("other.sqlite"), "--grant", grant, "--trust", trust], environment: s.env)
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
        for (signal, delay) in [(SIGTERM, 0.3), (SIGINT, 0.6)] {
            let p = Process()
            p.executableURL = CLI.binary
            p.arguments = ["--dump", dump, "--grant", s.path("g.json"), "--trust", s.path("trust.json"), "--engine", "postgres"]
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
