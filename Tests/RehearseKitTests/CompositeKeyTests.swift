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

@Suite struct CompositeKeyTests {
    func surrogate(_ dir: TempDir, linkRows: Int) -> URL {
        dir.write("s/manifest.yaml", "name: links\nschema: schema.sql\nprofile: profile.yaml\nbirth: birth.sql\nrollback: rollback.sql\n")
        dir.write("s/schema.sql", """
            CREATE TABLE a (id INTEGER PRIMARY KEY);
            CREATE TABLE b (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE);
            CREATE TABLE ab (a_id INTEGER NOT NULL REFERENCES a (id), b_code TEXT NOT NULL REFERENCES b (code), PRIMARY KEY (a_id, b_code));
            """)
        dir.write("s/profile.yaml", "tables:\n  a: { rows: 10 }\n  b: { rows: 20 }\n  ab: { rows: \(linkRows) }\n")
        dir.write("s/birth.sql", "SELECT 1;\n")
        dir.write("s/rollback.sql", "SELECT 1;\n")
        return dir.file("s")
    }

    @Test func aJoinTableKeyIsUniqueByConstruction() throws {
        let dir = TempDir()
        _ = try SurrogateGenerator.generate(SurrogateSource(directory: surrogate(dir, linkRows: 190)), to: dir.file("g.sqlite"))
        let db = try SQLiteConnection(path: dir.file("g.sqlite").path)
        #expect(try db.int("SELECT count(*) FROM ab") == 190)
        #expect(try db.int("SELECT count(*) FROM (SELECT DISTINCT a_id, b_code FROM ab)") == 190)
        #expect(try db.rows("PRAGMA foreign_key_check").isEmpty)
        // The pairs spread over the parents rather than filling one corner.
        #expect(try db.int("SELECT count(DISTINCT a_id) FROM ab") == 10)
    }

    @Test func moreRowsThanCombinationsIsAClearError() throws {
        let dir = TempDir()
        #expect {
            _ = try SurrogateGenerator.generate(SurrogateSource(directory: surrogate(dir, linkRows: 201)), to: dir.file("g.sqlite"))
        } throws: { "\($0)".contains("only 200 distinct combinations, fewer than the 201 rows") }
    }

    @Test func chinooksSchemaGeneratesFromItsOwnRowCounts() throws {
        let dir = TempDir()
        let real = try SQLiteConnection(path: Repo.chinook.path, readOnly: true)
        let ddl = try real.rows("SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY type DESC, name")
            .compactMap(\.first?.textValue).map { $0 + ";\n" }.joined()
        var profile = "tables:\n"
        for name in try real.rows("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").compactMap(\.first?.textValue) {
            profile += "  \(name): { rows: \(try real.int("SELECT count(*) FROM \"\(name)\"")) }\n"
        }
        dir.write("s/manifest.yaml", "name: chinook-shaped\nschema: schema.sql\nprofile: profile.yaml\nbirth: birth.sql\nrollback: rollback.sql\n")
        dir.write("s/schema.sql", ddl)
        dir.write("s/profile.yaml", profile)
        dir.write("s/birth.sql", "SELECT 1;\n")
        dir.write("s/rollback.sql", "SELECT 1;\n")
        _ = try SurrogateGenerator.generate(SurrogateSource(directory: dir.file("s")), to: dir.file("g.sqlite"))
        let db = try SQLiteConnection(path: dir.file("g.sqlite").path)
        #expect(try db.int("SELECT count(*) FROM PlaylistTrack") == 8715)
        #expect(try db.int("SELECT count(*) FROM Track") == 3503)
        #expect(try db.rows("PRAGMA foreign_key_check").isEmpty)
        #expect(try db.scalar("PRAGMA integrity_check") == .text("ok"))
    }
}
