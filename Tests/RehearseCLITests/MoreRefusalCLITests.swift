import Foundation
import Testing

@Suite struct MoreRefusalCLITests {
    @Test func jobsBelowOneIsBadInput() throws {
        for command in [["--surrogate", "--jobs", "0"], ["generate", "--out", "/tmp/never.sqlite", "--jobs", "0"]] {
            let r = try CLI.run(command)
            #expect(r.status == 2)
            #expect(r.stderr.contains("--jobs must be 1 or more"))
        }
    }

    @Test func trustFromAFileThatIsNotAPublicKeyIsBadInput() throws {
        let s = Scratch()
        try "{\"hello\":1}".write(toFile: s.path("x.pub"), atomically: true, encoding: .utf8)
        let r = try CLI.run(["keys", "trust", s.path("x.pub")])
        #expect(r.status == 2)
        #expect(r.stderr.contains("not a public key file written by 'rehearse keys generate'"))
        let noKeys = try CLI.run(["keys", "trust"])
        #expect(noKeys.status == 2)
    }

    @Test func validateWithAnUnreadableTrustFileIsBadInput() throws {
        let s = Scratch()
        #expect(try CLI.run(["--scale", "0.05", "--out", s.path("run"), "-q"], environment: s.env).status == 0)
        let r = try CLI.run(["validate", s.path("run"), "--trust", s.path("missing.json")])
        #expect(r.status == 2)
        #expect(r.stderr.contains("the trust file is missing or unreadable"))
    }
}
