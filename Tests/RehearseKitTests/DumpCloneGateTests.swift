import Crypto
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

/// The gate before a dump clone is restored: Chinook in every pg_dump format
/// and as an SQLite file passes with a valid grant; hostile dumps and grants
/// are refused with exit 3 naming what failed; the source never changes and
/// the private copy is removed.
@Suite(.serialized,
       // Skipped where the PostgreSQL server is not installed (one line at the end of the run counts them).
       .enabled(if: PostgresServer.found(), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)")) struct DumpCloneGateTests {
    let dir = TempDir()
    var now: Int64 { Int64(Date().timeIntervalSince1970) }

    func prepare(_ dump: String, engine: String, grant: (grant: String, trust: String)? = nil) throws -> DumpCloneGate.Prepared {
        let g = try grant ?? DumpFixtures.grant(for: dump, engine: engine, in: dir)
        return try DumpCloneGate.prepare(dump: dump, grantFile: g.grant, trustFile: g.trust, engine: engine, allowlist: .none,
                                         bindir: nil, now: now, scratchParent: dir.url)
    }

    func leftovers() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir.url.path)) ?? []).filter { $0.hasPrefix("rehearse-dump-") }
    }

    @Test func chinookPassesInEveryFormatAndTheSourceIsUnchanged() throws {
        let dumps = try DumpFixtures.dumps
        for (name, format) in [("chinook.sql", DumpFormat.plain), ("chinook.custom", .custom), ("chinook.tar", .tar), ("chinook.dir", .directory)] {
            let path = dumps.appendingPathComponent(name).path
            let before = try DumpDigest.of(path: path)
            let p = try prepare(path, engine: "postgres")
            #expect(p.format == format, "\(name)")
            #expect(p.digest == before)
            #expect(p.grant.statement.subjectSHA256 == before)
            #expect(p.scan.isClean)
            #expect(p.scan.bytesScanned > 300_000, "\(name): the data was scanned, not just the schema")
            #expect((p.restoreTool?.hasPrefix("pg_restore (PostgreSQL)") ?? true), "\(name)")
            #expect(format == .plain ? p.restoreTool == nil : p.restoreTool != nil)
            p.workspace.remove()
            #expect(try DumpDigest.of(path: path) == before)
        }
        let sqlite = try prepare(Repo.chinook.path, engine: "sqlite")
        #expect(sqlite.format == .sqlite)
        sqlite.workspace.remove()
        #expect(leftovers().isEmpty)
    }

    @Test func aGrantForAnotherEngineOrDumpIsRefusedAndTheWrongOneNeverOpensTheDump() throws {
        let path = try DumpFixtures.dumps.appendingPathComponent("chinook.custom").path
        let sqliteGrant = try DumpFixtures.grant(for: path, engine: "sqlite", in: dir)
        // a dump path that does not exist: the refusal is about the grant, so it was never opened
        let e = #expect(throws: RehearseError.self) {
            try DumpCloneGate.prepare(dump: dir.file("missing.dump").path, grantFile: sqliteGrant.grant, trustFile: sqliteGrant.trust,
                                      engine: "postgres", allowlist: .none, bindir: nil, now: now, scratchParent: dir.url)
        }
        #expect(e?.code == .refused)
        #expect(e?.message.contains("it grants the sqlite engine, and this run asks for postgres") == true)
        #expect(e?.message.contains("The dump was not opened or read.") == true)
        let other = try DumpFixtures.grant(for: Repo.chinook.path, engine: "postgres", in: dir)
        let replay = #expect(throws: RehearseError.self) { try prepare(path, engine: "postgres", grant: other) }
        #expect(replay?.code == .refused)
        #expect(replay?.message.contains("it is bound to the dump with SHA-256") == true)
        let expired = try DumpFixtures.grant(for: path, engine: "postgres", in: dir, notBefore: now - 7200, notAfter: now - 3600)
        #expect((#expect(throws: RehearseError.self) { try prepare(path, engine: "postgres", grant: expired) })?.message.contains("it has expired") == true)
        // an SQLite file under a postgres grant for it: the format decides the engine
        let mismatch = try DumpFixtures.grant(for: Repo.chinook.path, engine: "postgres", in: dir)
        #expect((#expect(throws: RehearseError.self) { try prepare(Repo.chinook.path, engine: "postgres", grant: mismatch) })?.message.contains("is a sqlite dump, which restores into sqlite") == true)
        #expect(leftovers().isEmpty)
    }

    @Test func aTarWithPathTraversalOrALinkIsRefused() throws {
        for (members, words) in [([("toc.dat", UInt8(ascii: "0")), ("../../etc/cron.d/x", UInt8(ascii: "0"))], "has a member named '../../etc/cron.d/x'"),
                                 ([("toc.dat", UInt8(ascii: "0")), ("3001.dat", UInt8(ascii: "2"))], "that is not a regular file (tar type '2'")] {
            let path = dir.file("evil-\(UUID().uuidString.prefix(4)).tar")
            try Data(DumpFixtures.tar(members: members)).write(to: path)
            let e = #expect(throws: RehearseError.self) { try prepare(path.path, engine: "postgres") }
            #expect(e?.code == .refused)
            #expect(e?.message.contains(words) == true, "\(e?.message ?? "")")
        }
        #expect(leftovers().isEmpty)
    }

    @Test func aDirectoryDumpHoldingASymlinkIsRefused() throws {
        let copy = dir.file("linked.dir")
        try FileManager.default.copyItem(at: try DumpFixtures.dumps.appendingPathComponent("chinook.dir"), to: copy)
        try FileManager.default.createSymbolicLink(atPath: copy.appendingPathComponent("9999.dat.gz").path, withDestinationPath: "/etc/shadow")
        let e = #expect(throws: RehearseError.self) { try prepare(copy.path, engine: "postgres") }
        #expect(e?.code == .refused)
        #expect(e?.message.contains("holds 9999.dat.gz, which is a symbolic link") == true, "\(e?.message ?? "")")
        #expect(leftovers().isEmpty)
    }

    @Test func aCustomDumpReachingAnotherHostIsRefusedFromItsContents() throws {
        let db = try TestPostgres.database()
        defer { db.drop() }
        try TestPostgres.connect(db.name).execute("""
            CREATE EXTENSION postgres_fdw;
            CREATE SERVER elsewhere FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'db.example.com', dbname 'prod');
            CREATE TABLE t (id int);
            """)
        let path = dir.file("fdw.custom").path
        try DumpFixtures.pgDump(database: db.name, ["-Fc", "-f", path])
        let before = try DumpDigest.of(path: path)
        let e = #expect(throws: RehearseError.self) { try prepare(path, engine: "postgres") }
        #expect(e?.code == .refused)
        #expect(e?.message.contains("holds a SERVER entry in its table of contents") == true, "\(e?.message ?? "")")
        #expect(try DumpDigest.of(path: path) == before)
        #expect(leftovers().isEmpty)
    }

    @Test func aCustomDumpWithASecretIsRefusedWithoutTheValue() throws {
        let db = try TestPostgres.database()
        defer { db.drop() }
        let secret = "ghp_" + "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5"
        try TestPostgres.connect(db.name).execute("CREATE TABLE users (id int, password text, note text); INSERT INTO users VALUES (1, 'pa55word!', '\(secret)');")
        let path = dir.file("secret.custom").path
        try DumpFixtures.pgDump(database: db.name, ["-Fc", "-f", path])
        let e = #expect(throws: RehearseError.self) { try prepare(path, engine: "postgres") }
        #expect(e?.code == .refused)
        #expect(e?.message.contains("is not secret-free: 2 finding(s)") == true, "\(e?.message ?? "")")
        #expect(e?.message.contains("sensitive_column at public.users.password") == true)
        #expect(e?.message.contains("github_token at public.users.note") == true)
        #expect(e?.message.contains(secret) == false)
        #expect(e?.message.contains("pa55word!") == false)
        #expect(leftovers().isEmpty)
    }
}
