import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// Everything a dump clone must pass before a byte of it is restored, in an
/// order that opens the dump only when the grant could allow it:
///
/// 1. one "now" for the whole check;
/// 2. the grant against the trust file, lane 2 and the engine (the dump is
///    not opened if this fails);
/// 3. the dump copied into a private directory while it is hashed, so the
///    bytes checked and restored are the bytes hashed (no second read);
/// 4. the grant's subject against that digest;
/// 5. the format by content, and the engine it needs;
/// 6. tar members and the file names a directory dump's toc.dat and
///    blobs.toc give pg_restore (``DirectoryDump``), the archive's table of
///    contents, then the secret-free gate and the hostile-statement checks
///    over what would run (a plain script, or an archive rendered by
///    pg_restore);
/// 7. the source hashed again: a change is a loud refusal.
package enum DumpCloneGate {
    package struct Prepared {
        package var workspace: DumpWorkspace
        package var copy: URL
        package var digest: String
        package var format: DumpFormat
        package var grant: VerifiedGrant
        package var scan: SecretScanReport
        /// `pg_restore (PostgreSQL) 15.x` for archives; nil otherwise.
        package var restoreTool: String?
        /// Who runs pg_restore over the copy (never root).
        package var reader: DumpReader = .inProcess
        /// The SQL a PostgreSQL restore runs, exactly as scanned and checked:
        /// a plain dump's copy, or root's copy of an archive's rendering.
        package var script: URL? = nil
    }

    package static let hostileTOCEntries = ["SERVER", "USER MAPPING", "FOREIGN DATA WRAPPER", "SUBSCRIPTION", "DATABASE", "DATABASE PROPERTIES", "TABLESPACE"]

    package static func prepare(dump: String, grantFile: String, trustFile: String, engine: String, allowlist: SecretAllowlist,
                               bindir: String?, now: Int64, scratchParent: URL? = nil, pgUser: String? = nil) throws -> Prepared {
        let trust = try TrustPolicy(file: URL(fileURLWithPath: trustFile))
        let grantBytes = try GrantVerifier.read(grantFile)
        do {
            _ = try GrantVerifier.require(grantBytes, file: grantFile, trust: trust, now: now, lane: .operatorRealDataCloneHandoff,
                                          subjectSHA256: nil, engine: engine)
        } catch let error as RehearseError {
            throw RehearseError(error.code, error.message + " The dump was not opened or read.")
        }
        let workspace = try DumpWorkspace(parent: scratchParent)
        do {
            let copy = try DumpDigest.copy(path: dump, into: workspace.url)
            let grant = try GrantVerifier.require(grantBytes, file: grantFile, trust: trust, now: now, lane: .operatorRealDataCloneHandoff,
                                                  subjectSHA256: copy.digest, engine: engine)
            let format = try DumpFormat.detect(copy.copy, isDirectory: copy.isDirectory)
            // A directory dump's toc.dat and blobs.toc name the files pg_restore
            // opens: each must be a flat pg_dump member name inside the copy.
            if format == .directory { try DirectoryDump.confine(copy.copy, shown: dump) }
            let needs = format == .sqlite ? "sqlite" : "postgres"
            guard needs == engine else {
                throw RehearseError.refused("Refused: the dump \(RunFolder.display(dump)) is a \(format.rawValue) dump, which restores into \(needs), and the grant and run name \(engine). Nothing was restored.")
            }
            let pgBindir = try format.isArchive ? PostgresCluster.locateBinaries(bindir) : nil
            // From here on only the unprivileged reader opens the copy's files through pg_restore.
            let reader = try format.isArchive ? DumpReader.forRun(requested: pgUser) : .inProcess
            try reader.confine(workspace: workspace.url, copy: copy.copy)
            // Members first: pg_restore does not read a tar with a hostile member name.
            if format == .tar { try DumpFormat.checkTarMembers(copy.copy, shown: dump) }
            if format.isArchive {
                let toc = try ArchiveTools.tableOfContents(copy.copy, format: format, work: workspace.url, bindir: pgBindir, reader: reader, shown: dump)
                for entry in toc {
                    // "ID; OID OID DESC SCHEMA NAME OWNER"
                    let fields = entry.split(separator: " ", omittingEmptySubsequences: true).dropFirst(3).joined(separator: " ")
                    if let hostile = hostileTOCEntries.first(where: { fields.hasPrefix($0 + " ") }) {
                        throw RehearseError.refused("Refused: the \(format.rawValue) dump \(RunFolder.display(dump)) holds a \(hostile) entry in its table of contents ('\(RunFolder.display(entry))'): it acts outside the scratch database or reaches another host. Nothing was restored.")
                    }
                }
            }
            // An archive is restored from root's copy of the rendering scanned here.
            let script = format.isArchive ? workspace.url.appendingPathComponent("restore.sql") : copy.copy
            let scan = try DumpScan.scan(copy: copy.copy, format: format, shown: dump, workDirectory: workspace.url, bindir: pgBindir, reader: reader,
                                         allowlist: allowlist, script: format.isArchive ? script : nil)
            if !scan.isClean { throw scan.refusal(dump) }
            let after = try DumpDigest.of(path: dump)
            guard after == copy.digest else {
                throw RehearseError.refused("Refused: the dump \(RunFolder.display(dump)) CHANGED while rehearse read it (SHA-256 \(copy.digest) when copied, \(after) now). Something else is writing it; nothing was restored. Give a dump nothing writes to.")
            }
            let tool = try format.isArchive ? ArchiveTools.version(bindir: pgBindir) : nil
            return Prepared(workspace: workspace, copy: copy.copy, digest: copy.digest, format: format, grant: grant, scan: scan, restoreTool: tool,
                            reader: reader, script: script)
        } catch {
            workspace.remove()
            throw error
        }
    }
}
