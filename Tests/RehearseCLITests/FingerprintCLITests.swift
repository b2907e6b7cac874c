import Foundation
import Testing

@Suite struct FingerprintCLITests {
    @Test func fingerprintsARealDatabaseReadOnly() throws {
        let chinook = CLI.root.deletingLastPathComponent().appendingPathComponent("shared/data/chinook/Chinook_Sqlite.sqlite").path
        let r = try CLI.run(["fingerprint", chinook])
        #expect(r.status == 0, "\(r.all)")
        #expect(r.stdout.contains("Track"))
        #expect(r.stdout.contains("3,503 rows"))
        let json = try CLI.run(["fingerprint", "--format", "json", chinook])
        #expect(json.stdout.contains("\"schema_digest\":\""))
    }

    @Test func notADatabaseIsBadInput() throws {
        let s = Scratch()
        try "hello".write(toFile: s.path("x.sqlite"), atomically: true, encoding: .utf8)
        let r = try CLI.run(["fingerprint", s.path("x.sqlite")])
        #expect(r.status == 2)
        #expect(r.stderr.contains("not a readable SQLite database"))
        let missing = try CLI.run(["fingerprint", s.path("none.sqlite")])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no such readable file"))
    }
}
