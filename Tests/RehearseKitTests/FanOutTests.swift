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
