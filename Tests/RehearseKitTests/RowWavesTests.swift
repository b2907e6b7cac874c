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

/// `RowWaves`, the background workers behind both loaders: each wave's
/// batches come back in row order, every row of the table exactly once, no
/// batch larger than asked, nothing past the last row, and the values are
/// the same whatever the number of workers or the batch size.
@Suite struct RowWavesTests {
    /// The plan of a one-table schema with `rows` rows (real schema reading
    /// and planning, no stand-in).
    static func table(rows: Int64, seed: UInt64 = 7) throws -> TablePlan {
        let shapes = try SQLiteSchemaShapes.read(schema: "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL, note TEXT);")
        let plan = try SurrogatePlan(shapes: shapes, profile: ShapeProfile(tables: [:], defaultRows: rows), seed: seed, scale: 1, profileFile: "profile.yaml")
        let t = try #require(plan.tables.first)
        #expect(t.rows == rows)
        return t
    }

    /// Every wave in turn until the first empty one, as the loaders walk them.
    static func walk<Output>(_ waves: RowWaves<Output>) -> [[RowWaves<Output>.Part]] {
        var result: [[RowWaves<Output>.Part]] = []
        var wave = 0
        var pending = waves.start(0)
        while let parts = pending.wait() {
            result.append(parts)
            wave += 1
            pending = waves.start(wave)
        }
        return result
    }

    @Test(arguments: [(0, 1, 1), (1, 1, 1), (1, 4, 10), (10, 1, 3), (10, 3, 3), (11, 2, 5), (100, 4, 25), (101, 4, 25), (99, 8, 1), (1000, 3, 7)] as [(Int64, Int, Int64)])
    func everyRowExactlyOnceInOrderWithinBounds(_ rows: Int64, _ jobs: Int, _ batch: Int64) throws {
        let table = try Self.table(rows: rows)
        let calls = CallCounter(), strangers = CallCounter()
        let waves = RowWaves(table: table, jobs: jobs, batch: batch) { t, range in
            calls.add()
            if t !== table { strangers.add() }
            return range
        }
        let walked = Self.walk(waves)
        let parts = walked.flatMap { $0 }
        // Each part's output is what `make` computed for exactly its rows.
        #expect(parts.allSatisfy { $0.output == $0.rows })
        // Contiguous from row 0 to the last, each row once, in order.
        var next: Int64 = 0
        for p in parts {
            #expect(p.rows.lowerBound == next, "gap or overlap at \(p.rows)")
            #expect(!p.rows.isEmpty)
            #expect(Int64(p.rows.count) <= batch)
            next = p.rows.upperBound
        }
        #expect(next == rows)
        // Full batches but the last; at most `jobs` batches a wave, and every
        // wave but the last full.
        #expect(parts.dropLast().allSatisfy { Int64($0.rows.count) == batch })
        #expect(walked.allSatisfy { $0.count <= jobs })
        #expect(walked.dropLast().allSatisfy { $0.count == jobs })
        let expectedParts = Int((rows + batch - 1) / batch)
        #expect(parts.count == expectedParts)
        #expect(walked.count == (expectedParts + jobs - 1) / jobs)
        #expect(calls.value == expectedParts, "make runs once per batch")
        #expect(strangers.value == 0, "make is handed the waves' own table")
    }

    @Test func wavesPastTheEndAreEmpty() throws {
        let table = try Self.table(rows: 10)
        let waves = RowWaves(table: table, jobs: 2, batch: 5) { _, range in range }
        #expect(waves.start(0).wait()?.map(\.rows) == [0..<5, 5..<10])
        for wave in [1, 2, 100] {
            #expect(waves.start(wave).wait() == nil, "wave \(wave)")
        }
        // A wave may be started again: the same rows, computed afresh.
        #expect(waves.start(0).wait()?.map(\.rows) == [0..<5, 5..<10])
        let empty = RowWaves(table: try Self.table(rows: 0), jobs: 4, batch: 100) { _, range in range }
        #expect(empty.start(0).wait() == nil)
    }

    @Test func valuesAreTheSameForAnyJobsAndBatch() throws {
        let table = try Self.table(rows: 777)
        let expected = table.values(0..<777)
        #expect(expected.count == 777 * table.columns.count)
        for (jobs, batch) in [(1, 777), (1, 1000), (2, 100), (3, 64), (8, 5), (16, 1)] as [(Int, Int64)] {
            let waves = RowWaves(table: table, jobs: jobs, batch: batch) { t, range in t.values(range) }
            let values = Self.walk(waves).flatMap { $0 }.flatMap(\.output)
            #expect(values == expected, "jobs \(jobs), batch \(batch)")
        }
    }

    @Test func theSameSeedGivesTheSameRowsAndAnotherSeedOthers() throws {
        func rows(_ seed: UInt64) throws -> [DatabaseValue] {
            let waves = RowWaves(table: try Self.table(rows: 300, seed: seed), jobs: 3, batch: 50) { t, range in t.values(range) }
            return Self.walk(waves).flatMap { $0 }.flatMap(\.output)
        }
        #expect(try rows(1) == rows(1))
        #expect(try rows(1) != rows(2))
    }

    @Test func anAbandonedWaveLetsItsWorkersFinish() throws {
        let table = try Self.table(rows: 40)
        let finished = CallCounter()
        let waves = RowWaves(table: table, jobs: 4, batch: 10) { _, range in
            usleep(20_000)
            finished.add()
            return range
        }
        // Cancelled: the workers already running complete before it returns.
        let pending = waves.start(0)
        pending.cancel()
        #expect(finished.value == 4)
        // Dropped without waiting: the workers keep their wave alive and
        // finish into its slots (no use after free), then it goes.
        do { _ = waves.start(0) }
        for _ in 0..<500 where finished.value < 8 { usleep(10_000) }
        #expect(finished.value == 8)
    }
}

/// A thread-safe count of calls from the workers.
final class CallCounter: @unchecked Sendable {
    // @unchecked: `count` is touched only under `lock`.
    private let lock = NSLock()
    private var count = 0
    func add() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}
