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
        // host would reach it if libpq read PGHOST. The library, called
        // directly (no CLI scrubbed anything), refuses to connect while such
        // a variable is set, and changes nothing in the environment. The
        // hostile environment is handed in, not set: the process's own is
        // shared with the tests running beside this one.
        let hostile = ["PGHOST": cluster.socketDirectory.path, "PGUSER": PostgresCluster.superuser,
                       "PGSERVICE": "prod", "PGSSLMODE": "disable", "PGOPTIONS": "-c default_transaction_read_only=on"]
        let parameters = ["port": String(PostgresCluster.port), "dbname": "postgres", "connect_timeout": "2"]
        do {
            _ = try PGConnection(parameters, environment: hostile)
            Issue.record("connected with PGHOST set")
        } catch let error as RehearseError {
            #expect(error.code == .refused)
            #expect(error.message.contains("PGHOST, PGOPTIONS, PGSERVICE, PGSSLMODE, PGUSER"), "\(error.message)")
        }
        for (key, value) in hostile {
            #expect(throws: RehearseError.self) { try PGConnection.refuseEnvironment([key: value, "HOME": "/root"]) }
        }
        try PGConnection.refuseEnvironment(["HOME": "/root", "PATH": "/usr/bin", "XPGHOST": "x"])
        #expect(getenv("PGHOST") == nil && getenv("PGUSER") == nil)
        // Without them, a connection that names no host looks in libpq's
        // default socket directory, where this cluster is not.
        #expect(throws: PGError.self) {
            _ = try PGConnection(parameters)
        }
    }
}
