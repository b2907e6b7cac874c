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

/// The loader's quick foreign key check must find every violation that
/// `pragma_foreign_key_check` finds, whether the key takes the quick query
/// (one column, same affinity, parent's primary key) or the pragma.
@Suite struct LoaderForeignKeyCheckTests {
    private func database(_ sql: String) throws -> SQLiteConnection {
        let db = try SQLiteConnection(path: ":memory:")
        try db.execute("PRAGMA foreign_keys = OFF;" + sql)
        return db
    }

    private let schema = """
        CREATE TABLE parent (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, a INTEGER, b INTEGER, UNIQUE (a, b));
        CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id));
        CREATE INDEX child_parent ON child (parent_id);
        CREATE TABLE loose (id INTEGER PRIMARY KEY, parent_id REFERENCES parent);
        CREATE TABLE pair (id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, FOREIGN KEY (a, b) REFERENCES parent (a, b));
        CREATE TABLE coded (id INTEGER PRIMARY KEY, code TEXT REFERENCES parent (code));
        CREATE TABLE tree (id INTEGER PRIMARY KEY, up INTEGER REFERENCES tree (id));
        INSERT INTO parent VALUES (1, 'x', 1, 1), (2, 'y', 1, 2);
        INSERT INTO child VALUES (1, 1), (2, NULL), (3, 2);
        INSERT INTO loose VALUES (1, 1), (2, NULL);
        INSERT INTO pair VALUES (1, 1, 2), (2, NULL, 5);
        INSERT INTO coded VALUES (1, 'y');
        INSERT INTO tree VALUES (1, NULL), (2, 1);
        """

    @Test func cleanKeysPassBothChecks() throws {
        let db = try database(schema)
        #expect(try db.rows("PRAGMA foreign_key_check").isEmpty)
        #expect(try SQLiteSurrogateLoader.foreignKeysMayBeBroken(db) == false)
    }

    @Test(arguments: [
        "INSERT INTO child VALUES (9, 3)",            // quick query, over the child's index
        "INSERT INTO child VALUES (9, '1x')",         // text in an integer key
        "INSERT INTO loose VALUES (9, 1.5)",          // no affinity: through the pragma
        "INSERT INTO loose VALUES (9, '7')",
        "INSERT INTO pair VALUES (9, 2, 1)",          // two columns: through the pragma
        "INSERT INTO coded VALUES (9, 'z')",          // a UNIQUE, not primary, parent key
        "INSERT INTO tree VALUES (9, 10)",            // a table pointing at itself
    ])
    func everyBrokenKeyIsFound(_ insert: String) throws {
        let db = try database(schema + insert)
        #expect(try !db.rows("PRAGMA foreign_key_check").isEmpty)
        #expect(try SQLiteSurrogateLoader.foreignKeysMayBeBroken(db))
    }
}
