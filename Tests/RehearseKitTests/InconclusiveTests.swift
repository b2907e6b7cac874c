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

/// Issue 11: a PASS must mean the birth exercised its data changes. The two
/// lossy patterns of real migrations (a lower-casing UPDATE and a DELETE of
/// NULL-keyed rows, both with an empty rollback) FAIL with the default
/// profile and are INCONCLUSIVE, never PASS, with the edge-case mix and
/// targeting switched off; the validator holds evidence to the same rule.
@Suite struct InconclusiveTests {
    /// A copy of a bundled surrogate whose profile ends with `extra`.
    static func copy(_ name: String, in dir: TempDir, profile extra: String) throws -> URL {
        let url = Repo.copy(name, into: dir)
        let profile = url.appendingPathComponent("profile.yaml")
        try (String(contentsOf: profile, encoding: .utf8) + extra).write(to: profile, atomically: true, encoding: .utf8)
        return url
    }

    static let off = "edge_cases: off\ntargeting: off\n"

    @Test func lowercasingWithAnEmptyRollbackFailsByDefaultNamingTheColumn() throws {
        let dir = TempDir()
        let result = try rehearse(Repo.surrogate("lossy-lowercase"), in: dir)
        #expect(result.record.verdict == .fail)
        #expect(result.validation.isValid, "\(result.validation.findings)")
        let drift = try #require(result.record.drift)
        #expect(drift.data.map(\.table) == ["verifiable_addresses"])
        #expect((drift.data.first?.columns["value"] ?? 0) > 0)
    }

    @Test func lowercasingIsInconclusiveWithEdgeCasesAndTargetingOff() throws {
        let dir = TempDir()
        let result = try rehearse(try Self.copy("lossy-lowercase", in: dir, profile: Self.off), in: dir)
        #expect(result.record.verdict == .inconclusive)
        #expect(result.validation.isValid, "\(result.validation.findings)")
        #expect(result.validation.verdict == .inconclusive)
        #expect(result.evidence["predicate"]?["verdict"] == "INCONCLUSIVE")
        let birth = try #require(result.evidence["predicate"]?["statements"]?["birth"]?.arrayValue)
        #expect(birth.count == 1)
        #expect(birth[0]["effect"] == "rows")
        #expect(birth[0]["matched_rows"] == 300)
        let unexercised = try #require(result.evidence["predicate"]?["unexercised"]?.arrayValue)
        #expect(unexercised.count == 1)
        #expect(unexercised[0]["line"] == 3)
        #expect(unexercised[0]["reason"]?.stringValue?.contains("matched 300 rows of verifiable_addresses but changed no stored value") == true)
    }

    @Test func deletingNullKeyedRowsFailsByDefaultAndIsInconclusiveWithoutEdgeCases() throws {
        let dir = TempDir()
        let fail = try rehearse(Repo.surrogate("lossy-null-delete"), in: dir)
        #expect(fail.record.verdict == .fail)
        #expect(fail.validation.isValid, "\(fail.validation.findings)")
        let drift = try #require(fail.record.drift?.data.first)
        #expect(drift.table == "continuity_containers")
        #expect((drift.removed ?? 0) > 0)

        let result = try rehearse(try Self.copy("lossy-null-delete", in: dir, profile: Self.off), in: dir)
        #expect(result.record.verdict == .inconclusive)
        #expect(result.validation.verdict == .inconclusive, "\(result.validation.findings)")
        let reason = try #require(result.record.exercise?.unexercised.first)
        #expect(reason.line == 2)
        #expect(reason.reason.contains("no row of continuity_containers matched `where selfservice_flow_id is null`"))
        #expect(reason.reason.contains("has no NULLs; give it a `null_fraction`"))
    }

    /// Targeting alone (the mix off) still makes both births change data.
    @Test func targetingAloneExercisesBothPatterns() throws {
        let dir = TempDir()
        for name in ["lossy-lowercase", "lossy-null-delete"] {
            let result = try rehearse(try Self.copy(name, in: dir, profile: "edge_cases: off\n", ), in: dir)
            #expect(result.record.verdict == .fail, "\(name)")
            #expect(result.validation.isValid, "\(result.validation.findings)")
        }
    }

