import Foundation
import Testing

/// `rehearse migrations` as a user runs it: one line per step, the walk's
/// exit status, JSON for machines, `validate` on the walk folder, and every
/// refusal with its status and words.
@Suite struct MigrationsCLITests {
    static let fixture = CLI.root.appendingPathComponent("Tests/Fixtures/migrations/golang-migrate").path

    @Test func aWalkPrintsOneLinePerStepAndExitsWithTheWorstStatus() throws {
        let s = Scratch()
        let r = try CLI.run(["migrations", Self.fixture, "--out", s.path("walk")])
        #expect(r.status == 1, "\(r.all)")
        #expect(r.stdout.contains("(layout golang-migrate, detected, sqlite, step mode)"))
        for line in ["PASS            0001 0001 items", "FAIL            0002 0002 bump_qty", "IRREVERSIBLE    0005 0005 item_note",
                     "SKIPPED         0006 0006 backfill_notes.go"] {
            #expect(r.stdout.contains(line), "\(line)\n\(r.stdout)")
        }
        #expect(r.stdout.contains("Walk: 7 steps, 3 PASS, 2 FAIL, 1 IRREVERSIBLE, 1 SKIPPED; exit status 1"))
        let v = try CLI.run(["validate", s.path("walk")])
        #expect(v.status == 1)
        #expect(v.stdout.contains("walk evidence valid; walk exit status 1"))
        #expect(v.stdout.contains("  recorded as walk of \(Self.fixture) (that path is not checked): layout golang-migrate, sqlite, step mode, every migration, 7 steps covering 7 of the 7 migrations; unsigned"), "\(v.stdout)")
        // --replay runs every step's rehearsal again from its sealed inputs.
        let replay = try CLI.run(["validate", s.path("walk"), "--replay"])
        #expect(replay.status == 1, "\(replay.all)")
        #expect(replay.stdout.contains("walk evidence valid"))
        // A walk is signed as a run is: its walk.json, which binds every step by digest.
        #expect(try CLI.run(["keys", "generate", "--out", s.path("op")]).status == 0)
        try CLI.run(["keys", "trust", s.path("op.pub")]).stdout.write(toFile: s.path("trust.json"), atomically: true, encoding: .utf8)
        let unsigned = try CLI.run(["validate", s.path("walk"), "--trust", s.path("trust.json")])
        #expect(unsigned.status == 5, "\(unsigned.all)")
        #expect(unsigned.stdout.contains("walk.dsse.json: missing: the trust policy requires 1 signature(s) and walk.json is unsigned"))
        let sign = try CLI.run(["sign", s.path("walk"), "--key", s.path("op.key")])
        #expect(sign.status == 0, "\(sign.all)")
        #expect(sign.stdout.contains("walk.dsse.json: signed by "))
        let signed = try CLI.run(["validate", s.path("walk"), "--trust", s.path("trust.json")])
        #expect(signed.status == 1, "\(signed.all)")
        #expect(signed.stdout.contains("walk evidence valid; walk exit status 1"))
        #expect(signed.stdout.contains("7 of the 7 migrations; signed (walk.dsse.json), verified by the trust policy"), "\(signed.stdout)")
        #expect(try CLI.run(["keys", "generate", "--out", s.path("x")]).status == 0)
        try CLI.run(["keys", "trust", s.path("x.pub")]).stdout.write(toFile: s.path("x.json"), atomically: true, encoding: .utf8)
        let wrong = try CLI.run(["validate", s.path("walk"), "--trust", s.path("x.json")])
        #expect(wrong.status == 5, "\(wrong.all)")
        #expect(wrong.stdout.contains("walk.dsse.json.signatures: 0 valid signature(s) by distinct trusted keys; the trust policy requires 1"))
        // One byte of one step's evidence changed: the walk is rejected.
        let evidence = s.url.appendingPathComponent("walk/steps/0001-0001-items/evidence.json")
        var bytes = try Data(contentsOf: evidence)
        bytes[bytes.count / 2] ^= 0x01
        try bytes.write(to: evidence)
        let t = try CLI.run(["validate", s.path("walk")])
        #expect(t.status == 5)
        #expect(t.stdout.contains("walk evidence REJECTED"))
        #expect(t.stdout.contains("steps/0001-0001-items/evidence.json"))
    }

