import Foundation
import Testing

/// The operator's grant commands end to end: keys, create, sign, verify, and
/// a refusal (exit 3) naming what failed.
@Suite struct GrantCLITests {
    /// Keys a and b, a trust file needing `threshold` of them, and a dump.
    func setUp(_ s: Scratch, threshold: Int = 1) throws -> (trust: String, dump: String) {
        for k in ["a", "b"] { #expect(try CLI.run(["keys", "generate", "--out", s.path(k)]).status == 0) }
        let t = try CLI.run(["keys", "trust", "--threshold", "\(threshold)", s.path("a.pub"), s.path("b.pub")])
        try t.stdout.write(toFile: s.path("trust.json"), atomically: true, encoding: .utf8)
        try "CREATE TABLE t (id int);\n".write(toFile: s.path("prod.sql"), atomically: true, encoding: .utf8)
        return (s.path("trust.json"), s.path("prod.sql"))
    }

    @Test func createSignVerifyRoundTrip() throws {
        let s = Scratch()
        let (trust, dump) = try setUp(s, threshold: 2)
        let c = try CLI.run(["grant", "create", "--dump", dump, "--issuer", "dba on call", "--engine", "postgres", "--valid-hours", "2", "--out", s.path("g.json")])
        #expect(c.status == 0, "\(c.all)")
        #expect(c.stdout.contains("unsigned"))
        let unsigned = try CLI.run(["grant", "verify", s.path("g.json"), "--trust", trust, "--dump", dump])
        #expect(unsigned.status == 3)
        #expect(unsigned.stderr.contains("carries 0 valid signature(s) by distinct trusted keys; the trust file requires 2"))
        #expect(try CLI.run(["grant", "sign", s.path("g.json"), "--key", s.path("a.key")]).status == 0)
        let one = try CLI.run(["grant", "verify", s.path("g.json"), "--trust", trust])
        #expect(one.status == 3)
        #expect(try CLI.run(["grant", "sign", s.path("g.json"), "--key", s.path("b.key")]).status == 0)
        let ok = try CLI.run(["grant", "verify", s.path("g.json"), "--trust", trust, "--dump", dump, "--engine", "postgres"])
        #expect(ok.status == 0, "\(ok.all)")
        #expect(ok.stdout.contains("grant valid: lane 2 AUTHORIZE_OPERATOR_REAL_DATA_CLONE_HANDOFF"))
        #expect(ok.stdout.contains("(matches the dump given)"))
        let json = try CLI.run(["grant", "verify", s.path("g.json"), "--trust", trust, "--format", "json"])
        #expect(json.stdout.contains("\"valid\":true"))
        #expect(json.stdout.contains("\"subject_checked\":false"))
        let engine = try CLI.run(["grant", "verify", s.path("g.json"), "--trust", trust, "--engine", "sqlite"])
        #expect(engine.status == 3)
        #expect(engine.stderr.contains("it grants the postgres engine, and this run asks for sqlite"))
        // the same grant for a dump with one byte more
        try "CREATE TABLE t (id int);\n\n".write(toFile: dump, atomically: true, encoding: .utf8)
        let other = try CLI.run(["grant", "verify", s.path("g.json"), "--trust", trust, "--dump", dump])
        #expect(other.status == 3)
        #expect(other.stderr.contains("Refused: the grant \(s.path("g.json")) does not authorize this run: it is bound to the dump with SHA-256"))
    }

    @Test func expiredAndFutureGrantsAreRefused() throws {
        let s = Scratch()
        let (trust, dump) = try setUp(s)
        for (name, window, words) in [("old", ["--not-before", "2020-01-01T00:00:00Z", "--not-after", "2020-01-02T00:00:00Z"], "it has expired: not_after was 2020-01-02T00:00:00Z"),
                                      ("new", ["--not-before", "2999-01-01T00:00:00Z"], "it is not valid yet: not_before is 2999-01-01T00:00:00Z")] {
            let g = s.path("\(name).json")
            #expect(try CLI.run(["grant", "create", "--dump", dump, "--issuer", "x", "--engine", "sqlite", "--out", g] + window).status == 0)
            #expect(try CLI.run(["grant", "sign", g, "--key", s.path("a.key")]).status == 0)
            let r = try CLI.run(["grant", "verify", g, "--trust", trust, "--dump", dump])
            #expect(r.status == 3, "\(r.all)")
            #expect(r.stderr.contains(words), "\(r.stderr)")
        }
    }

    @Test func createRefusesBadInputAndNeverOverwrites() throws {
        let s = Scratch()
        let (_, dump) = try setUp(s)
        let args = ["grant", "create", "--dump", dump, "--issuer", "x", "--engine", "sqlite", "--out", s.path("g.json")]
        #expect(try CLI.run(args).status == 0)
        let again = try CLI.run(args)
        #expect(again.status == 2)
        #expect(again.stderr.contains("already exists"))
        // A link at --out, even a dangling one, is never followed: the file
        // it points to is not created.
        try FileManager.default.createSymbolicLink(atPath: s.path("link.json"), withDestinationPath: s.path("elsewhere.json"))
        let linked = try CLI.run(["grant", "create", "--dump", dump, "--issuer", "x", "--engine", "sqlite", "--out", s.path("link.json")])
        #expect(linked.status == 2)
        #expect(linked.stderr.contains("already exists"))
        #expect(!FileManager.default.fileExists(atPath: s.path("elsewhere.json")))
        // A folder that does not exist: the machine's problem (exit 4), said.
        let nowhere = try CLI.run(["grant", "create", "--dump", dump, "--issuer", "x", "--engine", "sqlite", "--out", s.path("missing/g.json")])
        #expect(nowhere.status == 4)
        #expect(nowhere.stderr.contains("Cannot write \(s.path("missing/g.json"))"), "\(nowhere.stderr)")
        #expect(nowhere.stderr.contains("Check that its folder exists and is writable."))
        let bad = try CLI.run(["grant", "create", "--subject", "ABC", "--issuer", "x", "--engine", "sqlite", "--out", s.path("h.json")])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("--subject must be a SHA-256"))
        let empty = try CLI.run(["grant", "create", "--dump", dump, "--issuer", "x", "--engine", "sqlite", "--out", s.path("i.json"),
                                 "--not-before", "2030-01-01T00:00:00Z", "--not-after", "2029-01-01T00:00:00Z"])
        #expect(empty.status == 2)
        #expect(empty.stderr.contains("The validity window is empty"))
        let lane3 = try CLI.run(["grant", "create", "--dump", dump, "--issuer", "x", "--engine", "sqlite", "--lane", "3", "--out", s.path("j.json")])
        #expect(lane3.status == 3)
        #expect(lane3.stderr.contains("no grant can be written for lane 3"))
    }
}
