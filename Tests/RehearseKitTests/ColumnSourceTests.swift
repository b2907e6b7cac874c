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

/// Issue 11 items 5 and 6: `from: table.column` keeps a tenant id without a
/// foreign key consistent across tables at any scale, and a parent with
/// `rows: 0` is fine while its children have none either.
@Suite struct ColumnSourceTests {
    static let schema = """
        CREATE TABLE networks (id TEXT PRIMARY KEY, name TEXT NOT NULL);
        CREATE TABLE identities (id INTEGER PRIMARY KEY, nid TEXT NOT NULL, email TEXT NOT NULL);
        CREATE TABLE sessions (id INTEGER PRIMARY KEY, nid TEXT NOT NULL, identity_id INTEGER NOT NULL REFERENCES identities (id));
        CREATE TABLE empty_parent (id INTEGER PRIMARY KEY);
        CREATE TABLE empty_child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES empty_parent (id));

        """
    static let profile = """
        tables:
          networks: { rows: 3 }
          identities: { rows: 50, columns: { nid: { from: networks.id } } }
          sessions: { rows: 200, columns: { nid: { from: networks.id } } }
          empty_parent: { rows: 0 }
          empty_child: { rows: 0 }

        """

    static func surrogate(in dir: TempDir, schema: String = schema, profile: String = profile) throws -> URL {
        let url = dir.file("tenant")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try "name: tenant\nschema: schema.sql\nprofile: profile.yaml\nbirth: birth.sql\nrollback: rollback.sql\nseed: 4\nscale: 1\n"
            .write(to: url.appendingPathComponent("manifest.yaml"), atomically: true, encoding: .utf8)
        try replace("schema.sql", in: url, with: schema)
        try replace("profile.yaml", in: url, with: profile)
        try replace("birth.sql", in: url, with: "CREATE INDEX sessions_nid ON sessions (nid);\n")
        try replace("rollback.sql", in: url, with: "DROP INDEX sessions_nid;\n")
        return url
    }

    @Test(arguments: [1.0, 0.5, 7.0])
    func aTenantIdIsConsistentAcrossTablesAtAnyScale(scale: Double) throws {
        let dir = TempDir()
        let url = try Self.surrogate(in: dir)
        _ = try SurrogateGenerator.generate(SurrogateSource(directory: url), scale: scale, to: dir.file("g.sqlite"))
        let db = try SQLiteConnection(path: dir.file("g.sqlite").path)
        #expect(try db.int("SELECT count(*) FROM networks") == Int64((3 * scale).rounded()))
        #expect(try db.int("SELECT count(*) FROM sessions WHERE nid NOT IN (SELECT id FROM networks)") == 0)
        #expect(try db.int("SELECT count(*) FROM identities WHERE nid NOT IN (SELECT id FROM networks)") == 0)
        // Every tenant is used, so joins on nid find rows.
        #expect(try db.int("SELECT count(DISTINCT nid) FROM sessions") == Int64((3 * scale).rounded()))
        #expect(try db.int("SELECT count(*) FROM empty_parent") + db.int("SELECT count(*) FROM empty_child") == 0)
    }

    @Test(// Skipped where the PostgreSQL server is not installed.
          .enabled(if: PostgresServer.found(.test), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"))
    func aTenantSurrogateRehearsesOnPostgres() throws {
        let dir = TempDir()
        let url = try Self.surrogate(in: dir, schema: Self.schema.replacingOccurrences(of: "INTEGER", with: "bigint"))
        let result = try rehearsePostgres(url, in: dir, scale: 2)
        #expect(result.record.verdict == .pass, "\(result.record.failure.map { "\($0)" } ?? "")")
        #expect(result.record.load?.rowsPerTable["sessions"] == 400)
    }

    @Test(arguments: [
        ("{ from: nosuch.id }", "'from: nosuch.id' names a table the schema does not create"),
        ("{ from: networks.nosuch }", "'from: networks.nosuch' names a column networks does not have"),
        ("{ from: networks }", "'from' names the column to draw values from as table.column (e.g. from: networks.id), not 'networks'"),
        ("{ from: sessions.nid }", "'from' names its own table"),
    ])
    func aWrongSourceIsBadInput(column: String, message: String) throws {
        let dir = TempDir()
        let url = try Self.surrogate(in: dir, profile: "tables:\n  sessions: { rows: 5, columns: { nid: \(column) } }\n")
        do {
            _ = try SurrogateGenerator.generate(SurrogateSource(directory: url), to: dir.file("g.sqlite"))
            Issue.record("accepted \(column)")
        } catch let error as RehearseError {
            #expect(error.code == .badInput)
            #expect(error.message.contains(message), "\(error.message)")
        }
    }

    @Test func aParentWithNoRowsIsStillRefusedWhileAChildNeedsOne() throws {
        let dir = TempDir()
        let url = try Self.surrogate(in: dir, profile: "tables:\n  empty_parent: { rows: 0 }\n  empty_child: { rows: 4 }\n")
        do {
            _ = try SurrogateGenerator.generate(SurrogateSource(directory: url), to: dir.file("g.sqlite"))
            Issue.record("accepted")
        } catch let error as RehearseError {
            #expect(error.code == .badInput)
            #expect(error.message.contains("column parent_id: references empty_parent, which the profile gives 0 rows, but the column is NOT NULL. Give the parent rows."), "\(error.message)")
        }
    }
}
