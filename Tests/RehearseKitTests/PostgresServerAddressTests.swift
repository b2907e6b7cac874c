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

@Suite struct PostgresServerAddressTests {
    @Test(arguments: ["host=/var/run/postgresql", "postgresql:///postgres", "postgresql://localhost/db", "host=127.0.0.1 port=5433",
                      "postgresql://[::1]:5432/x", "hostaddr=127.8.9.1", "host=/tmp,localhost"])
    func socketsAndLoopbackAreAccepted(_ url: String) throws {
        let address = try PostgresServerAddress(parsing: url)
        if url.contains("localhost") { #expect(address.parameters["hostaddr"]?.contains("127.0.0.1") == true) }
        #expect(address.network == ((url.contains("/var/run") || url == "postgresql:///postgres") ? "none" : "loopback"))
    }

    @Test(arguments: ["host=db.example.com", "postgresql://10.0.0.5/app", "host=/tmp,prod.internal", "hostaddr=192.168.1.2",
                      "postgresql://[2001:db8::1]/x", "host=localhost hostaddr=10.1.1.1", "service=prod",
                      "hostaddr=,10.0.0.5 dbname=postgres", "postgresql:///postgres?hostaddr=%2C10.0.0.5", "host=/tmp,/tmp hostaddr=127.0.0.1"])
    func otherHostsAndServicesAreRefusedWithExit3(_ url: String) {
        do {
            _ = try PostgresServerAddress(parsing: url)
            Issue.record("accepted \(url)")
        } catch let error as RehearseError {
            #expect(error.code == .refused)
            #expect(error.code.exitStatus == 3)
            #expect(error.message.contains("not this machine") || error.message.contains("service") || error.message.contains("hostaddr value"), "\(error.message)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test(// Skipped where the PostgreSQL server is not installed.
          .enabled(if: PostgresServer.found(.test), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"))
    func environmentCannotRedirectAConnection() throws {
        let cluster = try TestPostgres.cluster
        // PGHOST names the test cluster's socket. A connection that names no
        // host would reach it if libpq read PGHOST; scrubbed, it looks in the
        // default socket directory, where this cluster is not.
        setenv("PGHOST", cluster.socketDirectory.path, 1)
        setenv("PGUSER", PostgresCluster.superuser, 1)
        #expect(throws: PGError.self) {
            _ = try PGConnection(["port": String(PostgresCluster.port), "dbname": "postgres", "connect_timeout": "2"])
        }
        #expect(getenv("PGHOST") == nil && getenv("PGUSER") == nil)
    }
}
