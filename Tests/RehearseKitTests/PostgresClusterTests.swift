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

/// Serialized: one test corrupts the shared data-directory cache on purpose.
@Suite(.serialized,
       // Skipped where the PostgreSQL server is not installed (one line at the end of the run counts them).
       .enabled(if: PostgresServer.found(), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)")) struct PostgresClusterTests {
    @Test func aClusterLeftByAKilledRunIsRemovedByTheNextAndAKeptOneStays() throws {
        let dir = TempDir()
        let orphan = try PostgresCluster.start(parent: dir.url)
        // The first cluster left a cached data directory; later ones copy it.
        let template = try #require(PostgresCluster.templateDirectory(bindir: orphan.bindir, runAs: orphan.runAs))
        #expect(FileManager.default.fileExists(atPath: template.appendingPathComponent("data/PG_VERSION").path))
        #expect(FileManager.default.fileExists(atPath: template.appendingPathComponent(PostgresCluster.completeMark).path))
        let kept = try PostgresCluster.start(parent: dir.url)
        kept.remove(keep: true)
        #expect(postmasters(under: dir.url).count == 1)
        // Pretend the owner died: a pid that has exited.
        let child = try ChildProcess.run("/bin/true", [], environment: [:], output: dir.file("true.out"))
        #expect(child.status == 0)
        try "pid=999999 start=1 kept=0\n".write(to: orphan.directory.appendingPathComponent(PostgresCluster.ownerFile), atomically: true, encoding: .utf8)
        let removed = PostgresCluster.cleanStale(in: dir.url)
        #expect(removed.map(\.lastPathComponent) == [orphan.directory.lastPathComponent])
        #expect(postmasters(under: dir.url).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: orphan.directory.path))
        #expect(FileManager.default.fileExists(atPath: kept.directory.appendingPathComponent("data/PG_VERSION").path))
        // A live owner's cluster is never touched.
        let live = try PostgresCluster.start(parent: dir.url)
        #expect(PostgresCluster.cleanStale(in: dir.url).isEmpty)
        live.remove(keep: false)
        orphan.remove(keep: false)
        #expect(postmasters(under: dir.url).isEmpty)
    }

    @Test func aBrokenCachedDataDirectoryIsReplacedByAFreshInitdb() throws {
        let dir = TempDir()
        let first = try PostgresCluster.start(parent: dir.url)
        let template = try #require(PostgresCluster.templateDirectory(bindir: first.bindir, runAs: first.runAs))
        first.remove(keep: false)
        let conf = template.appendingPathComponent("data/postgresql.conf")
        let handle = try FileHandle(forWritingTo: conf)
        handle.seekToEndOfFile()
        handle.write(Data("this is not a setting\n".utf8))
        try handle.close()
        let second = try PostgresCluster.start(parent: dir.url)
        let db = try PGConnection(second.connectionParameters(database: "postgres"))
        #expect(try db.scalar("SELECT 1") == "1")
        // The broken cache was dropped (a fresh one may already stand in its place).
        #expect((try? String(contentsOf: conf, encoding: .utf8))?.contains("this is not a setting") != true)
        second.remove(keep: false)
        #expect(dir.leftovers("rehearse-pg-").isEmpty)
    }

    @Test func theServerListensOnNoTCPAddress() throws {
        let db = try TestPostgres.connect()
        #expect(try db.scalar("SHOW listen_addresses") == "")
        #expect(try db.scalar("SELECT inet_server_addr()::text") == nil)
        #expect(try db.scalar("SHOW unix_socket_directories") == (try TestPostgres.cluster.socketDirectory.path))
    }
}