    @Test func jsonHasOneObjectPerStepReadyForAJUnitReport() throws {
        let s = Scratch()
        let r = try CLI.run(["migrations", Self.fixture, "--out", s.path("walk"), "--format", "json", "--to", "0002"])
        #expect(r.status == 1)
        let value = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let steps = try #require(value?["steps"] as? [[String: Any]])
        #expect(steps.count == 2)
        #expect(steps.map { $0["status"] as? String } == ["PASS", "FAIL"])
        #expect((steps[1]["detail"] as? [String])?.contains { $0.contains("0002_bump_qty.down.sql") } == true)
        #expect(value?["exit_status"] as? Int == 1)
        #expect(value?["layout"] as? String == "golang-migrate")
    }

    @Test func refusalsSayWhatAndWhatToDo() throws {
        let s = Scratch()
        let missing = try CLI.run(["migrations", s.path("absent"), "--out", s.path("w1")])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no such directory. Give the folder holding the migrations."))
        let from = try CLI.run(["migrations", Self.fixture, "--from", "999", "--out", s.path("w2")])
        #expect(from.status == 2)
        #expect(from.stderr.contains("--from 999: no migration of"))
        let both = try CLI.run(["migrations", Self.fixture, "--rows", "5", "--profile", "p.yaml"])
        #expect(both.status == 2)
        #expect(both.stderr.contains("Give --profile FILE or --rows N, not both."))
        try FileManager.default.createDirectory(atPath: s.path("full"), withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: s.path("full/x"), contents: Data())
        let full = try CLI.run(["migrations", Self.fixture, "--out", s.path("full")])
        #expect(full.status == 2)
        #expect(full.stderr.contains("is not empty. Give a new or empty folder for the walk."))
        let pgOnly = try CLI.run(["migrations", Self.fixture, "--pg-superuser"])
        #expect(pgOnly.status == 2)
        #expect(pgOnly.stderr.contains("apply to --engine postgres only"))
    }

    /// A file the project's own runner would apply but rehearse does not
    /// read (golang-migrate takes any extension after `.up.`, dbmate any
    /// `<digits>….sql`, a down without an up) is a SKIPPED step: the walk
    /// never exits 0 with a migration it did not rehearse (red team F2, F4, F12).
    @Test func aFileTheRunnerWouldApplyIsNeverSilentlyLeftOut() throws {
        let s = Scratch()
        let golang = s.url.appendingPathComponent("golang")
        try FileManager.default.createDirectory(at: golang, withIntermediateDirectories: true)
        let files = ["1_a.up.sql": "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);\n", "1_a.down.sql": "DROP TABLE t;\n",
                     "2_b.up.SQL": "UPDATE t SET v = NULL;\n", "2_b.down.SQL": "SELECT 1;\n", "3_c.down.sql": "DELETE FROM t;\n"]
        for (name, text) in files { try text.write(to: golang.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        let r = try CLI.run(["migrations", golang.path, "--out", s.path("walk-golang")])
        #expect(r.status == 6, "\(r.all)")
        #expect(r.stdout.contains("2_b.up.SQL: named like a golang-migrate migration"), "\(r.stdout)")
        #expect(r.stdout.contains("3_c.down.sql: a down with no up"), "\(r.stdout)")
        #expect(!r.stdout.contains("exit status 0"))
        let v = try CLI.run(["validate", s.path("walk-golang")])
        #expect(v.status == 6, "\(v.all)")

        let dbmate = s.url.appendingPathComponent("dbmate")
        try FileManager.default.createDirectory(at: dbmate, withIntermediateDirectories: true)
        try "-- migrate:up\nCREATE TABLE t (id INTEGER PRIMARY KEY);\n-- migrate:down\nDROP TABLE t;\n".write(to: dbmate.appendingPathComponent("1_a.sql"), atomically: true, encoding: .utf8)
        try "-- migrate:up\nALTER TABLE t ADD COLUMN secret TEXT;\n-- migrate:down\nSELECT 1;\n".write(to: dbmate.appendingPathComponent("2.sql"), atomically: true, encoding: .utf8)
        let d = try CLI.run(["migrations", dbmate.path, "--layout", "dbmate", "--out", s.path("walk-dbmate")])
        #expect(d.status == 6, "\(d.all)")
        #expect(d.stdout.contains("2.sql: dbmate applies every"), "\(d.stdout)")
    }

}
