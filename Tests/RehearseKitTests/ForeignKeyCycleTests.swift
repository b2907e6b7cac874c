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
