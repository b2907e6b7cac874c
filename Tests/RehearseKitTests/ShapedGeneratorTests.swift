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
func shapedSurrogate(_ dir: TempDir, schema: String, profile: String, name: String = "s",
                     birth: String = "SELECT 1;\n", rollback: String = "SELECT 1;\n", seed: Int? = nil) -> URL {
    dir.write("\(name)/manifest.yaml", "name: shaped\nschema: schema.sql\nprofile: profile.yaml\nbirth: birth.sql\nrollback: rollback.sql\n"
              + (seed.map { "seed: \($0)\nscale: 1\n" } ?? ""))
    dir.write("\(name)/schema.sql", schema)
    dir.write("\(name)/profile.yaml", profile)
    dir.write("\(name)/birth.sql", birth)
    dir.write("\(name)/rollback.sql", rollback)
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
