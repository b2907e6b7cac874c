import Foundation
import Testing

/// How `rehearse migrations` reads a directory as the project's runner does
/// (issue 13, red team attack-w13): each engine's own splitter, CR and CRLF
/// line ends, Flyway `.conf` properties, dbmate's refusals, and that a walk
/// of nothing never exits 0.
@Suite struct MigrationsReadingCLITests {
    static func files(_ s: Scratch, _ dir: String, _ files: [String: String]) throws -> String {
        let root = s.url.appendingPathComponent(dir)
        for (name, text) in files {
            let url = root.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        return root.path
    }

    static let table = ["1_a.up.sql": "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, secret TEXT);\n", "1_a.down.sql": "DROP TABLE t;\n"]

    @Test func aSQLiteUpHiddenInAPostgresNestedCommentIsRehearsedNotAPlaceholder() throws {
        let s = Scratch()
        var f = Self.table
        f["2_b.up.sql"] = "/* placeholder /* */ UPDATE t SET secret = NULL; -- */\n"
        f["2_b.down.sql"] = "-- nothing to undo\n"
        let dir = try Self.files(s, "n1", f)
        let r = try CLI.run(["migrations", dir, "--out", s.path("w")], environment: s.env)
        // SQLite ends the comment at the first */ and runs the UPDATE: the down is empty, so irreversible.
        #expect(r.status == 6, "\(r.all)")
        #expect(r.stdout.contains("IRREVERSIBLE    0002 2 b"), "\(r.stdout)")
        #expect(!r.stdout.contains("placeholder"))
        let v = try CLI.run(["validate", s.path("w")])
        #expect(v.status == 6, "\(v.all)")
    }

    @Test func aCRLFLineInSqitchPlanIsALineEndAndALoneCRIsRefused() throws {
        let s = Scratch()
        let plan = "%syntax-version=1.0.0\n%project=x\n\na 2024-01-01T00:00:00Z Ann <ann@example.com> # create t\r\nb 2024-01-01T00:00:01Z Ann <ann@example.com> # drop secret\n"
        let files = ["sqitch.plan": plan,
                     "deploy/a.sql": "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, secret TEXT);\n", "revert/a.sql": "DROP TABLE t;\n",
                     "deploy/b.sql": "ALTER TABLE t DROP COLUMN secret;\n", "revert/b.sql": "ALTER TABLE t ADD COLUMN secret TEXT;\n"]
        let dir = try Self.files(s, "q7", files)
        let r = try CLI.run(["migrations", dir, "--out", s.path("w")], environment: s.env)
        #expect(r.status == 1, "\(r.all)")
        #expect(r.stdout.contains("FAIL            0002 2 b"), "\(r.stdout)")
        // All CRLF: every change read.
        let crlf = try Self.files(s, "q5", files.merging(["sqitch.plan": plan.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n")]) { $1 })
        let c = try CLI.run(["migrations", crlf, "--out", s.path("w5")], environment: s.env)
        #expect(c.status == 1, "\(c.all)")
        #expect(c.stdout.contains("Walk: 2 steps"), "\(c.stdout)")
        // A lone CR: refused, naming the line.
        let lone = try Self.files(s, "q8", files.merging(["sqitch.plan": plan.replacingOccurrences(of: "\r\n", with: "\r")]) { $1 })
        let l = try CLI.run(["migrations", lone, "--out", s.path("w8")], environment: s.env)
        #expect(l.status == 2, "\(l.all)")
        #expect(l.stderr.contains("sqitch.plan: byte offset") && l.stderr.contains("(line 4, column 56): a carriage return not followed by a line feed"), "\(l.all)")
    }

    @Test func aWalkOfNoMigrationIsRefused() throws {
        let s = Scratch()
        let dir = try Self.files(s, "q6", ["sqitch.plan": "%syntax-version=1.0.0\n%project=x\n"])
        let r = try CLI.run(["migrations", dir, "--out", s.path("w")], environment: s.env)
        #expect(r.status == 2, "\(r.all)")
        #expect(r.stderr.contains("no migration found by the sqitch rules"), "\(r.all)")
        try FileManager.default.createDirectory(atPath: s.path("empty"), withIntermediateDirectories: true)
        let e = try CLI.run(["migrations", s.path("empty"), "--layout", "golang-migrate", "--out", s.path("we")], environment: s.env)
        #expect(e.status == 2, "\(e.all)")
        #expect(e.stderr.contains("A walk of no migration proves nothing"), "\(e.all)")
    }

    @Test func dbmateCRLFFilesReadAsDbmateReadsThemAndTextBeforeTheUpMarkerIsRefused() throws {
        let s = Scratch()
        let dir = try Self.files(s, "m3", [
            "1_a.sql": "-- migrate:up\r\nCREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);\r\n-- migrate:down\r\nDROP TABLE t;\r\n",
            "2_b.sql": "-- migrate:up\nCREATE INDEX ti ON t(v);\r\n-- migrate:down\nDROP INDEX ti;\n"])
        let r = try CLI.run(["migrations", dir, "--layout", "dbmate", "--out", s.path("w")], environment: s.env)
        #expect(r.status == 0, "\(r.all)")
        #expect(r.stdout.contains("Walk: 2 steps, 2 PASS"), "\(r.stdout)")
        let pre = try Self.files(s, "m2", [
            "1_a.sql": "-- migrate:up\nCREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, secret TEXT);\n-- migrate:down\nDROP TABLE t;\n",
            "2_b.sql": "-- a comment is fine\n\nUPDATE t SET secret = NULL;\n-- migrate:up\nCREATE INDEX ti ON t(v);\n-- migrate:down\nDROP INDEX ti;\n"])
        let p = try CLI.run(["migrations", pre, "--layout", "dbmate", "--out", s.path("w2")], environment: s.env)
        #expect(p.status == 2, "\(p.all)")
        #expect(p.stderr.contains("2_b.sql:3: a statement before the first -- migrate: marker"), "\(p.all)")
        let lone = try Self.files(s, "m5", ["1_a.sql": "-- migrate:up\rDROP TABLE x;\nCREATE TABLE t(id INTEGER);\n-- migrate:down\nDROP TABLE t;\n"])
        let l = try CLI.run(["migrations", lone, "--layout", "dbmate", "--out", s.path("w5")], environment: s.env)
        #expect(l.status == 2, "\(l.all)")
        #expect(l.stderr.contains("(line 1, column 14): a carriage return not followed by a line feed"), "\(l.all)")
    }

    @Test func flywayConfIsReadAsJavaPropertiesAndOtherSettingsAreNotRehearsable() throws {
        let s = Scratch()
        let base = ["V1__a.sql": "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);\n", "U1__a.sql": "DROP TABLE t;\n",
                    "V2__b.sql": "CREATE INDEX ti ON t(v);\n", "U2__b.sql": "DROP INDEX ti;\n"]
        for (i, conf) in ["executeInTransaction: false", "executeInTransaction=false\r\n", "  executeInTransaction = false # x\n".replacingOccurrences(of: " # x", with: ""),
                          "# c\nexecuteInTransaction\tfalse"].enumerated() {
            let dir = try Self.files(s, "f\(i)", base.merging(["V2__b.sql.conf": conf]) { $1 })
            let r = try CLI.run(["migrations", dir, "--out", s.path("w\(i)")], environment: s.env)
            #expect(r.status == 6, "\(conf.debugDescription): \(r.all)")
            #expect(r.stdout.contains("NOT_REHEARSABLE 0002 2 b"), "\(conf.debugDescription): \(r.stdout)")
        }
        let other = try Self.files(s, "fs", base.merging(["V2__b.sql.conf": "shouldExecute=false\n"]) { $1 })
        let o = try CLI.run(["migrations", other, "--out", s.path("ws")], environment: s.env)
        #expect(o.status == 6, "\(o.all)")
        #expect(o.stdout.contains("shouldExecute=false: a Flyway script setting rehearse does not implement"), "\(o.stdout)")
        let bad = try Self.files(s, "fb", base)
        try Data([0x66, 0xff, 0xfe, 0x0a]).write(to: URL(fileURLWithPath: bad + "/V2__b.sql.conf"))
        let b = try CLI.run(["migrations", bad, "--out", s.path("wb")], environment: s.env)
        #expect(b.status == 2, "\(b.all)")
        #expect(b.stderr.contains("V2__b.sql.conf"), "\(b.all)")
    }

    @Test func migrationsInSubFoldersCallbacksAndBaselinesTheRunnerRunsMakeTheWalkNotProven() throws {
        let s = Scratch()
        let flyway = try Self.files(s, "fw", [
            "V1__a.sql": "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, secret TEXT);\n", "U1__a.sql": "DROP TABLE t;\n",
            "sub/V2__b.sql": "ALTER TABLE t DROP COLUMN secret;\n", "sub/U2__b.sql": "ALTER TABLE t ADD COLUMN secret TEXT;\n",
            "afterEachUndo.sql": "DELETE FROM t;\n", "B3__base.sql": "CREATE TABLE t(id INTEGER);\n", "README.sql": "-- notes\n"])
        let r = try CLI.run(["migrations", flyway, "--out", s.path("w")], environment: s.env)
        #expect(r.status == 6, "\(r.all)")
        for line in ["sub/V2__b.sql: in a sub-folder of the location; Flyway scans sub-folders", "sub/U2__b.sql: in a sub-folder",
                     "afterEachUndo.sql: a Flyway SQL callback (afterEachUndo)", "B3__base.sql: a Flyway baseline migration"] {
            #expect(r.stdout.contains(line), "\(line)\n\(r.stdout)")
        }
        #expect(r.stdout.contains("Walk: 6 steps, 1 PASS, 4 SKIPPED") || r.stdout.contains("SKIPPED"), "\(r.stdout)")
        let v = try CLI.run(["validate", s.path("w")])
        #expect(v.status == 6, "\(v.all)")
        let pop = try Self.files(s, "sx", [
            "1_a.up.sql": "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, secret TEXT);\n", "1_a.down.sql": "DROP TABLE t;\n",
            "sub/2_b.up.sql": "ALTER TABLE t DROP COLUMN secret;\n", "sub/2_b.down.sql": "ALTER TABLE t ADD COLUMN secret TEXT;\n"])
        let p = try CLI.run(["migrations", pop, "--layout", "suffixed", "--out", s.path("wp")], environment: s.env)
        #expect(p.status == 6, "\(p.all)")
        #expect(p.stdout.contains("sub/2_b.up.sql: in a sub-folder; pop walks sub-folders"), "\(p.stdout)")
        let vp = try CLI.run(["validate", s.path("wp")])
        #expect(vp.status == 6, "\(vp.all)")
    }

    @Test func runnerTemplatesPlaceholdersAndSqitchConfDirectoriesAreNeverRehearsedAsPlainText() throws {
        let s = Scratch()
        let flyway = try Self.files(s, "f6", [
            "V1__a.sql": "CREATE TABLE audit(id INTEGER PRIMARY KEY, src TEXT NOT NULL);\n", "U1__a.sql": "DROP TABLE audit;\n",
            "V2__b.sql": "INSERT INTO audit(id, src) VALUES (1000000, '${flyway:filename}');\n",
            "U2__b.sql": "DELETE FROM audit WHERE id = 1000000 AND src = '${flyway:filename}';\n"])
        let f = try CLI.run(["migrations", flyway, "--out", s.path("wf")], environment: s.env)
        #expect(f.status == 6, "\(f.all)")
        #expect(f.stdout.contains("NOT_REHEARSABLE 0002 2 b") && f.stdout.contains("V2__b.sql:1: `${` is a Flyway placeholder"), "\(f.stdout)")
        let pop = try Self.files(s, "t3", [
            "1_a.up.sql": "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);\n", "1_a.down.sql": "DROP TABLE t;\n",
            "2_b.up.sql": "CREATE UNIQUE INDEX tv ON t(v);\n", "2_b.down.sql": "-- {{ if false }}\nDROP INDEX tv;\n-- {{ end }}\n"])
        let p = try CLI.run(["migrations", pop, "--layout", "suffixed", "--out", s.path("wp")], environment: s.env)
        #expect(p.status == 6, "\(p.all)")
        #expect(p.stdout.contains("2_b.down.sql:1: `{{` is Go template syntax"), "\(p.stdout)")
        let sqitch = try Self.files(s, "q2", [
            "sqitch.plan": "%syntax-version=1.0.0\n%project=x\n\na 2024-01-01T00:00:00Z Ann <ann@example.com> # t\n",
            "deploy/a.sql": "CREATE TABLE t(id INTEGER);\n", "revert/a.sql": "DROP TABLE t;\n", "revert_prod/a.sql": "SELECT 1;\n",
            "sqitch.conf": "[core]\n\tengine = sqlite\n\trevert_dir = revert_prod\n"])
        let q = try CLI.run(["migrations", sqitch, "--out", s.path("wq")], environment: s.env)
        #expect(q.status == 2, "\(q.all)")
        #expect(q.stderr.contains("sqitch.conf:3: revert_dir points Sqitch at another plan or other scripts"), "\(q.all)")
    }

    @Test func aSQLiteWalkSaysItRanWithForeignKeysOffAndWhichStepsThatMatters() throws {
        let s = Scratch()
        let dir = try Self.files(s, "k1", [
            "1_a.up.sql": "CREATE TABLE parent(id INTEGER PRIMARY KEY, name TEXT);\nCREATE TABLE child(id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id) ON DELETE CASCADE, note TEXT);\n",
            "1_a.down.sql": "DROP TABLE child; DROP TABLE parent;\n",
            "2_b.up.sql": "CREATE TABLE parent_new(id INTEGER PRIMARY KEY, name TEXT, extra TEXT);\nINSERT INTO parent_new(id, name) SELECT id, name FROM parent;\nDROP TABLE parent;\nALTER TABLE parent_new RENAME TO parent;\n",
            "2_b.down.sql": "CREATE TABLE parent_old(id INTEGER PRIMARY KEY, name TEXT);\nINSERT INTO parent_old(id, name) SELECT id, name FROM parent;\nDROP TABLE parent;\nALTER TABLE parent_old RENAME TO parent;\n"])
        let r = try CLI.run(["migrations", dir, "--out", s.path("w")], environment: s.env)
        #expect(r.stdout.contains("foreign keys: every script ran with PRAGMA foreign_keys = OFF"), "\(r.stdout)")
        #expect(r.stdout.contains("foreign keys OFF while the up and down ran (SQLite's default): the schema has ON DELETE / ON UPDATE actions"), "\(r.stdout)")
        let index = try String(contentsOfFile: s.path("w/walk.json"), encoding: .utf8)
        #expect(index.contains("PRAGMA foreign_keys = OFF"))
    }
}
