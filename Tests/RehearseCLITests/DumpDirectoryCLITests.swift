import Foundation
import Testing

/// A pg_dump -Fd directory on the command line: `grant create` names it by
/// the documented listing digest; a symlink (to /etc/passwd, or to a file
/// elsewhere), an unexpected file or a hard link in it is refused with exit 3
/// naming the entry, before anything is restored, and the source directory is
/// left byte- and mtime-identical. (The full -Fd rehearsal, the toc.dat and
/// blobs.toc checks and replay are in DirectoryDumpTests and DumpReplayTests,
/// which make real pg_dump directories.)
@Suite struct DumpDirectoryCLITests {
    /// A directory shaped like a pg_dump -Fd one (the refusals come before
    /// its content is read), a key, trust file and a signed grant for it.
    func setUp(_ s: Scratch) throws -> (dump: String, grant: String, trust: String) {
        let dump = s.url.appendingPathComponent("prod.dir")
        try FileManager.default.createDirectory(at: dump, withIntermediateDirectories: false)
        try Data("PGDMP\u{1}\u{e}\u{0}".utf8).write(to: dump.appendingPathComponent("toc.dat"))
        try Data("1\tAC/DC\n\\.\n".utf8).write(to: dump.appendingPathComponent("3432.dat"))
        #expect(try CLI.run(["keys", "generate", "--out", s.path("op")]).status == 0)
        try CLI.run(["keys", "trust", s.path("op.pub")]).stdout.write(toFile: s.path("trust.json"), atomically: true, encoding: .utf8)
        let created = try CLI.run(["grant", "create", "--dump", dump.path, "--issuer", "ops", "--engine", "postgres", "--out", s.path("g.json")])
        #expect(created.status == 0, "\(created.all)")
        #expect(try CLI.run(["grant", "sign", s.path("g.json"), "--key", s.path("op.key")]).status == 0)
        return (dump.path, s.path("g.json"), s.path("trust.json"))
    }

    func state(_ dir: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir).sorted().map { name in
            var st = stat()
            lstat(dir + "/" + name, &st)
            let bytes = (try? Data(contentsOf: URL(fileURLWithPath: dir + "/" + name))).map { DumpCLITests.sha256($0) } ?? "-"
            return "\(name) \(st.st_mode) \(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec) \(bytes)"
        }
    }

    @Test func grantCreateNamesADirectoryByTheDocumentedListing() throws {
        let s = Scratch()
        let (dump, grant, _) = try setUp(s)
        let listing = ["3432.dat", "toc.dat"].map { name -> String in
            let data = try! Data(contentsOf: URL(fileURLWithPath: dump + "/" + name))
            return "\(name) \(data.count) \(DumpCLITests.sha256(data))\n"
        }.joined()
        let expected = DumpCLITests.sha256(Data(listing.utf8))
        let envelope = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: grant))) as? [String: Any]
        let payload = try #require(Data(base64Encoded: envelope?["payload"] as? String ?? ""))
        #expect(String(decoding: payload, as: UTF8.self).contains("\"subject\":{\"sha256\":\"\(expected)\"}"),
                "the grant's subject is the SHA-256 of '<name> <size> <sha256>' lines sorted by name")
    }

    @Test(arguments: ["symlink to /etc/passwd", "symlink elsewhere", "unexpected file", "hard link"])
    func aHostileEntryIsRefusedWithExitThreeNamingIt(_ kind: String) throws {
        let s = Scratch()
        let (dump, grant, trust) = try setUp(s)
        let outside = s.path("outside.txt")
        try "AKIA".appending("IOSFODNN7OUTSIDE").write(toFile: outside, atomically: true, encoding: .utf8)
        let words: String
        switch kind {
        case "symlink to /etc/passwd":
            try FileManager.default.createSymbolicLink(atPath: dump + "/3433.dat", withDestinationPath: "/etc/passwd")
            words = "holds 3433.dat, which is a symbolic link"
        case "symlink elsewhere":
            try FileManager.default.createSymbolicLink(atPath: dump + "/blobs.toc", withDestinationPath: outside)
            words = "holds blobs.toc, which is a symbolic link"
        case "unexpected file":
            try "x".write(toFile: dump + "/restore.sql", atomically: true, encoding: .utf8)
            words = "holds restore.sql, a file pg_dump never writes"
        default:
            #expect(link(outside, dump + "/3434.dat") == 0)
            words = "holds 3434.dat, a file with 2 hard links"
        }
        let before = try state(dump)
        let r = try CLI.run(["--dump", dump, "--grant", grant, "--trust", trust, "--engine", "postgres", try DumpCLITests().change(s)], environment: s.env)
        #expect(r.status == 3, "\(r.all)")
        #expect(r.stderr.contains(words), "\(r.stderr)")
        #expect(r.stderr.contains("Nothing was restored."))
        #expect(!r.all.contains("IOSFODNN7OUTSIDE"))
        let scan = try CLI.run(["scan", dump], environment: s.env)
        #expect(scan.status == 3)
        #expect(scan.stderr.contains(words))
        #expect(try state(dump) == before, "the source is byte- and mtime-identical after the refusals")
        #expect(s.leftovers.isEmpty, "\(s.leftovers)")
    }
}
