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

/// pg_restore never reads a dump as root: when rehearse is root, the private
/// copy belongs to the unprivileged server user alone and pg_restore runs as
/// that user, so a file only root may read stays closed to whatever the dump
/// names. (As an ordinary user there is nothing to drop: the checks skip.)
@Suite(.serialized) struct DumpReaderTests {
    let dir = TempDir()

    @Test(// Skipped where the PostgreSQL server is not installed.
          .enabled(if: PostgresServer.found(.test), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"))
    func theGateLetsTheServerUserReadTheCopyButNeverChangeIt() throws {
        guard getuid() == 0 else { return }
        let path = try DumpFixtures.dumps.appendingPathComponent("chinook.custom").path
        let g = try DumpFixtures.grant(for: path, engine: "postgres", in: dir)
        let p = try DumpCloneGate.prepare(dump: path, grantFile: g.grant, trustFile: g.trust, engine: "postgres", allowlist: .none,
                                          bindir: nil, now: Int64(Date().timeIntervalSince1970), scratchParent: dir.url)
        defer { p.workspace.remove() }
        let pw = try #require(getpwnam("postgres"))
        #expect(p.reader.runAs == "postgres")
        var st = stat()
        // Readable by the server user's group, never writable by it: the bytes
        // restored stay the bytes hashed and scanned.
        #expect(lstat(p.copy.path, &st) == 0)
        #expect(st.st_uid == 0)
        #expect(st.st_gid == pw.pointee.pw_gid)
        #expect(st.st_mode & 0o777 == 0o640)
        // The workspace stays root's and can be passed through, not listed.
        #expect(lstat(p.workspace.url.path, &st) == 0)
        #expect(st.st_uid == 0)
        #expect(st.st_mode & 0o777 == 0o711)
        let command = p.reader.command(URL(fileURLWithPath: "/x/pg_restore"), ["-l"])
        #expect(command.arguments.prefix(3) == ["-u", "postgres", "--"])
        #expect(command.arguments.dropFirst(3) == ["/x/pg_restore", "-l"])
    }

    @Test(// Skipped where the PostgreSQL server is not installed.
          .enabled(if: PostgresServer.found(.test), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"))
    func pgRestoreCannotReadAFileOnlyRootMayRead() throws {
        guard getuid() == 0 else { return }
        let reader = try DumpReader.forRun(requested: nil)
        // A valid archive, but only root may read it (like /root/.pgpass or
        // /etc/shadow named by a crafted blobs.toc or toc.dat).
        let secret = dir.file("root-only")
        #expect(mkdir(secret.path, 0o700) == 0)
        let archive = secret.appendingPathComponent("chinook.custom")
        try FileManager.default.copyItem(at: try DumpFixtures.dumps.appendingPathComponent("chinook.custom"), to: archive)
        let work = dir.file("work")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let out = try reader.outputDirectory(in: work)
        let e = #expect(throws: RehearseError.self) {
            try ArchiveTools.render(archive, format: .custom, to: out.appendingPathComponent("r.sql"), bindir: nil, reader: reader, shown: "chinook.custom")
        }
        #expect(e?.code == .refused)
        #expect(e?.message.contains("pg_restore could not read the custom dump chinook.custom") == true)
        #expect(e?.message.contains("Permission denied") == true)
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("r.sql").path) || (try? Data(contentsOf: out.appendingPathComponent("r.sql")).count) == 0)
        // The same archive handed to the reader is read.
        let mine = work.appendingPathComponent("dump")
        try FileManager.default.copyItem(at: archive, to: mine)
        try reader.confine(workspace: work, copy: mine)
        try ArchiveTools.render(mine, format: .custom, to: out.appendingPathComponent("r.sql"), bindir: nil, reader: reader, shown: "chinook.custom")
        #expect(try String(contentsOf: out.appendingPathComponent("r.sql"), encoding: .utf8).contains("CREATE TABLE public."))
    }

    @Test func rootIsNeverTheReader() throws {
        guard getuid() == 0 else { return }
        let e = #expect(throws: RehearseError.self) { try DumpReader.forRun(requested: "root") }
        #expect(e?.code == .refused)
        #expect(e?.message.contains("--pg-user root is root") == true)
        let missing = #expect(throws: RehearseError.self) { try DumpReader.forRun(requested: "no-such-user-rehearse") }
        #expect(missing?.code == .environment)
        #expect(missing?.message.contains("'no-such-user-rehearse'") == true)
    }
}
