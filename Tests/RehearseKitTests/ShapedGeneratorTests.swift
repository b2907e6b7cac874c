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

/// A throwaway surrogate folder from a schema and a profile.
func shapedSurrogate(_ dir: TempDir, schema: String, profile: String, name: String = "s") -> URL {
    dir.write("\(name)/manifest.yaml", "name: shaped\nschema: schema.sql\nprofile: profile.yaml\nbirth: birth.sql\nrollback: rollback.sql\n")
    dir.write("\(name)/schema.sql", schema)
    dir.write("\(name)/profile.yaml", profile)
    dir.write("\(name)/birth.sql", "SELECT 1;\n")
    dir.write("\(name)/rollback.sql", "SELECT 1;\n")
    return dir.file(name)
}

func generateShaped(_ dir: TempDir, schema: String, profile: String, jobs: Int = 2, file: String = "g.sqlite") throws -> SQLiteConnection {
    _ = try SurrogateGenerator.generate(SurrogateSource(directory: shapedSurrogate(dir, schema: schema, profile: profile)), seed: 11,
                                        to: dir.file(file), jobs: jobs)
    return try SQLiteConnection(path: dir.file(file).path)
}

extension SQLiteConnection {
    func doubles(_ sql: String) throws -> [Double] {
        try rows(sql).compactMap { row -> Double? in
            switch row[0] {
            case .integer(let i): Double(i)
            case .real(let d): d
            default: nil
            }
        }
    }
}

func meanAndDeviation(_ xs: [Double]) -> (mean: Double, sd: Double) {
    let mean = xs.reduce(0, +) / Double(xs.count)
    let variance = xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(xs.count - 1)
    return (mean, variance.squareRoot())
}

/// Σ k^-s for k in 1...n: the Zipf normaliser.
func harmonic(_ n: Int, _ s: Double) -> Double { (1...n).reduce(0) { $0 + pow(Double($1), -s) } }

@Suite struct ShapedGeneratorTests {
    @Test func normalMeetsItsMeanAndDeviationAndBounds() throws {
        let dir = TempDir()
        let db = try generateShaped(dir, schema: "CREATE TABLE m (id INTEGER PRIMARY KEY, whole INTEGER NOT NULL, part REAL NOT NULL);\n", profile: """
            tables:
              m:
                rows: 20000
                columns:
                  whole: { generator: normal, mean: 500, stddev: 50 }
                  part: { generator: normal, mean: 10, stddev: 5, min: 0, max: 20, decimals: 1 }
            """)
        let whole = meanAndDeviation(try db.doubles("SELECT whole FROM m"))
        #expect(abs(whole.mean - 500) < 2, "mean \(whole.mean)")
        #expect(abs(whole.sd - 50) < 2, "stddev \(whole.sd)")
        #expect(try db.int("SELECT count(*) FROM m WHERE typeof(whole) <> 'integer' OR typeof(part) <> 'real'") == 0)
        #expect(try db.int("SELECT count(*) FROM m WHERE part < 0 OR part > 20 OR part * 10 <> round(part * 10)") == 0)
        // Clamping to ±2 sd hardly moves the mean; redrawing keeps the bounds from piling up.
        let part = meanAndDeviation(try db.doubles("SELECT part FROM m"))
        #expect(abs(part.mean - 10) < 0.2, "mean \(part.mean)")
        #expect(try db.int("SELECT count(*) FROM m WHERE part IN (0, 20)") < 200)
    }

    @Test func logNormalFromMedianAndSpread() throws {
        let dir = TempDir()
        let db = try generateShaped(dir, schema: "CREATE TABLE l (id INTEGER PRIMARY KEY, amount REAL NOT NULL, other REAL NOT NULL);\n", profile: """
            tables:
              l:
                rows: 20000
                columns:
                  amount: { generator: log-normal, median: 100, spread: 2, decimals: 4 }
                  other: { generator: log-normal, mu: 0, sigma: 0.5, max: 3 }
            """)
        let logs = try db.doubles("SELECT amount FROM l").map { Foundation.log($0) }
        let (mu, sigma) = meanAndDeviation(logs)
        #expect(abs(mu - Foundation.log(100)) < 0.03, "mu \(mu)")
        #expect(abs(sigma - Foundation.log(2)) < 0.02, "sigma \(sigma)")
        let sorted = try db.doubles("SELECT amount FROM l ORDER BY amount")
        #expect(abs(sorted[sorted.count / 2] - 100) < 4, "median \(sorted[sorted.count / 2])")
        #expect(try db.int("SELECT count(*) FROM l WHERE other <= 0 OR other > 3") == 0)
    }

