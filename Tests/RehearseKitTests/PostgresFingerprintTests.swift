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

@Suite(// Skipped where the PostgreSQL server is not installed (one line at the end of the run counts them).
       .enabled(if: PostgresServer.found(), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)")) struct PostgresFingerprintTests {
    func fingerprint(_ database: String) throws -> Fingerprint {
        try PostgresFingerprinter(connect: { try TestPostgres.connect(database) }, jobs: 2).fingerprint()
    }

    @Test func negativeZeroEqualsZeroButAnyOtherChangeCounts() throws {
        let (name, drop) = try TestPostgres.database()
        defer { drop() }
        let db = try TestPostgres.connect(name)
        try db.execute("CREATE TABLE m (id integer PRIMARY KEY, x double precision, y real, n numeric, t text)")
        try db.execute("CREATE TABLE bag (x double precision)")
        try db.execute("INSERT INTO m VALUES (1, 0, 0, 1.0, 'a'), (2, 2.5, 1.5, 2, NULL); INSERT INTO bag VALUES (0), (0), (1)")
        let before = try fingerprint(name)
        try db.execute("UPDATE m SET x = '-0', y = '-0' WHERE id = 1; UPDATE bag SET x = '-0' WHERE x = 0")
        #expect(try fingerprint(name) == before, "-0 and 0 are equal under PostgreSQL's float equality")
        try db.execute("UPDATE m SET n = 1.00 WHERE id = 1")
        #expect(try fingerprint(name).tables["m"] != before.tables["m"], "numeric display scale is what the database returns")
        try db.execute("UPDATE m SET n = 1.0 WHERE id = 1; UPDATE m SET t = '' WHERE id = 2")
        #expect(try fingerprint(name).tables["m"] != before.tables["m"], "NULL is not ''")
        try db.execute("UPDATE m SET t = NULL WHERE id = 2; INSERT INTO bag VALUES (1)")
        let after = try fingerprint(name)
        #expect(after.tables["m"] == before.tables["m"])
        #expect(after.tables["bag"] != before.tables["bag"], "a duplicated row counts in a table without a key")
        #expect(after.tables["bag"]?.rows == 4)
    }
}
