import Foundation
import Testing
@testable import RehearseCore
@testable import RehearseEngine
@testable import RehearseEvidence
@testable import RehearseKit
@testable import RehearsePostgres
@testable import RehearseSQLite
@testable import RehearseSurrogate
@testable import RehearseValidator

/// A hostile script or check must not reach any file but the scratch
/// database: every attempt is refused with a sentence located at file:line,
/// and no file appears outside the scratch directory.
@Suite struct AdversarialSandboxTests {
    /// A scratch database with one small table, inside `dir`.
    func scratch(in dir: TempDir) throws -> SQLiteScratch {
        let scratch = try SQLiteScratch(keep: false, parent: dir.url)
        let db = try scratch.connect()
        try db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'a'), (2, 'b'); CREATE INDEX t_v ON t (v);")
        return scratch
    }

    func script(_ text: String, name: String = "birth.sql") -> SQLScript {
        SQLScript(displayPath: name, url: URL(fileURLWithPath: "/nonexistent/\(name)"), text: text, sha256: "")
    }

    /// Everything in `dir` except the scratch directory itself and the
    /// outside folder the tests aim at.
    func outsideFiles(_ outside: URL) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: outside.path)) ?? []
    }

    /// Each way a script could name another file; the path is a placeholder.
    static let escapes: [(sql: String, refusal: String)] = [
        ("ATTACH DATABASE '@/evil.db' AS evil;", "ATTACH or VACUUM INTO"),
        ("ATTACH '@/evil.db' AS evil;", "ATTACH or VACUUM INTO"),
        ("ATTACH DATABASE 'file:@/evil.db?mode=rwc' AS evil;", "ATTACH or VACUUM INTO"),
        ("VACUUM INTO '@/copy.db';", "VACUUM"),
        ("DETACH DATABASE main;", "DETACH"),
        ("PRAGMA writable_schema = ON;", "PRAGMA writable_schema"),
        ("PRAGMA journal_mode = WAL;", "PRAGMA journal_mode"),
        ("PRAGMA journal_mode = OFF;", "PRAGMA journal_mode"),
        ("PRAGMA locking_mode = EXCLUSIVE;", "PRAGMA locking_mode"),
        ("PRAGMA temp_store_directory = '@';", "PRAGMA temp_store_directory"),
        ("PRAGMA data_store_directory = '@';", "PRAGMA"),
        ("PRAGMA mmap_size = 268435456;", "PRAGMA mmap_size"),
        ("SELECT load_extension('@/evil.so');", "load_extension"),
    ]

    @Test(arguments: 0..<escapes.count)
    func birthCannotReachOutsideTheScratchDirectory(_ index: Int) throws {
        let dir = TempDir()
        let outside = dir.file("outside")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        let scratch = try scratch(in: dir)
        let sql = Self.escapes[index].sql.replacingOccurrences(of: "@", with: outside.path)
        // Line 3: the failure must point at the offending statement.
        let text = "-- a hostile birth\nUPDATE t SET v = 'c' WHERE id = 1;\n\(sql)\n"
        var failure: ScriptFailure?
        do { _ = try scratch.apply(script(text), transactional: true) } catch { failure = error }
        let caught = try #require(failure, "\(sql) was allowed")
        #expect(caught.line == 3, "\(caught)")
        #expect(caught.description.contains("birth.sql:3:"), "\(caught)")
        #expect(caught.engineMessage.contains(Self.escapes[index].refusal), "\(caught.engineMessage)")
        #expect(caught.engineMessage.contains("not allowed in a rehearsal script"), "\(caught.engineMessage)")
        #expect(outsideFiles(outside).isEmpty, "\(sql) created \(outsideFiles(outside))")
        // The whole script was rolled back: the UPDATE before it did not stay.
        #expect(try scratch.connect().rows("SELECT v FROM t WHERE id = 1") == [[.text("a")]])
        scratch.tearDown(keep: false)
    }

    /// Checks run read-only: the same escapes plus every kind of write, even
    /// to temporary objects, fail the check with a reason and change nothing.
    static let hostileChecks: [String] = escapes.map(\.sql) + [
        "VACUUM;",
        "INSERT INTO t VALUES (3, 'x');",
        "UPDATE t SET v = 'z';",
        "DELETE FROM t;",
        "CREATE TEMP TABLE scratchpad (x);",
        "CREATE TEMP VIEW tv AS SELECT 1;",
        "CREATE TEMP TRIGGER tt AFTER INSERT ON t BEGIN SELECT 1; END;",
        "PRAGMA user_version = 7;",
        "PRAGMA foreign_keys = ON;",
        "PRAGMA query_only = 0;",
        "PRAGMA optimize;",
        "PRAGMA shrink_memory;",
        "BEGIN;",
        "SAVEPOINT s;",
        "ANALYZE;",
        "REINDEX;",
        "SELECT fts3_tokenizer('simple');",
    ]

    @Test(arguments: 0..<hostileChecks.count)
    func hostileCheckFailsAndChangesNothing(_ index: Int) throws {
        let dir = TempDir()
        let outside = dir.file("outside")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        let scratch = try scratch(in: dir)
        let before = try scratch.fingerprint()
        let sql = Self.hostileChecks[index].replacingOccurrences(of: "@", with: outside.path)
        let results = try scratch.runChecks(script("-- check: fine\nSELECT count(*) = 2 FROM t;\n-- check: hostile\n\(sql)\n", name: "checks.sql"))
        #expect(results.count == 2, "\(results)")
        #expect(results.first?.passed == true)
        let hostile = try #require(results.last)
        #expect(!hostile.passed, "\(sql) passed")
        #expect(hostile.line == 4, "\(hostile)")
        #expect(hostile.returned.hasPrefix("error: "), "\(hostile.returned)")
        #expect(hostile.returned.contains("not allowed in a check") || hostile.returned.contains("checks run read-only"), "\(hostile.returned)")
        #expect(!hostile.returned.contains("not authorized"), "\(hostile.returned)")
        #expect(outsideFiles(outside).isEmpty)
        #expect(try scratch.fingerprint() == before)
        scratch.tearDown(keep: false)
    }

    /// What checks legitimately do keeps working: table-valued PRAGMAs,
    /// reading PRAGMAs, views, recursive CTEs, JSON functions.
    @Test func ordinaryChecksStillPass() throws {
        let dir = TempDir()
        let scratch = try scratch(in: dir)
        try scratch.connect().execute("CREATE VIEW tv AS SELECT * FROM t;")
        let checks = """
            SELECT count(*) = 2 FROM pragma_table_info('t');
            SELECT count(*) = 1 FROM pragma_index_list('t');
            SELECT count(*) = 0 FROM pragma_foreign_key_check;
            SELECT count(*) = 2 FROM tv;
            WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT sum(n) = 6 FROM r;
            SELECT json_extract('{"a": 1}', '$.a') = 1;
            SELECT count(*) > 0 FROM sqlite_schema;
            PRAGMA user_version;
            """
        let results = try scratch.runChecks(script(checks, name: "checks.sql"))
        #expect(results.count == 8)
        #expect(results.dropLast().allSatisfy { $0.passed }, "\(results.filter { !$0.passed })")
        // PRAGMA user_version returns 0: it ran (and failed as a check, not as a refusal).
        #expect(results.last?.returned == "1 row: 0", "\(String(describing: results.last))")
        scratch.tearDown(keep: false)
    }

    /// What migrations legitimately do in a script keeps working.
    @Test func ordinaryScriptPragmasStillWork() throws {
        let dir = TempDir()
        let scratch = try scratch(in: dir)
        let text = """
            PRAGMA foreign_keys = ON;
            PRAGMA defer_foreign_keys = ON;
            PRAGMA legacy_alter_table = OFF;
            PRAGMA user_version = 3;
            PRAGMA table_info(t);
            SELECT * FROM pragma_table_info('t');
            CREATE TABLE u (id INTEGER PRIMARY KEY);
            CREATE TEMP TABLE staging AS SELECT * FROM t;
            INSERT INTO u SELECT id FROM staging;
            DROP TABLE staging;
            """
        let run = try scratch.apply(script(text), transactional: true)
        #expect(run.statements.count == 10)
        #expect(try scratch.connect().int("PRAGMA user_version") == 3)
        #expect(try scratch.connect().int("SELECT count(*) FROM u") == 2)
        scratch.tearDown(keep: false)
    }

    /// A surrogate schema may not attach either. The schema data guard
    /// refuses it before anything is provisioned (exit 3: rows from another
    /// file would be presented as generated), naming the file and line; the
    /// loader connection's authorizer stays behind it as a second barrier.
    @Test func surrogateSchemaCannotAttach() throws {
        let dir = TempDir()
        let url = Repo.copy("commerce", into: dir)
        let evil = dir.file("schema-evil.db")
        let schema = try String(contentsOf: url.appendingPathComponent("schema.sql"), encoding: .utf8)
        try replace("schema.sql", in: url, with: "ATTACH DATABASE '\(evil.path)' AS evil;\n" + schema)
        #expect {
            _ = try rehearse(url, in: dir, scale: 0.01)
        } throws: { error in
            let message = "\(error)"
            return (error as? RehearseError)?.code == .refused && message.contains("schema.sql:1:1")
                && message.contains("ATTACH opens another database file") && message.contains("A schema file defines structure only")
        }
        #expect(!FileManager.default.fileExists(atPath: evil.path))
        #expect(dir.leftovers("rehearse-").isEmpty)
    }

    /// Through a whole rehearsal: a birth that attaches fails the rehearsal
    /// at birth.sql:line with the sentence, and nothing is written outside.
    @Test func rehearsalWithAttachingBirthFailsAtItsLine() throws {
        let dir = TempDir()
        let url = Repo.copy("commerce", into: dir)
        let evil = dir.file("birth-evil.db")
        let copy = dir.file("vacuum-copy.db")
        try replace("birth.sql", in: url, with: "CREATE TABLE x (id INTEGER);\nATTACH DATABASE '\(evil.path)' AS evil;\n")
        try "-- check: copies the database\nVACUUM INTO '\(copy.path)';\n"
            .write(to: url.appendingPathComponent("after-rollback.sql"), atomically: true, encoding: .utf8)
        let result = try rehearse(url, in: dir, scale: 0.01)
        #expect(result.record.verdict == .fail)
        #expect(result.validation.isValid)
        let failure = try #require(result.record.failure)
        #expect(failure.phase == .birth)
        #expect(failure.message.contains("birth.sql:2:"), "\(failure.message)")
        #expect(failure.message.contains("ATTACH or VACUUM INTO ('\(evil.path)') is not allowed in a rehearsal script"), "\(failure.message)")
        #expect(!FileManager.default.fileExists(atPath: evil.path))
        #expect(!FileManager.default.fileExists(atPath: copy.path))
        #expect(dir.leftovers("rehearse-").isEmpty)
    }

    /// The tool's own reference attach for drift localization still works
    /// (the lossy rollback is localized to rows), and only for that file.
    @Test func toolReferenceAttachIsTheOnlyOneAllowed() throws {
        let dir = TempDir()
        let scratch = try scratch(in: dir)
        let reference = scratch.directory.appendingPathComponent("reference-pre.sqlite")
        try SQLiteConnection(path: reference.path).execute("CREATE TABLE r (x)")
        let db = try scratch.connect(readOnly: true)
        try db.attachReference(reference.path, as: "ref")
        #expect(try db.rows("SELECT name FROM pragma_database_list ORDER BY seq").map { $0[0] } == [.text("main"), .text("ref")])
        // After the call, no further attach, even of the same file.
        #expect(throws: SQLiteError.self) { try db.prepare("ATTACH DATABASE '\(reference.path)' AS again").step() }
        scratch.tearDown(keep: false)
    }
}
