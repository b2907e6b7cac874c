import Foundation
import Testing

/// `rehearse validate` without --trust on a dump clone says plainly that the
/// grant's signatures were not checked (attack-15 L4): a valid verdict there
/// says nothing about who allowed the real data to be cloned.
@Suite struct DumpValidateNoteCLITests {
    @Test func withoutTrustTheValidatorSaysTheGrantWasNotChecked() throws {
        let s = Scratch()
        let base = DumpCLITests()
        let (dump, grant, trust) = try base.setUp(s)
        let change = try base.change(s)
        let r = try CLI.run(["--dump", dump, "--grant", grant, "--trust", trust, change, "--out", s.path("run")], environment: s.env)
        #expect(r.status == 0, "\(r.all)")
        let plain = try CLI.run(["validate", s.path("run")])
        #expect(plain.status == 0, "\(plain.all)")
        #expect(plain.stdout.contains("note: this is a dump clone of real data, and its grant's signatures were NOT checked (no --trust)"))
        #expect(plain.stdout.contains("rehearse validate --trust FILE"))
        let json = try CLI.run(["validate", s.path("run"), "--format", "json"])
        #expect(json.status == 0)
        #expect(json.stdout.contains("\"notes\":[\"this is a dump clone of real data, and its grant's signatures were NOT checked"))
        let trusted = try CLI.run(["validate", s.path("run"), "--trust", trust])
        #expect(trusted.status == 5 || trusted.status == 0, "\(trusted.all)")
        #expect(!trusted.stdout.contains("were NOT checked"))
        #expect(!trusted.stdout.contains("note:"))
    }

    @Test func aSurrogateRunGetsNoNote() throws {
        let s = Scratch()
        let r = try CLI.run([CLI.root.appendingPathComponent("surrogates/commerce").path, "--out", s.path("run")], environment: s.env)
        #expect(r.status == 0, "\(r.all)")
        let v = try CLI.run(["validate", s.path("run")])
        #expect(v.status == 0, "\(v.all)")
        #expect(!v.stdout.contains("note:"))
    }
}
