import Foundation
import Testing

@Suite struct SealCLITests {
    @Test func verifyNamesEveryDifferenceAndExitsFive() throws {
        let s = Scratch()
        #expect(try CLI.run(["--scale", "0.05", "--out", s.path("run"), "--quiet"], environment: s.env).status == 0)
        let ok = try CLI.run(["seal", "verify", s.path("run")])
        #expect(ok.status == 0)
        #expect(ok.stdout.contains("seal matches the bytes"))
        try FileManager.default.removeItem(atPath: s.path("run/inputs/rollback.sql"))
        try "extra".write(toFile: s.path("run/notes.txt"), atomically: true, encoding: .utf8)
        try "-- edited\n".write(toFile: s.path("run/inputs/birth.sql"), atomically: true, encoding: .utf8)
        let bad = try CLI.run(["seal", "verify", s.path("run")])
        #expect(bad.status == 5)
        #expect(bad.stdout.contains("inputs/rollback.sql: sealed but missing"))
        #expect(bad.stdout.contains("notes.txt: present but not sealed"))
        #expect(bad.stdout.contains("inputs/birth.sql: bytes differ from the seal"))
    }

    @Test func writeThenVerifyRoundTrips() throws {
        let s = Scratch()
        let dir = try s.commerce()
        #expect(try CLI.run(["seal", "verify", dir]).status == 0, "the committed commerce seal must match")
        try "-- changed\n".write(toFile: dir + "/birth.sql", atomically: true, encoding: .utf8)
        #expect(try CLI.run(["seal", "verify", dir]).status == 5)
        let write = try CLI.run(["seal", "write", dir])
        #expect(write.status == 0)
        #expect(write.stdout.contains("11 files sealed"))
        #expect(try CLI.run(["seal", "verify", dir]).status == 0)
    }

    @Test func verifyOnAMissingFolderIsBadInput() throws {
        let r = try CLI.run(["seal", "verify", "/nonexistent/folder"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("no such run folder"))
    }
}