    /// Dropping a table that held no row destroys nothing a rollback could
    /// lose: before, this passed; now it is INCONCLUSIVE.
    @Test func droppingAnEmptyTableIsInconclusive() throws {
        let dir = TempDir()
        let url = dir.file("empty-drop")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try "name: empty-drop\nschema: schema.sql\nprofile: profile.yaml\nbirth: birth.sql\nrollback: rollback.sql\nseed: 1\nscale: 1\n"
            .write(to: url.appendingPathComponent("manifest.yaml"), atomically: true, encoding: .utf8)
        let table = "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\n"
        try replace("schema.sql", in: url, with: table + "CREATE TABLE kept (id INTEGER PRIMARY KEY);\n")
        try replace("profile.yaml", in: url, with: "tables:\n  notes: { rows: 0 }\n  kept: { rows: 5 }\n")
        try replace("birth.sql", in: url, with: "DROP TABLE notes;\n")
        try replace("rollback.sql", in: url, with: table)
        let result = try rehearse(url, in: dir)
        #expect(result.record.verdict == .inconclusive)
        #expect(result.validation.verdict == .inconclusive, "\(result.validation.findings)")
        #expect(result.record.exercise?.unexercised.first?.reason.contains("notes held no rows before birth") == true)
        #expect(result.evidence["predicate"]?["statements"]?["birth"]?.arrayValue?.first?["effect"] == "table")
    }

    @Test func sameSeedGivesTheSameEdgeCasesWithAnyJobs() throws {
        let dir = TempDir()
        var options = Rehearsal.Options()
        options.scratchParent = dir.url
        var fingerprints: [Fingerprint?] = []
        for jobs in [1, 3] {
            options.jobs = jobs
            options.outputDirectory = dir.file("run-\(jobs)")
            fingerprints.append(try Rehearsal(source: SurrogateSource(directory: Repo.surrogate("lossy-null-delete")), options: options).run().record.pre)
        }
        #expect(fingerprints[0] != nil && fingerprints[0] == fingerprints[1])
    }

    // MARK: the validator

    static func inconclusiveRun(in dir: TempDir) throws -> RunFolder {
        let result = try rehearse(try copy("lossy-null-delete", in: dir, profile: off), in: dir)
        return try RunFolder(directory: result.runDirectory)
    }

    @Test func evidenceClaimingPassForAnUnexercisedBirthIsRejected() throws {
        let dir = TempDir()
        let run = try Self.inconclusiveRun(in: dir)
        #expect(Validator().validate(run).verdict == .inconclusive)
        let forged = Forge.forge(run) { e in
            Forge.set(&e, "predicate.verdict", "PASS")
            Forge.set(&e, "predicate.unexercised", nil)
        }
        expectRejected(forged, "R17-exercised", at: "$.predicate.verdict", "claims PASS, but the birth statement at birth.sql:2 did not exercise its data change")
        // Also claiming the DELETE matched rows: the data surface is still empty.
        let deeper = Forge.forge(run) { e in
            Forge.set(&e, "predicate.verdict", "PASS")
            Forge.set(&e, "predicate.unexercised", nil)
            Forge.set(&e, "predicate.statements.birth.0.rows_changed", 7)
            Forge.set(&e, "predicate.statements.birth.0.matched_rows", 7)
        }
        expectRejected(deeper, "R17-exercised", at: "$.predicate.verdict", "matched 7 rows of continuity_containers but changed no stored value")
        // A wrong class for the statement is named too.
        let relabelled = Forge.forge(run) { e in Forge.set(&e, "predicate.statements.birth.0.effect", "schema") }
        expectRejected(relabelled, "R17-exercised", at: "$.predicate.statements.birth[0].effect", "is 'rows'")
    }

