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

/// Fingerprints and drift localization on a real public database (Chinook,
/// MIT licence), never modified: every test works on a private copy, and the
/// original's digest is checked.
@Suite struct ChinookTests {
    @Test func fingerprintIsStableAndLeavesTheFileUntouched() throws {
        let before = try Digest.sha256Hex(fileAt: Repo.chinook)
        let a = try SQLiteFingerprint.of(file: Repo.chinook)
        let b = try SQLiteFingerprint.of(file: Repo.chinook)
        #expect(a == b)
        #expect(a.tables["Track"]?.rows == 3503)
        #expect(a.tables["InvoiceLine"]?.rows == 2240)
        #expect(a.objects.keys.contains("table PlaylistTrack"))
        #expect(try Digest.sha256Hex(fileAt: Repo.chinook) == before)
    }

    @Test func aCopyRestoredByVacuumHasTheSameFingerprint() throws {
        let dir = TempDir()
        let copy = dir.file("vacuumed.sqlite")
        let db = try SQLiteConnection(path: Repo.chinook.path, readOnly: true)
        try db.execute("VACUUM INTO '\(copy.path)'")
        #expect(try SQLiteFingerprint.of(file: copy) == SQLiteFingerprint.of(file: Repo.chinook))
    }

    @Test func driftOnRealDataIsLocalizedToRowsAndColumns() throws {
        let dir = TempDir()
        let scratch = try SQLiteScratch(keep: false, parent: dir.url)
        defer { scratch.tearDown(keep: false) }
        try FileManager.default.copyItem(at: Repo.chinook, to: scratch.databaseURL)
        let pre = try scratch.fingerprint()
        let change = """
            UPDATE Track SET Name = Name || ' (remastered)' WHERE TrackId IN (1, 2, 3);
            UPDATE Track SET Composer = CAST(Composer AS BLOB) WHERE TrackId = 10;
            DELETE FROM InvoiceLine WHERE InvoiceLineId IN (5, 6);
            INSERT INTO Genre (GenreId, Name) VALUES (26, 'Surrogate Jazz');
            DELETE FROM PlaylistTrack WHERE rowid IN (SELECT rowid FROM PlaylistTrack WHERE PlaylistId = 1 LIMIT 4);
            """
        _ = try scratch.apply(SQLScript(displayPath: "change.sql", url: dir.file("change.sql"), text: change, sha256: ""), transactional: true)
        let post = try scratch.fingerprint()
        let drift = try scratch.localize(Drift(from: pre, to: post), pre: pre) { reference in
            try FileManager.default.copyItem(at: Repo.chinook, to: (reference as! SQLiteScratch).databaseURL)
        }
        #expect(drift.schema.isEmpty)
        let byTable = Dictionary(uniqueKeysWithValues: drift.data.map { ($0.table, $0) })
        #expect(Set(byTable.keys) == ["Track", "InvoiceLine", "Genre", "PlaylistTrack"])
        // The same bytes as a BLOB instead of TEXT is a change of storage class: it counts.
        #expect(byTable["Track"]?.changed == 4)
        #expect(byTable["Track"]?.columns == ["Name": 3, "Composer": 1])
        #expect(byTable["Track"]?.sampleKeys == ["1", "2", "3", "10"])
        #expect(byTable["InvoiceLine"]?.removed == 2)
        #expect(byTable["InvoiceLine"]?.sampleKeys == ["removed 5", "removed 6"])
        #expect(byTable["Genre"]?.added == 1)
        #expect(byTable["PlaylistTrack"]?.removed == 4)
        #expect(byTable["PlaylistTrack"]?.added == 0)
    }
}
