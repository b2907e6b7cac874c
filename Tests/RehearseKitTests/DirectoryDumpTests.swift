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

/// pg_dump directory dumps (-Fd): the digest is the documented listing; the
/// copy holds only pg_dump's own regular files; every file name toc.dat and
/// blobs.toc give pg_restore is a flat member name, checked before any
/// pg_restore runs; the source is never modified (bytes and mtimes), also
/// when refused.
@Suite(.serialized,
       // Skipped where the PostgreSQL server is not installed (one line at the end of the run counts them).
       .enabled(if: PostgresServer.found(), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)")) struct DirectoryDumpTests {
    let dir = TempDir()
    var now: Int64 { Int64(Date().timeIntervalSince1970) }

    /// A private copy of Chinook's -Fd dump to make hostile.
    func chinookCopy() throws -> URL {
        let copy = dir.file("chinook-\(UUID().uuidString.prefix(6)).dir")
        try FileManager.default.copyItem(at: try DumpFixtures.dumps.appendingPathComponent("chinook.dir"), to: copy)
        return copy
    }

    /// Every member's name, bytes and modification time (to the nanosecond).
    func state(_ url: URL) throws -> [String] { try Self.state(url) }

    static func state(_ url: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: url.path).sorted().map { name in
            var st = stat()
            lstat(url.appendingPathComponent(name).path, &st)
            let bytes = (try? Data(contentsOf: url.appendingPathComponent(name))).map { Digest.sha256Hex([UInt8]($0)) } ?? "unreadable"
            return "\(name) \(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec) \(bytes)"
        }
    }

    func leftovers() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir.url.path)) ?? []).filter { $0.hasPrefix("rehearse-dump-") }
    }

    /// The gate on `dump` with a grant made before it was made hostile, and a
    /// bindir where no PostgreSQL tool exists when `noTools`: a refusal then
    /// proves no pg_restore ran before it.
    func prepare(_ dump: URL, grant: (grant: String, trust: String), noTools: Bool = false) throws -> DumpCloneGate.Prepared {
        try DumpCloneGate.prepare(dump: dump.path, grantFile: grant.grant, trustFile: grant.trust, engine: "postgres", allowlist: .none,
                                  bindir: noTools ? dir.file("no-tools-here").path : nil, now: now, scratchParent: dir.url)
    }

    @Test func chinookPassesTheGateAndItsDigestIsTheDocumentedListing() throws {
        let path = try DumpFixtures.dumps.appendingPathComponent("chinook.dir")
        let before = try state(path)
        // the recipe the documentation gives, run by the shell
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "cd \"$1\" && for f in $(ls | LC_ALL=C sort); do printf '%s %s %s\\n' \"$f\" \"$(stat -c %s \"$f\")\" \"$(sha256sum < \"$f\" | cut -c1-64)\"; done | sha256sum | cut -c1-64", "sh", path.path]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        p.waitUntilExit()
        let byShell = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try DumpDigest.of(path: path.path) == byShell)
        let g = try DumpFixtures.grant(for: path.path, engine: "postgres", in: dir)
        let prepared = try prepare(path, grant: g)
        #expect(prepared.format == .directory)
        #expect(prepared.digest == byShell)
        #expect(prepared.scan.isClean)
        #expect(prepared.scan.bytesScanned > 300_000, "the data files were rendered and scanned, not just the schema")
        #expect(prepared.restoreTool?.hasPrefix("pg_restore (PostgreSQL)") == true)
        if getuid() == 0 {
            // The server user may read the copy, never change it (attack-d15 D-F1c): no member and
            // no entry of the directory is writable by it, so the bytes restored are the bytes scanned.
            var st = stat()
            #expect(lstat(prepared.copy.path, &st) == 0 && st.st_uid == 0 && st.st_mode & 0o777 == 0o750)
            for name in try FileManager.default.contentsOfDirectory(atPath: prepared.copy.path) {
                #expect(lstat(prepared.copy.appendingPathComponent(name).path, &st) == 0 && st.st_uid == 0 && st.st_mode & 0o777 == 0o640, "\(name)")
            }
            let member = prepared.copy.appendingPathComponent("toc.dat").path
            for attempt in ["echo x >> '\(member)'", "ln -s /etc/shadow '\(prepared.copy.path)/evil.toc'", "cat '\(member)' > /dev/null"] {
                let p = Process()
                p.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
                p.arguments = ["-u", "postgres", "--", "/bin/sh", "-c", attempt]
                p.standardError = FileHandle.nullDevice
                try p.run()
                p.waitUntilExit()
                #expect((p.terminationStatus == 0) == attempt.hasPrefix("cat"), "as postgres: \(attempt)")
            }
        }
        prepared.workspace.remove()
        #expect(try state(path) == before, "the source is byte- and mtime-identical")
        #expect(leftovers().isEmpty)
    }

    @Test func theTableOfContentsOfARealDumpParsesToItsLastByteAndNamesOnlyDataFiles() throws {
        let toc = [UInt8](try Data(contentsOf: try DumpFixtures.dumps.appendingPathComponent("chinook.dir/toc.dat")))
        var reader = TOCReader(bytes: toc)
        let named = try reader.fileNames()
        #expect(named.count == 11, "Chinook's eleven tables have data")
        #expect(named.allSatisfy { $0.file == Array("\($0.dumpID).dat".utf8) && $0.desc == "TABLE DATA" })
        for broken in [Array(toc.dropLast()), toc + [0], Array(toc.prefix(5)) + [1, 15, 0] + Array(toc.dropFirst(8))] {
            var r = TOCReader(bytes: broken)
            #expect(throws: TOCReader.Problem.self) { try r.fileNames() }
        }
    }

    @Test func memberNamesAreExactlyPgDumps() {
        for good in ["toc.dat", "3432.dat", "3432.dat.gz", "3432.dat.lz4", "3432.dat.zst", "blobs.toc", "blobs_12.toc", "blob_16390.dat", "blob_16390.dat.gz"] {
            #expect(DirectoryDump.isMemberName(Array(good.utf8)), "\(good)")
        }
        for bad in ["", "notes.txt", "toc.dat.gz", "blobs.toc.gz", ".dat", "x.dat", "3432.dat.bz2", "3432.dat.gz.gz", "blob_.dat", "blob_1.toc", "-1.dat",
                    "3432.dat\n0c1f  toc.dat", "..", "a/b", "12345678901.dat", "3432.DAT"] {
            #expect(!DirectoryDump.isMemberName(Array(bad.utf8)), "\(bad)")
        }
        #expect(DirectoryDump.badBlobLine(Array("16390 blob_16390.dat\n16391 blob_16391.dat\n".utf8)) == nil)
        #expect(DirectoryDump.badBlobLine([]) == nil)
        for (bad, line) in [("16390 ../x\n", 1), ("1 blob_1.dat\n2 blob_3.dat\n", 2), ("1 blob_1.dat", 1), ("1  blob_1.dat\n", 1), ("1 blob_1.dat \n", 1),
                            ("1 blob_1.dat\n\n", 2), ("1 /etc/passwd\n", 1)] {
            #expect(DirectoryDump.badBlobLine(Array(bad.utf8))?.line == line, "\(bad)")
        }
    }

    @Test(arguments: ["symlink to /etc/passwd", "symlink elsewhere", "unexpected file", "subdirectory", "hard link", "fifo"])
    func aHostileMemberIsRefusedNamingItAndTheSourceIsUntouched(_ kind: String) throws {
        let dump = try chinookCopy()
        let g = try DumpFixtures.grant(for: dump.path, engine: "postgres", in: dir)
        let outside = dir.file("outside-\(UUID().uuidString.prefix(6)).txt")
        let secret = "AKIA" + "IOSFODNN7OUTSIDE"
        try secret.write(to: outside, atomically: true, encoding: .utf8)
        let (member, words): (String, String)
        switch kind {
        case "symlink to /etc/passwd":
            member = "9999.dat"; words = "holds 9999.dat, which is a symbolic link"
            try FileManager.default.createSymbolicLink(atPath: dump.appendingPathComponent(member).path, withDestinationPath: "/etc/passwd")
        case "symlink elsewhere":
            member = "blobs.toc"; words = "holds blobs.toc, which is a symbolic link"
            try FileManager.default.createSymbolicLink(atPath: dump.appendingPathComponent(member).path, withDestinationPath: outside.path)
        case "unexpected file":
            member = "notes.txt"; words = "holds notes.txt, a file pg_dump never writes"
            try "hello".write(to: dump.appendingPathComponent(member), atomically: true, encoding: .utf8)
        case "subdirectory":
            member = "3432.dat"; words = "holds 3432.dat, which is a subdirectory"
            try FileManager.default.createDirectory(at: dump.appendingPathComponent(member), withIntermediateDirectories: false)
        case "hard link":
            member = "9998.dat"; words = "holds 9998.dat, a file with 2 hard links"
            #expect(link(outside.path, dump.appendingPathComponent(member).path) == 0)
        default:
            member = "9997.dat"; words = "holds 9997.dat, which is a FIFO"
            #expect(mkfifo(dump.appendingPathComponent(member).path, 0o600) == 0)
        }
        let before = try state(dump)
        let e = #expect(throws: RehearseError.self) { try prepare(dump, grant: g, noTools: true) }
        #expect(e?.code == .refused)
        #expect(e.map { ExitStatus.of($0) } == 3)
        #expect(e?.message.contains(words) == true, "\(e?.message ?? "")")
        #expect(e?.message.contains(secret) == false)
        #expect(try state(dump) == before, "the source is byte- and mtime-identical after a refusal")
        #expect(leftovers().isEmpty)
        // grant create hashes the same way: it refuses the same directory
        #expect(throws: RehearseError.self) { try DumpDigest.of(path: dump.path) }
    }

    /// A blobs.toc or a toc.dat entry naming a file outside the dump (the
    /// red team's read-any-file attack) is refused before any pg_restore
    /// runs: the bindir given holds no PostgreSQL tool at all, and the refusal
    /// is rehearse's own, so nothing read the outside file.
    @Test(arguments: ["blobs.toc", "toc.dat"])
    func aFileNameReachingOutsideTheDumpIsRefusedBeforePgRestoreRuns(_ which: String) throws {
        let dump = try chinookCopy()
        let outside = dir.file("x.dat")
        let secret = "ghp_" + "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dOUTSIDE"
        try secret.write(to: outside, atomically: true, encoding: .utf8)
        let words: String
        if which == "blobs.toc" {
            try "16390 ../x.dat\n".write(to: dump.appendingPathComponent("blobs.toc"), atomically: true, encoding: .utf8)
            words = "has a large-object list blobs.toc whose line 1 is '16390 ../x.dat'"
        } else {
            // the first data file's name in toc.dat, rewritten in place to one of the same length
            let tocURL = dump.appendingPathComponent("toc.dat")
            var toc = [UInt8](try Data(contentsOf: tocURL))
            var reader = TOCReader(bytes: toc)
            let first = try #require(try reader.fileNames().first)
            let name = String(decoding: first.file, as: UTF8.self)
            #expect(name.utf8.count == 8, "\(name)")
            let at = try #require(toc.indices.first { toc[$0...].starts(with: first.file) })
            toc.replaceSubrange(at..<(at + 8), with: Array("../x.dat".utf8))
            try Data(toc).write(to: tocURL)
            words = "has a table of contents entry \(first.dumpID) (TABLE DATA \(first.tag)) naming the file '../x.dat', where pg_dump writes '\(name)'"
        }
        let g = try DumpFixtures.grant(for: dump.path, engine: "postgres", in: dir)
        let before = try state(dump)
        let e = #expect(throws: RehearseError.self) { try prepare(dump, grant: g, noTools: true) }
        #expect(e?.code == .refused)
        #expect(e?.message.contains(words) == true, "\(e?.message ?? "")")
        #expect(e?.message.contains(secret) == false)
        // the same refusal with the real tools: the check comes first
        let real = #expect(throws: RehearseError.self) { try prepare(dump, grant: g) }
        #expect(real?.message == e?.message)
        // and `rehearse scan` refuses it too, before rendering
        let scan = #expect(throws: RehearseError.self) { try DumpScanCommand.run(dump: dump.path, allowlist: .none, bindir: nil) }
        #expect(scan?.message.contains(words) == true, "\(scan?.message ?? "")")
        #expect(try state(dump) == before)
        #expect(leftovers().isEmpty)
    }

    /// The workspace (and every scratch tree) is removed without following a
    /// link in it: a directory swapped for a symlink to a directory of root's
    /// makes root remove the link, never what it points at (attack-d15 D-F1b).
    @Test func aTreeIsRemovedWithoutFollowingItsLinks() throws {
        let victim = dir.file("victim")
        try FileManager.default.createDirectory(at: victim, withIntermediateDirectories: false)
        for i in 0..<20 { try "keep".write(to: victim.appendingPathComponent("f\(i)"), atomically: true, encoding: .utf8) }
        let tree = dir.file("tree")
        try FileManager.default.createDirectory(at: tree.appendingPathComponent("a/b/c"), withIntermediateDirectories: true)
        try "x".write(to: tree.appendingPathComponent("a/b/c/file"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: tree.appendingPathComponent("zz").path, withDestinationPath: victim.path)
        try FileManager.default.createSymbolicLink(atPath: tree.appendingPathComponent("a/f0").path, withDestinationPath: victim.appendingPathComponent("f0").path)
        #expect(mkfifo(tree.appendingPathComponent("a/fifo").path, 0o600) == 0)
        let odd = tree.path + "/odd-\u{FF}"
        FileManager.default.createFile(atPath: odd, contents: Data())
        Interruption.removeTree(tree)
        #expect(!FileManager.default.fileExists(atPath: tree.path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: victim.path).count == 20, "nothing behind a link was removed")
    }
}
