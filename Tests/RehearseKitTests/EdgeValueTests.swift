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

/// Issue 11 item 2, time and number edge cases on SQLite: the mix writes the
/// epoch, a leap day, both sides of a DST change, full microseconds, year
/// 9999 and the 64-bit bounds, in the format the generator writes; a birth
/// that truncates or clamps them with an empty rollback FAILs naming the column.
@Suite struct EdgeValueTests {
    static let schema = """
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            created_at TEXT NOT NULL,
            seen_at INTEGER,
            qty INTEGER NOT NULL,
            ratio REAL,
            capped INTEGER CHECK (capped BETWEEN 0 AND 10)
        );

        """

    /// A surrogate of one `events` table whose birth is `birth` and rollback empty.
    static func surrogate(in dir: TempDir, name: String, birth: String, profile extra: String = "") throws -> URL {
        let url = dir.file(name)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try "name: \(name)\nschema: schema.sql\nprofile: profile.yaml\nbirth: birth.sql\nrollback: rollback.sql\nseed: 5\nscale: 1\n"
            .write(to: url.appendingPathComponent("manifest.yaml"), atomically: true, encoding: .utf8)
        try replace("schema.sql", in: url, with: schema)
        try replace("profile.yaml", in: url, with: extra + "tables:\n  events: { rows: 400 }\n")
        try replace("birth.sql", in: url, with: birth)
        try replace("rollback.sql", in: url, with: "-- nothing to undo\n")
        return url
    }

    @Test func timeAndNumberEdgesAreWrittenInTheGeneratorsFormat() throws {
        let dir = TempDir()
        let url = try Self.surrogate(in: dir, name: "mix", birth: "CREATE INDEX e ON events (qty);\n")
        _ = try SurrogateGenerator.generate(SurrogateSource(directory: url), to: dir.file("g.sqlite"))
        let db = try SQLiteConnection(path: dir.file("g.sqlite").path)
        #expect(try db.int("SELECT count(*) FROM events WHERE created_at = '2024-02-29 23:59:59.999999'") > 0)
        #expect(try db.int("SELECT count(*) FROM events WHERE created_at IN ('2021-03-28 00:59:59.999999', '2021-03-28 01:00:00')") > 0)
        #expect(try db.int("SELECT count(*) FROM events WHERE created_at IN ('1970-01-01 00:00:00', '9999-12-31 23:59:59.999999')") > 0)
        // Same shape as the generator's own values: no 'infinity' in a text date.
        #expect(try db.int("SELECT count(*) FROM events WHERE created_at NOT GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'") == 0)
        #expect(try db.int("SELECT count(*) FROM events WHERE seen_at IN (0, 253402300799, 1616893199, 1616893200)") > 0)
        #expect(try db.int("SELECT count(*) FROM events WHERE typeof(seen_at) NOT IN ('integer', 'null')") == 0)
        #expect(try db.int("SELECT count(*) FROM events WHERE qty IN (-9223372036854775808, 9223372036854775807)") > 0)
        #expect(try db.int("SELECT count(*) FROM events WHERE abs(ratio) >= 1e300 OR (ratio <> 0 AND abs(ratio) <= 1e-300)") > 0)
        #expect(try db.int("SELECT count(*) FROM events WHERE capped IS NOT NULL AND capped NOT BETWEEN 0 AND 10") == 0)  // CHECK kept
        // Switched off, none of it.
        try replace("profile.yaml", in: url, with: "edge_cases: off\ntables:\n  events: { rows: 400 }\n")
        _ = try SurrogateGenerator.generate(SurrogateSource(directory: url), to: dir.file("h.sqlite"))
        let off = try SQLiteConnection(path: dir.file("h.sqlite").path)
        #expect(try off.int("SELECT count(*) FROM events WHERE created_at LIKE '%.%' OR created_at < '2020' OR seen_at > 2000000000 OR abs(qty) > 1000000 OR abs(ratio) > 1e6") == 0)
    }

    @Test func truncatingTimestampsToSecondsWithAnEmptyRollbackFailsNamingTheColumn() throws {
        let dir = TempDir()
        let url = try Self.surrogate(in: dir, name: "trunc", birth: "UPDATE events SET created_at = substr(created_at, 1, 19);\n")
        let result = try rehearse(url, in: dir)
        #expect(result.record.verdict == .fail)
        #expect(result.validation.isValid, "\(result.validation.findings)")
        let drift = try #require(result.record.drift)
        #expect(drift.data.map(\.table) == ["events"])
        #expect(Set(drift.data.first?.columns.keys ?? [:].keys) == ["created_at"])
        // Without the mix the same birth changes nothing: never a PASS.
        let off = try Self.surrogate(in: dir, name: "trunc-off", birth: "UPDATE events SET created_at = substr(created_at, 1, 19);\n",
                                     profile: "edge_cases: off\ntargeting: off\n")
        #expect(try rehearse(off, in: dir).record.verdict == .inconclusive)
    }

    @Test func clampingIntegersToInt32WithAnEmptyRollbackFailsNamingTheColumn() throws {
        let dir = TempDir()
        let url = try Self.surrogate(in: dir, name: "clamp", birth: "UPDATE events SET qty = max(min(qty, 2147483647), -2147483648);\n")
        let result = try rehearse(url, in: dir)
        #expect(result.record.verdict == .fail)
        let drift = try #require(result.record.drift)
        #expect(Set(drift.data.first?.columns.keys ?? [:].keys) == ["qty"])
    }

    @Test func sameSeedGivesTheSameTimeAndNumberEdgesWithAnyJobs() throws {
        let dir = TempDir()
        let url = try Self.surrogate(in: dir, name: "det", birth: "CREATE INDEX e ON events (qty);\n")
        try replace("rollback.sql", in: url, with: "DROP INDEX e;\n")
        var options = Rehearsal.Options()
        options.scratchParent = dir.url
        var results: [RehearsalResult] = []
        for jobs in [1, 3] {
            options.jobs = jobs
            options.outputDirectory = dir.file("run-\(jobs)")
            results.append(try Rehearsal(source: SurrogateSource(directory: url), options: options).run())
        }
        #expect(results[0].record.verdict == .pass)
        #expect(results[0].record.pre != nil && results[0].record.pre == results[1].record.pre)
    }
}