    @Test func zipfRankOneShareMatchesTheory() throws {
        let dir = TempDir()
        let db = try generateShaped(dir, schema: "CREATE TABLE z (id INTEGER PRIMARY KEY, k INTEGER NOT NULL, r REAL NOT NULL);\n", profile: """
            tables:
              z:
                rows: 20000
                columns:
                  k: { generator: zipf, n: 100, exponent: 1.2 }
                  r: { generator: zipf, n: 1000000, exponent: 1 }
            """)
        let expected = 1 / harmonic(100, 1.2)
        let share1 = Double(try db.int("SELECT count(*) FROM z WHERE k = 1")) / 20000
        let share2 = Double(try db.int("SELECT count(*) FROM z WHERE k = 2")) / 20000
        #expect(abs(share1 - expected) < 0.015, "rank-1 share \(share1), expected \(expected)")
        #expect(abs(share2 - expected * pow(2, -1.2)) < 0.012, "rank-2 share \(share2)")
        #expect(try db.int("SELECT count(*) FROM z WHERE k NOT BETWEEN 1 AND 100") == 0)
        #expect(try db.int("SELECT count(*) FROM z WHERE typeof(r) <> 'real' OR r < 1 OR r > 1000000") == 0)
        // A million ranks with s = 1: rank 1 holds 1/H(10^6) ≈ 6.95%.
        let big = Double(try db.int("SELECT count(*) FROM z WHERE r = 1")) / 20000
        #expect(abs(big - 0.0695) < 0.01, "rank-1 share over 10^6 values \(big)")
    }

    @Test(arguments: [(5, 2.0), (7, 0.5), (3, 1.0)])
    func zipfSamplerMatchesEveryProbability(n: Int, s: Double) {
        let sampler = ZipfSampler(n: Int64(n), exponent: s)
        let rng = CounterRandom(seed: 3, table: "z", column: "k")
        var counts = Array(repeating: 0, count: n + 1)
        let draws = 100_000
        for row in 0..<Int64(draws) { counts[Int(sampler.sample(rng, row, stream: 8))] += 1 }
        #expect(counts[0] == 0)
        let h = harmonic(n, s)
        for k in 1...n {
            let p = pow(Double(k), -s) / h
            #expect(abs(Double(counts[k]) / Double(draws) - p) < 0.006, "n \(n), s \(s), k \(k): \(Double(counts[k]) / Double(draws)) vs \(p)")
        }
    }

    @Test func seasonalTimestampsPeakAtTheirHourAndSkipAZeroWeekday() throws {
        let dir = TempDir()
        var hours = Array(repeating: "1", count: 24)
        hours[14] = "20"
        let db = try generateShaped(dir, schema: "CREATE TABLE e (id INTEGER PRIMARY KEY, at TEXT NOT NULL, epoch INTEGER NOT NULL);\n", profile: """
            tables:
              e:
                rows: 10000
                columns:
                  at: { generator: timestamp, from: "2024-01-01", to: "2024-03-01", hour_weights: [\(hours.joined(separator: ", "))], weekday_weights: [1, 1, 1, 1, 1, 3, 0] }
                  epoch: { generator: timestamp, from: "2024-01-01", to: "2024-01-08", weekday_weights: [0, 0, 1, 0, 0, 0, 0] }
            """)
        let histogram = try db.rows("SELECT CAST(strftime('%H', at) AS INTEGER) AS h, count(*) FROM e GROUP BY h ORDER BY count(*) DESC")
        #expect(histogram.first?[0] == .integer(14))
        let peak = Double(try db.int("SELECT count(*) FROM e WHERE strftime('%H', at) = '14'")) / 10000
        #expect(abs(peak - 20.0 / 43) < 0.03, "hour-14 share \(peak)")
        #expect(try db.int("SELECT count(*) FROM e WHERE strftime('%w', at) = '0'") == 0, "Sunday has weight 0")
        // 60 days from a Monday: Monday to Thursday occur 9 times, the rest 8.
        // Saturday weighs 3 against 1 for each weekday: 8·3 / (4·9 + 8 + 8·3).
        let saturday = Double(try db.int("SELECT count(*) FROM e WHERE strftime('%w', at) = '6'")) / 10000
        #expect(abs(saturday - 24.0 / 68) < 0.03, "Saturday share \(saturday)")
        #expect(try db.int("SELECT count(*) FROM e WHERE at < '2024-01-01' OR at >= '2024-03-01'") == 0)
        // Only Wednesday 2024-01-03 carries weight in the first week; INTEGER columns get epoch seconds.
        #expect(try db.int("SELECT count(*) FROM e WHERE date(epoch, 'unixepoch') <> '2024-01-03'") == 0)
    }

