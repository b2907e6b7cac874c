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

/// `rehearse profile` on the real Chinook database: no value may leak into
/// the profile, and a surrogate generated from it matches its shape.
@Suite struct ProfileTests {
    static func learnedChinook(_ dir: TempDir) throws -> (profile: String, surrogate: URL) {
        let tables = try SQLiteProfiler.learn(file: Repo.chinook)
        let yaml = LearnedProfile.yaml(tables, source: Repo.chinook.path)
        dir.write("s/manifest.yaml", "name: chinook-shaped\nschema: schema.sql\nprofile: profile.yaml\nbirth: birth.sql\nrollback: rollback.sql\n")
        dir.write("s/schema.sql", try SQLiteProfiler.schemaDDL(file: Repo.chinook))
        dir.write("s/profile.yaml", yaml)
        dir.write("s/birth.sql", "SELECT 1;\n")
        dir.write("s/rollback.sql", "SELECT 1;\n")
        return (yaml, dir.file("s"))
    }

    @Test func theProfileHoldsNoValueFromChinook() throws {
        let dir = TempDir()
        let before = try Digest.sha256Hex(fileAt: Repo.chinook)
        let (yaml, _) = try Self.learnedChinook(dir)
        let db = try SQLiteConnection(path: Repo.chinook.path, readOnly: true)
        var checked = 0
        for table in try db.rows("SELECT name FROM sqlite_schema WHERE type = 'table'").compactMap(\.first?.textValue) {
            for column in try db.rows("SELECT name FROM pragma_table_info(?)", [.text(table)]).compactMap(\.first?.textValue) {
                // Every text value of four or more characters holding a letter:
                // names, titles, addresses, e-mails, phone numbers, dates. (All-digit
                // strings such as postal codes are left out: a row count or a width
                // may equal one by chance without being a value.)
                for value in try db.rows("SELECT DISTINCT CAST(\"\(column)\" AS TEXT) FROM \"\(table)\" WHERE length(\"\(column)\") >= 4 AND typeof(\"\(column)\") = 'text'").compactMap(\.first?.textValue)
                    where value.contains(where: \.isLetter) {
                    checked += 1
                    #expect(!yaml.contains(value), "\(table).\(column) leaked a value")
                }
            }
        }
        #expect(checked > 5_000, "the check must cover Chinook's text values, covered \(checked)")
        #expect(yaml.contains("\"Track\":\n    rows: 3503"))
        #expect(yaml.contains("fanout:"))
        #expect(try Digest.sha256Hex(fileAt: Repo.chinook) == before)
    }

    @Test func aSurrogateFromTheLearnedProfileIsWithinItsTolerances() throws {
        let dir = TempDir()
        let (_, surrogate) = try Self.learnedChinook(dir)
        let source = try SurrogateSource(directory: surrogate)
        let record = try SurrogateGenerator.generate(source, to: dir.file("g.sqlite"))
        let rows = try SQLiteFidelity.measure(file: dir.file("g.sqlite"), profile: source.loadProfile(dialect: .sqlite), rows: record.rowsPerTable)
        #expect(rows.count > 50)
        #expect(rows.contains { $0.metric == "null fraction" })
        #expect(rows.contains { $0.metric == "distinct" })
        #expect(rows.contains { $0.metric == "parents without children" })
        let outside = rows.filter { !$0.withinTolerance }
        #expect(outside.isEmpty, "\(outside.map { "\($0.subject) \($0.metric): \($0.target) vs \($0.achieved)" })")
    }

    @Test func distinctDrawsFromAPoolOfExactlyThatSize() throws {
        let dir = TempDir()
        dir.write("s/manifest.yaml", "name: pool\nschema: schema.sql\nprofile: profile.yaml\nbirth: b.sql\nrollback: b.sql\n")
        dir.write("s/schema.sql", "CREATE TABLE t (id INTEGER PRIMARY KEY, city TEXT, score INTEGER);\n")
        dir.write("s/profile.yaml", "tables:\n  t:\n    rows: 1000\n    columns:\n      city: { generator: city, distinct: 37 }\n      score: { generator: uniform, min: 0, max: 1000000, distinct: 5 }\n")
        dir.write("s/b.sql", "SELECT 1;\n")
        _ = try SurrogateGenerator.generate(SurrogateSource(directory: dir.file("s")), to: dir.file("g.sqlite"))
        let db = try SQLiteConnection(path: dir.file("g.sqlite").path)
        #expect(try db.int("SELECT count(DISTINCT city) FROM t") == 37)
        #expect(try db.int("SELECT count(DISTINCT score) FROM t") == 5)
    }
}
