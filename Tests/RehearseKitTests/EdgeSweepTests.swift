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

/// The edge-case mix places every variant once in a column's first non-NULL
/// rows (rehearse-surrogate/3), so a table of 20 rows (a migration walk's
/// default) holds the empty string, padded text, the long value and the
/// number variants whatever the seed. Before, a random 25% share left them out
/// of most small tables, and classic lossy round trips PASSed (red team W-F14).
@Suite struct EdgeSweepTests {
    static let schema = "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, n INTEGER NOT NULL, r REAL);\n"

    static func surrogate(in dir: TempDir, name: String, seed: Int, rows: Int = 20, birth: String, rollback: String) throws -> URL {
        shapedSurrogate(dir, schema: schema, profile: "tables:\n  t: { rows: \(rows) }\n", name: name, birth: birth, rollback: rollback, seed: seed)
    }

    @Test(arguments: [1, 2, 3, 4, 5])
    func twentyRowsHoldEveryVariant(seed: Int) throws {
        let dir = TempDir()
        let url = try Self.surrogate(in: dir, name: "s", seed: seed, birth: "CREATE INDEX i ON t (v);\n", rollback: "DROP INDEX i;\n")
        _ = try SurrogateGenerator.generate(SurrogateSource(directory: url), to: dir.file("g.sqlite"))
        let db = try SQLiteConnection(path: dir.file("g.sqlite").path)
        #expect(try db.int("SELECT count(*) FROM t WHERE v = ''") >= 1)
        #expect(try db.int("SELECT count(*) FROM t WHERE v LIKE ' %' AND v LIKE '% '") >= 1)
        #expect(try db.int("SELECT count(*) FROM t WHERE v <> lower(v)") >= 1)
        #expect(try db.int("SELECT count(*) FROM t WHERE length(v) > 200") >= 1)
        #expect(try db.int("SELECT count(*) FROM t WHERE length(v) > 4096") >= 1)
        #expect(try db.int("SELECT count(*) FROM t WHERE v IN ('007', '1.50')") == 2)
        #expect(try db.int("SELECT count(*) FROM t WHERE r = 0.1 + 0.2") >= 1)
        #expect(try db.int("SELECT count(*) FROM t WHERE v IS NULL") >= 1)
        #expect(try db.int("SELECT count(*) FROM t WHERE n = 0") >= 1)
        #expect(try db.int("SELECT count(*) FROM t WHERE n < 0") >= 1)
        #expect(try db.int("SELECT count(*) FROM t WHERE n IN (-9223372036854775808, 9223372036854775807)") >= 1)
    }

    /// W-F14's round trips on 20 rows, every seed: each FAILs naming the column.
    @Test(arguments: [
        ("UPDATE t SET v = coalesce(v, '');\n", "UPDATE t SET v = NULLIF(v, '');\n"),
        ("UPDATE t SET v = v || ' ';\n", "UPDATE t SET v = rtrim(v);\n"),
        ("UPDATE t SET v = trim(v);\n", "-- nothing\n"),
        ("UPDATE t SET v = substr(v, 1, 64);\n", "-- nothing\n"),
        ("UPDATE t SET n = max(n, 0);\n", "-- nothing\n"),
        // X-F1: a text column rebuilt as INTEGER and back ('007' → '7')
        ("CREATE TABLE t2 (id INTEGER PRIMARY KEY, v INTEGER, n INTEGER NOT NULL, r REAL);\nINSERT INTO t2 SELECT id, v, n, r FROM t;\nDROP TABLE t;\nALTER TABLE t2 RENAME TO t;\n",
         "CREATE TABLE t2 (id INTEGER PRIMARY KEY, v TEXT, n INTEGER NOT NULL, r REAL);\nINSERT INTO t2 SELECT id, v, n, r FROM t;\nDROP TABLE t;\nALTER TABLE t2 RENAME TO t;\n"),
        // X-F7: REAL through TEXT and back (15 significant digits)
        ("UPDATE t SET r = CAST(CAST(r AS TEXT) AS REAL);\n", "-- nothing\n"),
        // X-F8: a new 1000-character limit cuts longer text
        ("UPDATE t SET v = substr(v, 1, 1000);\n", "-- nothing\n"),
    ])
    func lossyRoundTripsFailOnTwentyRows(change: (String, String)) throws {
        for seed in 1...3 {
            let dir = TempDir()
            let url = try Self.surrogate(in: dir, name: "s\(seed)", seed: seed, birth: change.0, rollback: change.1)
            let result = try rehearse(url, in: dir)
            #expect(result.record.verdict == .fail, "seed \(seed): \(change.0)")
            #expect(result.validation.isValid, "\(result.validation.findings)")
            let columns = (result.record.drift?.data ?? []).flatMap { $0.columns.keys }
            #expect(!columns.isEmpty && columns.allSatisfy { ["v", "n", "r"].contains($0) }, "seed \(seed): \(columns)")
        }
    }

