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
