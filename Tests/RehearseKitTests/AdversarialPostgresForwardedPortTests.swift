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
       .enabled(if: PostgresServer.found(), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)")) struct AdversarialPostgresForwardedPortTests {
    /// A socket directory of our own whose socket forwards to the server (as
    /// `ssh -L /dir/.s.PGSQL.5432:...` would to another machine): the server
    /// reports a Unix socket, but its backend is no child of the process at
    /// the socket's other end, so the connection is refused.
    @Test func aUnixSocketForwardedElsewhereIsRefused() throws {
        let cluster = try TestPostgres.cluster
        let dir = TempDir()
        let forwarder = try LoopbackForwarder(listenPath: dir.file(".s.PGSQL.\(PostgresCluster.port)").path,
                                              toUnixSocket: cluster.socketDirectory.appendingPathComponent(".s.PGSQL.\(PostgresCluster.port)").path)
        defer { forwarder.stop() }
        let address = try PostgresServerAddress(parsing: "host=\(dir.url.path) port=\(PostgresCluster.port) user=\(PostgresCluster.superuser) dbname=postgres")
        do {
            _ = try PostgresScratch(target: .server(address), keep: false)
            Issue.record("a forwarded socket was accepted")
        } catch let error as RehearseError {
            #expect(error.code == .refused && error.code.exitStatus == 3, "\(error)")
            #expect(error.message.contains("is not a child of the process \(getpid()) holding the socket"), "\(error.message)")
        }
        // The server's own socket passes the same check.
        _ = try PostgresScratch(target: .server(try TestPostgres.address), keep: false)
    }

    /// 127.0.0.1 passes every check on the text, but the server behind the
    /// port says it was reached over a Unix socket, not from loopback TCP:
    /// the connection is not what the address claimed, so it is refused.
    @Test func aLoopbackPortForwardedElsewhereIsRefused() throws {
        let cluster = try TestPostgres.cluster
        let forwarder = try LoopbackForwarder(toUnixSocket: cluster.socketDirectory.appendingPathComponent(".s.PGSQL.\(PostgresCluster.port)").path)
        defer { forwarder.stop() }
        let address = try PostgresServerAddress(parsing: "host=127.0.0.1 port=\(forwarder.port) user=\(PostgresCluster.superuser) dbname=postgres sslmode=disable")
        #expect(address.network == "loopback")
        do {
            _ = try PostgresScratch(target: .server(address), keep: false)
            Issue.record("a forwarded port was accepted")
        } catch let error as RehearseError {
            #expect(error.code == .refused && error.code.exitStatus == 3, "\(error)")
            #expect(error.message.contains("the server reports a Unix socket, but libpq connected over TCP"), "\(error.message)")
            #expect(error.message.contains("address '127.0.0.1' port '\(forwarder.port)'"), "\(error.message)")
        }
    }
}
