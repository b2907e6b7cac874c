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

@Suite struct CheckDomainTests {
    static let schema = #"""
        CREATE TABLE t (
            id        INTEGER PRIMARY KEY CHECK (id > 0),
            qty       INTEGER NOT NULL CHECK (qty BETWEEN 5 AND 9),
            price     REAL    NOT NULL CHECK (price > 0 AND price < 2.5),
            level     INTEGER NOT NULL CHECK (level >= 100),
            below     INTEGER NOT NULL CHECK (-10 > below),
            status    TEXT    NOT NULL CHECK (status IN ('new', 'done', 'x') AND length(status) >= 3),
            code      TEXT    NOT NULL CHECK (length(code) = 3),
            label     TEXT    CHECK (label IS NULL OR length(label) BETWEEN 12 AND 14),
            is_active INTEGER NOT NULL CHECK (is_active IN (0, 1)),
            starts_at TEXT    NOT NULL,
            ends_at   TEXT    NOT NULL,
            lo        INTEGER NOT NULL,
            hi        INTEGER NOT NULL,
            "Weird ""Name""" INTEGER CHECK ("Weird ""Name""" <= 3 AND "Weird ""Name""" >= 1),
            seen_at   INTEGER NOT NULL CHECK (seen_at > 0),
            CHECK (ends_at > starts_at),
            CONSTRAINT ordered CHECK (hi >= lo)
        );
        """#

    @Test func checksAreReadFromTheCreateTableStatement() {
        let checks = CheckDomains.checks(inCreateTable: Self.schema)
        #expect(checks.count == 13)
        #expect(checks.first == "id > 0")
        #expect(checks.contains("hi >= lo"))
        let d = CheckDomains.domains(checks)
        #expect(d["qty"]?.integerRange.lo == 5 && d["qty"]?.integerRange.hi == 9)
        #expect(d["below"]?.upper?.value == -10 && d["below"]?.upper?.inclusive == false)
        #expect(d["status"]?.allowed == [.text("new"), .text("done"), .text("x")])
        #expect(d["label"]?.minLength == 12 && d["label"]?.maxLength == 14)
        #expect(d["weird \"name\""]?.integerRange.hi == 3)
        #expect(d["ends_at"]?.relations.first?.op == ">" && d["starts_at"]?.relations.first?.op == "<")
    }

    @Test func postgresqlConstraintDefinitionsParseToo() {
        // As pg_get_constraintdef writes them, without the leading CHECK.
        let d = CheckDomains.domains([
            "((status)::text = ANY ((ARRAY['new'::character varying, 'done'::character varying])::text[]))",
            "((price_cents > 0) AND (price_cents <= 100000))",
            "((length((code)::text) = 3))",
            "((shipped_at IS NULL) OR (shipped_at >= placed_at))",
            "((ratio)::numeric BETWEEN 0.5 AND 1.5)",
        ])
        #expect(d["status"]?.allowed == [.text("new"), .text("done")])
        #expect(d["price_cents"]?.integerRange.lo == 1 && d["price_cents"]?.integerRange.hi == 100000)
        #expect(d["shipped_at"]?.relations.first.map { "\($0.op) \($0.column)" } == ">= placed_at")
        #expect(d["ratio"]?.lower?.value == 0.5 && d["ratio"]?.upper?.value == 1.5)
        // OR of equalities on one column is a list; an unknown predicate
        // (GLOB) is skipped without losing the rest; CASE drops the whole CHECK.
        let more = CheckDomains.domains([
            "kind = 'a' OR kind IN ('b', 'c') OR 'd' = kind",
            "sku GLOB '[A-Z]*' AND length(sku) = 8 AND stock >= 0",
            "CASE WHEN a > 0 THEN b > 0 ELSE 1 END AND c > 0",
        ])
        #expect(more["kind"]?.allowed == [.text("a"), .text("b"), .text("c"), .text("d")])
        #expect(more["sku"]?.minLength == 8 && more["sku"]?.maxLength == 8)
        #expect(more["stock"]?.lower?.value == 0)
        #expect(more["a"] == nil && more["b"] == nil && more["c"] == nil)
        #expect(d["code"]?.minLength == 3 && d["code"]?.maxLength == 3)
    }

    @Test func everyCheckHoldsWithInferredGenerators() throws {
        let dir = TempDir()
        // Nothing about the columns in the profile: every value comes from the CHECKs.
        let db = try generateShaped(dir, schema: Self.schema, profile: "tables:\n  t: { rows: 3000 }\n")
        #expect(try db.int("SELECT count(*) FROM t") == 3000)
        #expect(try db.int("SELECT count(DISTINCT qty) FROM t") == 5)
        #expect(try db.int("SELECT count(*) FROM t WHERE price <= 0 OR price >= 2.5 OR typeof(price) <> 'real'") == 0)
        #expect(try db.int("SELECT count(*) FROM t WHERE level < 100 OR below >= -10") == 0)
        #expect(try db.rows("SELECT DISTINCT status FROM t ORDER BY 1").map { $0[0] } == [.text("done"), .text("new")])
        #expect(try db.int("SELECT count(*) FROM t WHERE length(code) <> 3") == 0)
        #expect(try db.int("SELECT count(*) FROM t WHERE length(label) NOT BETWEEN 12 AND 14") == 0)
        #expect(try db.int("SELECT count(DISTINCT is_active) FROM t") == 2)
        #expect(try db.int("SELECT count(*) FROM t WHERE ends_at <= starts_at OR hi < lo") == 0)
        #expect(try db.int("SELECT count(*) FROM t WHERE hi > lo") > 1000, "hi follows lo with a spread, not always equal")
        #expect(try db.int("SELECT count(DISTINCT \"Weird \"\"Name\"\"\") FROM t") == 3)
        // An epoch column whose inferred timestamps already meet its CHECK keeps them.
        #expect(try db.int("SELECT count(*) FROM t WHERE seen_at < 1577836800 OR seen_at >= 1767225600") == 0)
        // The timestamps stay timestamps: ends_at parses and is within 30 days.
        #expect(try db.int("SELECT count(*) FROM t WHERE julianday(ends_at) - julianday(starts_at) NOT BETWEEN 0 AND 30") == 0)
    }

    @Test func aProfileGeneratorStillWinsOverTheCheck() throws {
        let dir = TempDir()
        let db = try generateShaped(dir, schema: Self.schema, profile: """
            tables:
              t:
                rows: 100
                columns:
                  qty: { generator: constant, value: 7 }
                  hi: { generator: uniform, min: 5000, max: 6000 }
                  lo: { generator: uniform, min: 0, max: 10 }
            """)
        #expect(try db.int("SELECT count(DISTINCT qty) FROM t") == 1)
        #expect(try db.int("SELECT min(hi) >= 5000 FROM t") == 1)
    }

    @Test(arguments: [
        ("x INTEGER CHECK (x > 10 AND x < 5)", "CHECK (x > 10 AND x < 5) cannot be satisfied"),
        ("x INTEGER CHECK (x > 1 AND x < 2)", "no whole number"),
        ("x TEXT CHECK (x IN ('a', 'bb') AND length(x) = 3)", "no value of the list"),
        ("x TEXT CHECK (length(x) BETWEEN 5 AND 2)", "at least 5 and at most 2"),
    ])
    func anUnsatisfiableCheckIsAClearError(column: String, message: String) throws {
        let dir = TempDir()
        let url = shapedSurrogate(dir, schema: "CREATE TABLE t (id INTEGER PRIMARY KEY, \(column));\n", profile: "tables:\n  t: { rows: 10 }\n")
        do {
            _ = try SurrogateGenerator.generate(SurrogateSource(directory: url), to: dir.file("g.sqlite"))
            Issue.record("accepted")
        } catch let e as RehearseError {
            #expect(e.code == .badInput && e.code.exitStatus == 2)
            #expect(e.message.contains(message), "\(e.message)")
            #expect(e.message.contains("table t, column x"))
            #expect(e.message.contains("tables:\n    t:\n      columns:\n        x: { generator:"), "\(e.message)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.file("g.sqlite").path))
    }
}