    @Test func inconclusiveCannotHideDriftOrAnExercisedBirth() throws {
        // FAIL wins: genuine lossy evidence relabelled INCONCLUSIVE.
        let lossy = Forge.forge(Forge.lossy) { e in Forge.set(&e, "predicate.verdict", "INCONCLUSIVE") }
        expectRejected(lossy, "R17-exercised", at: "$.predicate.verdict", "that is FAIL, which wins over INCONCLUSIVE")
        // A genuine PASS relabelled INCONCLUSIVE.
        let pass = Forge.forge(Forge.pass) { e in Forge.set(&e, "predicate.verdict", "INCONCLUSIVE") }
        expectRejected(pass, "R17-exercised", at: "$.predicate.verdict", "every data change of the birth was exercised")
        // An INCONCLUSIVE run relabelled FAIL.
        let dir = TempDir()
        let run = Forge.forge(try Self.inconclusiveRun(in: dir)) { e in Forge.set(&e, "predicate.verdict", "FAIL") }
        expectRejected(run, "R17-exercised", at: "$.predicate.verdict", "every fact supports INCONCLUSIVE")
    }

    // MARK: the edge-case mix

    @Test func edgeCasesStayInsideTheConstraints() throws {
        let dir = TempDir()
        let url = dir.file("mix")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try "name: mix\nschema: schema.sql\nprofile: profile.yaml\nbirth: birth.sql\nrollback: rollback.sql\nseed: 3\nscale: 1\n"
            .write(to: url.appendingPathComponent("manifest.yaml"), atomically: true, encoding: .utf8)
        try replace("schema.sql", in: url, with: """
            CREATE TABLE people (
                id INTEGER PRIMARY KEY,
                name VARCHAR(12) NOT NULL,
                nickname TEXT,
                code TEXT NOT NULL UNIQUE,
                age INTEGER CHECK (age BETWEEN 0 AND 120),
                score INTEGER NOT NULL,
                ratio REAL
            );

            """)
        try replace("profile.yaml", in: url, with: "tables:\n  people: { rows: 400 }\n")
        try replace("birth.sql", in: url, with: "CREATE INDEX people_name ON people (name);\n")
        try replace("rollback.sql", in: url, with: "DROP INDEX people_name;\n")
        _ = try SurrogateGenerator.generate(SurrogateSource(directory: url), to: dir.file("g.sqlite"))
        let db = try SQLiteConnection(path: dir.file("g.sqlite").path)
        #expect(try db.int("SELECT count(*) FROM people WHERE nickname IS NULL") == 40)          // 10% by default
        #expect(try db.int("SELECT count(*) FROM people WHERE age IS NULL OR age NOT BETWEEN 0 AND 120") == 0)  // CHECK column untouched
        #expect(try db.int("SELECT count(*) FROM people WHERE length(name) = 12 AND name LIKE '%é'") > 0)  // at the declared length
        #expect(try db.int("SELECT count(*) FROM people WHERE name <> lower(name)") > 0)          // case variants
        #expect(try db.int("SELECT count(*) FROM people WHERE name <> trim(name)") > 0)           // white space at the ends
        #expect(try db.int("SELECT count(*) FROM people WHERE name GLOB '*[^ -~]*'") > 0)         // non-ASCII
        #expect(try db.int("SELECT count(*) FROM people WHERE score <= 0") > 0)                   // 0 and negatives
        // A UNIQUE column gets only upper-case variants of its own values: still unique, even without regard to case.
        #expect(try db.int("SELECT count(*) - count(DISTINCT lower(code)) FROM people") == 0)
        #expect(try db.int("SELECT count(*) FROM people WHERE code <> lower(code)") > 0)
        #expect(try db.int("SELECT count(*) FROM people WHERE code <> trim(code)") == 0)
        // Switched off, none of it.
        try replace("profile.yaml", in: url, with: "edge_cases: off\ntables:\n  people: { rows: 400 }\n")
        _ = try SurrogateGenerator.generate(SurrogateSource(directory: url), to: dir.file("h.sqlite"))
        let off = try SQLiteConnection(path: dir.file("h.sqlite").path)
        #expect(try off.int("SELECT count(*) FROM people WHERE nickname IS NULL OR name <> trim(name) OR score < 0") == 0)
    }

