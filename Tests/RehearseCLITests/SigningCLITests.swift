import Foundation
import Testing

@Suite struct SigningCLITests {
    @Test func signThenValidateAgainstATrustFile() throws {
        let s = Scratch()
        #expect(try CLI.run(["--scale", "0.05", "--out", s.path("run"), "-q"], environment: s.env).status == 0)
        #expect(try CLI.run(["keys", "generate", "--out", s.path("ops")]).status == 0)
        let trust = try CLI.run(["keys", "trust", s.path("ops.pub")])
        #expect(trust.status == 0)
        try trust.stdout.write(toFile: s.path("trust.json"), atomically: true, encoding: .utf8)
        let unsigned = try CLI.run(["validate", s.path("run"), "--trust", s.path("trust.json")])
        #expect(unsigned.status == 5)
        #expect(unsigned.stdout.contains("[R9-signature]"))
        let sign = try CLI.run(["sign", s.path("run"), "--key", s.path("ops.key")])
        #expect(sign.status == 0, "\(sign.all)")
        #expect(sign.stdout.contains("signed by"))
        #expect(try CLI.run(["validate", s.path("run"), "--trust", s.path("trust.json")]).status == 0)
        #expect(try CLI.run(["seal", "verify", s.path("run")]).status == 0, "signing reseals the folder")
    }

    @Test func aMissingKeyFileIsBadInput() throws {
        let s = Scratch()
        #expect(try CLI.run(["--scale", "0.05", "--out", s.path("run"), "-q"], environment: s.env).status == 0)
        let r = try CLI.run(["sign", s.path("run"), "--key", s.path("nokey.key")])
        #expect(r.status == 2)
        #expect(r.stderr.contains("the private key is missing or unreadable"))
    }
}
