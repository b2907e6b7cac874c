import Foundation
import Testing

@Suite struct ProfileCLITests {
    static let chinook = CLI.root.deletingLastPathComponent().appendingPathComponent("shared/data/chinook/Chinook_Sqlite.sqlite").path

    @Test func profileThenGeneratePrintsAFidelityReport() throws {
        let s = Scratch()
        try FileManager.default.createDirectory(atPath: s.path("mine"), withIntermediateDirectories: true)
        let p = try CLI.run(["profile", "--from", Self.chinook, "--out", s.path("mine/profile.yaml"), "--schema-out", s.path("mine/schema.sql")])
        #expect(p.status == 0, "\(p.all)")
        #expect(p.stdout.contains("Profiled 11 tables (15,607 rows)"))
        try "name: mine\nschema: schema.sql\nprofile: profile.yaml\nbirth: b.sql\nrollback: b.sql\n".write(toFile: s.path("mine/manifest.yaml"), atomically: true, encoding: .utf8)
        try "SELECT 1;\n".write(toFile: s.path("mine/b.sql"), atomically: true, encoding: .utf8)
        let g = try CLI.run(["generate", "--surrogate", s.path("mine"), "--out", s.path("g.sqlite")])
        #expect(g.status == 0, "\(g.all)")
        #expect(g.stdout.contains("Fidelity: "))
        #expect(g.stdout.contains("parents without children"))
    }

    @Test func profileRefusesToOverwriteAndNeedsADatabase() throws {
        let s = Scratch()
        try "keep me".write(toFile: s.path("p.yaml"), atomically: true, encoding: .utf8)
        let exists = try CLI.run(["profile", "--from", Self.chinook, "--out", s.path("p.yaml")])
        #expect(exists.status == 2)
        #expect(exists.stderr.contains("already exists"))
        #expect(try String(contentsOfFile: s.path("p.yaml"), encoding: .utf8) == "keep me")
        let missing = try CLI.run(["profile", "--from", s.path("none.sqlite"), "--out", s.path("q.yaml")])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no such readable file"))
    }
}