    @Test(arguments: [
        ("edge_cases: maybe\n", "profile.yaml"),
        ("edge_cases: {null_fraction: 2}\n", "null_fraction must be between 0 and 0.9, not 2.0"),
        ("targeting: {share: 0.2}\n", "unknown key 'share'"),
    ])
    func badEdgeCaseSettingsAreBadInput(profile: String, message: String) throws {
        do {
            _ = try ShapeProfile(parsing: profile, file: "profile.yaml")
            Issue.record("accepted \(profile)")
        } catch let error as RehearseError {
            #expect(error.code == .badInput)
            #expect(error.message.contains(message), "\(error.message)")
        }
    }

    // MARK: classification

    @Test(arguments: [
        ("UPDATE t SET a = 1 WHERE b IS NULL", "sqlite", StatementEffect.Kind.rows),
        ("WITH moved AS (DELETE FROM t WHERE a < 3 RETURNING *) SELECT count(*) FROM moved", "postgres", .rows),
        ("INSERT OR IGNORE INTO t SELECT * FROM u", "sqlite", .rows),
        ("DO $$ BEGIN UPDATE t SET a = 2; END $$", "postgres", .opaque),
        ("SELECT backfill_everything()", "postgres", .opaque),
        ("SELECT 1", "sqlite", .schema),
        ("SELECT count(*) FROM payment WHERE lower(name) IN ('a')", "postgres", .schema),
        ("SELECT count(*), \"my_fn\"(1) FROM payment", "postgres", .opaque),
        ("EXPLAIN ANALYZE DELETE FROM t", "postgres", .opaque),
        ("CALL migrate()", "postgres", .opaque),
        ("REFRESH MATERIALIZED VIEW mv", "postgres", .opaque),
        ("FROBNICATE t", "sqlite", .opaque),
        ("ALTER TABLE ONLY public.t ALTER COLUMN a TYPE bigint USING a::bigint", "postgres", .table),
        ("ALTER TABLE t DROP COLUMN a", "sqlite", .table),
        ("ALTER TABLE t DROP CONSTRAINT t_a_check", "postgres", .schema),
        ("TRUNCATE TABLE a, b", "postgres", .table),
        ("CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE u SET n = n + 1; END", "sqlite", .schema),
        ("CREATE INDEX i ON t (a)", "postgres", .schema),
    ])
    func statementsAreClassifiedAndHiddenWritesAreNotSchema(sql: String, dialect: String, kind: StatementEffect.Kind) {
        #expect(StatementEffect.classify(sql, dialect: Dialect(rawValue: dialect)!).kind == kind, "\(sql)")
    }

    @Test func targetsReadTheBirthsPredicates() throws {
        let birth = SQLScript(displayPath: "birth.sql", url: URL(fileURLWithPath: "/dev/null"), text: """
            UPDATE accounts SET email = LOWER(email) WHERE status = 'legacy' AND tier IN ('a', 'b');
            DELETE FROM sessions WHERE flow_id IS NULL OR created < 100 OR name LIKE 'tmp_%';

            """, sha256: "")
        let targets = BirthTargets(birth: birth, dialect: .sqlite)
        #expect(targets.column(table: "accounts", column: "email")?.caseFold == true)
        #expect(targets.column(table: "accounts", column: "status")?.values == [.text("legacy")])
        #expect(targets.column(table: "accounts", column: "tier")?.values == [.text("a"), .text("b")])
        #expect(targets.column(table: "sessions", column: "flow_id")?.nulls == true)
        #expect(targets.column(table: "sessions", column: "created")?.values == [.integer(99), .integer(100)])
        #expect(targets.column(table: "sessions", column: "name")?.values == [.text("tmpEdge")])
    }
}