    @Test func shapedGeneratorsRefuseBadParameters() {
        let dir = TempDir()
        for (n, (column, message)) in [
            ("{ generator: normal, mean: 1 }", "needs 'stddev'"),
            ("{ generator: log-normal, median: 0, spread: 2 }", "median must be above 0"),
            ("{ generator: log-normal, mu: 1, sigma: 1, median: 3, spread: 2 }", "either mu and sigma, or median and spread"),
            ("{ generator: zipf, n: 0 }", "n must be 1 or more"),
            ("{ generator: timestamp, from: \"2024-01-01\", to: \"2024-02-01\", hour_weights: [1, 2] }", "exactly 24 numbers"),
            ("{ generator: timestamp, from: \"2024-01-01\", to: \"2024-01-02\", weekday_weights: [0, 1, 0, 0, 0, 0, 0] }", "no second between"),
            ("{ generator: normal, mean: 1, stddev: 1, min: 0.2, max: 0.8 }", "no whole number"),
        ].enumerated() {
            let url = shapedSurrogate(dir, schema: "CREATE TABLE t (id INTEGER PRIMARY KEY, x INTEGER);\n",
                                      profile: "tables:\n  t:\n    rows: 10\n    columns:\n      x: \(column)\n", name: "bad\(n)")
            do {
                _ = try SurrogateGenerator.generate(SurrogateSource(directory: url), to: dir.file("bad\(n).sqlite"))
                Issue.record("\(column) was accepted")
            } catch let e as RehearseError {
                #expect(e.code == .badInput)
                #expect(e.message.contains(message), "\(e.message)")
            } catch {
                Issue.record("\(error)")
            }
        }
    }
}

@Suite struct FanOutTests {
    static let schema = """
        CREATE TABLE parent (id INTEGER PRIMARY KEY);
        CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id));
        """

    func children(_ db: SQLiteConnection) throws -> [Int64] {
        try db.rows("SELECT count(c.id) FROM parent p LEFT JOIN child c ON c.parent_id = p.id GROUP BY p.id ORDER BY 1 DESC")
            .map { $0[0].int64 ?? -1 }
    }

    @Test func zipfFanOutGivesTheTopParentItsShare() throws {
        let dir = TempDir()
        let db = try generateShaped(dir, schema: Self.schema, profile: """
            tables:
              parent: { rows: 100 }
              child:
                rows: 10000
                foreign_keys:
                  - { columns: [parent_id], distribution: zipf, exponent: 1.1 }
            """)
        let counts = try children(db)
        let expected = 1 / harmonic(100, 1.1)
        let top = Double(counts[0]) / 10000
        #expect(abs(top - expected) < 0.02, "top parent share \(top), expected \(expected)")
        // The popular parents are scattered over the key space, not ids 1, 2, 3.
        #expect(try db.int("SELECT parent_id FROM child GROUP BY parent_id ORDER BY count(*) DESC LIMIT 1") != 1)
        #expect(try db.rows("PRAGMA foreign_key_check").isEmpty)
    }

