import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// The second source a rehearsal can load from: a granted dump that passed
/// ``DumpCloneGate``, restored from its private copy (the bytes hashed and
/// scanned), never from the operator's path. The rehearsal calls ``load(into:)``
/// where it would generate a surrogate; everything after the load is the same
/// code. (The architecture work moves this behind a common source seam.)
package struct DumpCloneSource {
    package static let tag = DumpCloneEvidence.tag
    /// The run folder file holding the exact grant bytes (``DumpCloneEvidence/grantFile``).
    package static let grantFile = DumpCloneEvidence.grantFile

    package let prepared: DumpCloneGate.Prepared
    /// The operator's path, for messages and the evidence's name.
    package let path: String
    package let grantBytes: [UInt8]

    package init(prepared: DumpCloneGate.Prepared, path: String, grantBytes: [UInt8]) {
        self.prepared = prepared
        self.path = path
        self.grantBytes = grantBytes
    }

    /// Restores the private copy into the scratch database.
    package func load(into scratch: ScratchEngine) throws -> LoadRecord {
        if let pg = scratch as? PostgresScratch, prepared.format != .sqlite {
            // Plain or archive: the script scanned and checked, run by rehearse itself.
            try DumpClonePlainRestore.restore(prepared, shown: path, into: pg)
            try DumpCloneRestore.checkNoSettings(pg, shown: path)
            let rows = try DumpCloneRestore.rows(pg)
            return LoadRecord(rowsPerTable: rows, totalRows: rows.values.reduce(0, +), specDigest: prepared.digest, seed: 0, scale: 1)
        }
        guard let sqlite = scratch as? SQLiteScratch, prepared.format == .sqlite else {
            throw RehearseError.refused("Refused: restoring a \(prepared.format.rawValue) dump into \(scratch.dialect) is not in this version (SQLite files into sqlite; custom, directory and tar pg_dumps into postgres). The dump passed every check and was only read.")
        }
        try? FileManager.default.removeItem(at: sqlite.databaseURL)
        do {
            try FileManager.default.copyItem(at: prepared.copy, to: sqlite.databaseURL)
        } catch {
            throw RehearseError.environment("Cannot copy the dump into the scratch database \(sqlite.databaseURL.path): \(SystemErrorText.describe(error)).")
        }
        let db = try SQLiteConnection(path: sqlite.databaseURL.path, readOnly: true, create: false)
        var rows: [String: Int64] = [:]
        for row in try db.rows("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name") {
            guard case .text(let name) = row[0] else { continue }
            if case .integer(let n) = try db.rows("SELECT count(*) FROM \"\(name.replacingOccurrences(of: "\"", with: "\"\""))\"").first?.first {
                rows[name] = n
            }
        }
        return LoadRecord(rowsPerTable: rows, totalRows: rows.values.reduce(0, +), specDigest: prepared.digest, seed: 0, scale: 1)
    }

    /// The evidence's `source` for a dump clone.
    /// `name` is the manifest's: the change rehearsed on the dump.
    package func sourceJSON(name: String, rows: [String: Int64]) -> JSONValue {
        [
            "kind": "dump_clone", "tag": .string(Self.tag), "name": .string(name), "dump_name": .string((path as NSString).lastPathComponent),
            "dump_sha256": .string(prepared.digest), "format": .string(prepared.format.rawValue),
            "restore_tool": .string(prepared.format == .sqlite ? "copy of the SQLite file"
                : "\(prepared.restoreTool.map { "\($0) rendering (--file), run by " } ?? "")rehearse's own splitter, statements and COPY through libpq: \(DumpCloneRestore.ownership)"),
            "secret_scan": prepared.scan.evidenceJSON, "rows": .object(rows.mapValues { .integer($0) }),
        ]
    }
}