    /// Evidence of rehearse-surrogate/2 is regenerated as it was made: the
    /// corpus's genuine runs (made before the sweep) still replay; a
    /// generator version this build does not know is a finding, not a guess.
    @Test func replayRegeneratesOlderGeneratorsAndRefusesUnknownOnes() throws {
        let corpus = ConformanceTests.corpus.appendingPathComponent("pass_commerce")
        let evidence = try String(contentsOf: corpus.appendingPathComponent("evidence.json"), encoding: .utf8)
        #expect(evidence.contains("\"generator\":\"rehearse-surrogate/2\""))
        let dir = TempDir()
        #expect(try Replay.check(runDirectory: corpus, scratchParent: dir.url).isEmpty)
        var folder = try RunFolder(directory: corpus)
        folder.files["evidence.json"] = Array(evidence.replacingOccurrences(of: "rehearse-surrogate/2", with: "rehearse-surrogate/9").utf8)
        #expect(throws: SealedRun.Problem.self) { _ = try SealedRun(folder: folder, scratchParent: dir.url) }
    }

    /// A column whose CHECK bounds only its length gets the mix too, cut to
    /// the bound (it got none: red team X-F4), so an upper/trim round trip
    /// FAILs and every value still satisfies the CHECK.
    @Test func aLengthCheckedColumnIsMixedWithinItsBound() throws {
        for seed in 1...3 {
            let dir = TempDir()
            let url = shapedSurrogate(dir, schema: "CREATE TABLE p (id INTEGER PRIMARY KEY, code TEXT NOT NULL CHECK (length(code) <= 32));\n", profile: "tables:\n  p: { rows: 20 }\n", name: "c",
                                      birth: "UPDATE p SET code = upper(trim(code));\n", rollback: "UPDATE p SET code = lower(code);\n", seed: seed)
            _ = try SurrogateGenerator.generate(SurrogateSource(directory: url), to: dir.file("g.sqlite"))
            let db = try SQLiteConnection(path: dir.file("g.sqlite").path)
            #expect(try db.int("SELECT count(*) FROM p WHERE length(code) > 32") == 0)
            #expect(try db.int("SELECT count(*) FROM p WHERE code <> lower(code) OR code <> trim(code)") >= 2)
            let result = try rehearse(url, in: dir)
            #expect(result.record.verdict == .fail, "seed \(seed)")
            #expect(result.validation.isValid, "\(result.validation.findings)")
        }
    }

    /// A learned low-cardinality column (`distinct: N` pool) keeps exactly N
    /// values, now in mixed case, so an upper/lower round trip FAILs (it got
    /// no variant at all: red team X-F4b).
    @Test func aPooledColumnKeepsItsCountAndHoldsMixedCase() throws {
        for seed in 1...3 {
            let dir = TempDir()
            let url = shapedSurrogate(dir, schema: "CREATE TABLE events (id INTEGER PRIMARY KEY, kind TEXT NOT NULL);\n", profile: "tables:\n  events: { rows: 200, columns: { kind: { distinct: 3 } } }\n", name: "k",
                                      birth: "UPDATE events SET kind = upper(kind);\n", rollback: "UPDATE events SET kind = lower(kind);\n", seed: seed)
            _ = try SurrogateGenerator.generate(SurrogateSource(directory: url), to: dir.file("g.sqlite"))
            let db = try SQLiteConnection(path: dir.file("g.sqlite").path)
            #expect(try db.int("SELECT count(DISTINCT kind) FROM events") == 3)
            #expect(try db.int("SELECT count(*) FROM events WHERE kind <> lower(kind)") >= 1)
            let result = try rehearse(url, in: dir)
            #expect(result.record.verdict == .fail, "seed \(seed)")
        }
    }

    /// A CHECK allowing 10^12 characters gets no "value at the length"
    /// variant rather than one that exhausts memory (review of session 4).
    @Test func aHugeLengthBoundGetsNoAtLengthValue() throws {
        let dir = TempDir()
        let url = shapedSurrogate(dir, schema: "CREATE TABLE p (id INTEGER PRIMARY KEY, c TEXT CHECK (length(c) <= 1000000000000));\n", profile: "tables:\n  p: { rows: 20 }\n", name: "h",
                                  birth: "CREATE INDEX i ON p (c);\n", rollback: "DROP INDEX i;\n", seed: 1)
        _ = try SurrogateGenerator.generate(SurrogateSource(directory: url), to: dir.file("g.sqlite"))
        let db = try SQLiteConnection(path: dir.file("g.sqlite").path)
        #expect(try db.int("SELECT max(length(c)) FROM p") <= Int64(ColumnEdges.atLengthLimit))
        #expect(try db.int("SELECT count(*) FROM p WHERE c <> lower(c)") >= 1)
    }
}