    @Test func minAndMaxChildrenAndNullShareHoldExactly() throws {
        let dir = TempDir()
        let db = try generateShaped(dir, schema: Self.schema, profile: """
            tables:
              parent: { rows: 100 }
              child:
                rows: 5000
                foreign_keys:
                  - { columns: [parent_id], min_children: 10, max_children: 80, null_fraction: 0.1 }
            """)
        #expect(try db.int("SELECT count(*) FROM child WHERE parent_id IS NULL") == 500)
        let counts = try children(db)
        #expect(counts.count == 100)
        #expect(counts.allSatisfy { (10...80).contains($0) }, "\(counts)")
        // Uniform: spread around 45 rather than all equal.
        #expect(counts.first! > counts.last!)
        // The fidelity report measures the same, beside the profile.
        let source = try SurrogateSource(directory: dir.file("s"))
        let report = try SQLiteFidelity.measure(file: dir.file("g.sqlite"), profile: source.loadProfile(dialect: "sqlite"),
                                                rows: ["parent": 100, "child": 5000])
        let fanOut = report.filter { $0.subject == "child(parent_id) → parent" }
        #expect(fanOut.map(\.metric) == ["children per parent", "null fraction"])
        #expect(fanOut.allSatisfy { $0.withinTolerance })
        #expect(fanOut.first?.target == "10...80")
    }

    @Test func cappedZipfFillsThePopularParentsUpToTheCap() throws {
        let dir = TempDir()
        let db = try generateShaped(dir, schema: Self.schema, profile: """
            tables:
              parent: { rows: 100 }
              child:
                rows: 3000
                foreign_keys:
                  - { columns: [parent_id], distribution: zipf, exponent: 1.5, min_children: 1, max_children: 60 }
            """)
        let counts = try children(db)
        #expect(counts.reduce(0, +) == 3000)
        #expect(counts.allSatisfy { (1...60).contains($0) }, "\(counts)")
        #expect(counts[0] == 60 && counts[1] == 60, "the most popular parents reach the cap: \(counts.prefix(5))")
        #expect(counts[99] < counts[10])
    }

    @Test func impossibleFanOutsAreClearErrors() {
        let dir = TempDir()
        for (n, (entry, message)) in [
            ("{ columns: [parent_id], min_children: 60 }", "min_children 60 for each of 100 parents"),
            ("{ columns: [parent_id], max_children: 10 }", "allows at most 1000 children"),
            ("{ columns: [id], distribution: zipf }", "matches no foreign key"),
            ("{ columns: [parent_id], distribution: pareto }", "unknown distribution 'pareto'"),
        ].enumerated() {
            let url = shapedSurrogate(dir, schema: Self.schema, profile: """
                tables:
                  parent: { rows: 100 }
                  child:
                    rows: 5000
                    foreign_keys:
                      - \(entry)
                """, name: "f\(n)")
            do {
                _ = try SurrogateGenerator.generate(SurrogateSource(directory: url), to: dir.file("f\(n).sqlite"))
                Issue.record("\(entry) was accepted")
            } catch let e as RehearseError {
                #expect(e.code == .badInput && e.code.exitStatus == 2)
                #expect(e.message.contains(message), "\(e.message)")
            } catch {
                Issue.record("\(error)")
            }
        }
    }
}

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

@Suite struct ForeignKeyCycleTests {
    static let schema = """
        CREATE TABLE departments (id INTEGER PRIMARY KEY, name TEXT NOT NULL, manager_id INTEGER REFERENCES employees (id));
        CREATE TABLE employees (id INTEGER PRIMARY KEY, department_id INTEGER NOT NULL REFERENCES departments (id));
        CREATE TABLE a (id INTEGER PRIMARY KEY, b_id INTEGER NOT NULL REFERENCES b (id));
        CREATE TABLE b (id INTEGER PRIMARY KEY, c_code TEXT NOT NULL REFERENCES c (code));
        CREATE TABLE c (code TEXT PRIMARY KEY, a_id INTEGER REFERENCES a (id));
        """
    static let profile = """
        tables:
          departments:
            rows: 40
            columns:
              manager_id: { null_fraction: 0.25 }
            foreign_keys:
              - { columns: [manager_id], max_children: 1 }
          employees: { rows: 500 }
          a: { rows: 30 }
          b: { rows: 20 }
          c: { rows: 10 }
        """

    @Test func aNullableEdgeIsFilledAfterLoading() throws {
        let dir = TempDir()
        let db = try generateShaped(dir, schema: Self.schema, profile: Self.profile)
        #expect(try db.rows("PRAGMA foreign_key_check").isEmpty)
        #expect(try db.int("SELECT count(*) FROM departments WHERE manager_id IS NULL") == 10)
        // max_children 1 on the deferred edge: 30 managers, all different.
        #expect(try db.int("SELECT count(DISTINCT manager_id) FROM departments") == 30)
        #expect(try db.int("SELECT count(*) FROM c WHERE a_id IS NULL") == 0)
        #expect(try db.int("SELECT count(*) FROM c JOIN a ON a.id = c.a_id") == 10)
    }

    @Test func thePlanListsTheDeferredForeignKeys() throws {
        let dir = TempDir()
        let db = try SQLiteConnection(path: dir.file("schema.sqlite").path)
        try db.execute(Self.schema)
        let shapes = try SQLiteSchemaReader(db: db).tables()
        let plan = try SurrogatePlan(shapes: shapes, profile: ShapeProfile(parsing: Self.profile, file: "p.yaml"), seed: 1, scale: 1, profileFile: "p.yaml")
        let deferred = plan.deferredForeignKeys.map { "\($0.table)(\($0.columns.joined())) → \($0.parentTable) by \($0.keyColumns.joined())" }
        #expect(deferred.sorted() == ["c(a_id) → a by code", "departments(manager_id) → employees by id"])
        let c = try #require(plan.deferredForeignKeys.first { $0.table == "c" })
        let table = try #require(plan.tables.first { $0.name == "c" })
        // Inserted NULL, then set; the key matches the inserted row.
        #expect(table.value(1, row: 3) == .null)
        #expect(c.key(row: 3) == [table.value(0, row: 3)])
        #expect(c.values(row: 3)?.count == 1)
    }
}

@Suite struct ShapedDeterminismTests {
    @Test func jobsOneAndThreeGiveIdenticalFingerprints() throws {
        let dir = TempDir()
        let schema = CheckDomainTests.schema + "\n" + ForeignKeyCycleTests.schema + """

            CREATE TABLE events (id INTEGER PRIMARY KEY, t_id INTEGER REFERENCES t (id), at TEXT NOT NULL, amount REAL, size INTEGER, popularity INTEGER);
            """
        let profile = ForeignKeyCycleTests.profile + """

              t: { rows: 9000 }
              events:
                rows: 12000
                columns:
                  at: { generator: timestamp, from: "2024-01-01", to: "2025-01-01", hour_weights: [1, 1, 1, 1, 1, 1, 2, 3, 4, 5, 5, 5, 5, 5, 5, 5, 5, 4, 3, 2, 2, 2, 1, 1], weekday_weights: [5, 5, 5, 5, 5, 2, 1] }
                  amount: { generator: log-normal, median: 40, spread: 3 }
                  size: { generator: normal, mean: 10, stddev: 3, min: 1 }
                  popularity: { generator: zipf, n: 5000, exponent: 1.05 }
                foreign_keys:
                  - { columns: [t_id], distribution: zipf, exponent: 0.9, max_children: 40, null_fraction: 0.05 }
            """
        let url = shapedSurrogate(dir, schema: schema, profile: profile)
        let source = try SurrogateSource(directory: url)
        _ = try SurrogateGenerator.generate(source, seed: 5, to: dir.file("one.sqlite"), jobs: 1)
        _ = try SurrogateGenerator.generate(source, seed: 5, to: dir.file("three.sqlite"), jobs: 3)
        _ = try SurrogateGenerator.generate(source, seed: 6, to: dir.file("other.sqlite"), jobs: 3)
        let one = try SQLiteFingerprint.of(file: dir.file("one.sqlite"))
        #expect(one == (try SQLiteFingerprint.of(file: dir.file("three.sqlite"))))
        #expect(one.dataDigest != (try SQLiteFingerprint.of(file: dir.file("other.sqlite"))).dataDigest)
    }
}
