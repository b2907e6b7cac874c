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

/// The validator's rules on PostgreSQL evidence, from a real run forged the
/// way ValidatorTests forges SQLite evidence (edit, then reseal).
@Suite(// Skipped where the PostgreSQL server is not installed (one line at the end of the run counts them).
       .enabled(if: PostgresServer.found(), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)")) struct PostgresEvidenceTests {
    func forgeTarget(_ run: URL, _ change: (inout [String: JSONValue]) -> Void) throws {
        let url = run.appendingPathComponent("evidence.json")
        guard case .object(var statement) = try JSONValue.parseStrict([UInt8](Data(contentsOf: url))),
              case .object(var predicate) = statement["predicate"]!, case .object(var target) = predicate["target"]! else {
            Issue.record("unexpected evidence"); return
        }
        change(&target)
        predicate["target"] = .object(target)
        statement["predicate"] = .object(predicate)
        try Data(JSONValue.object(statement).canonicalBytes).write(to: url)
        try Seal.write(directory: run)
    }

    func rules(_ run: URL) throws -> Set<String> {
        Set(try Validator().validate(runDirectory: run).findings.map(\.rule))
    }

    @Test func postgresEvidenceValidatesAndItsTagDigestIsRecomputed() throws {
        let dir = TempDir()
        let result = try rehearsePostgres(Repo.surrogate("commerce"), in: dir, scale: 0.02)
        #expect(try rules(result.runDirectory).isEmpty)
        // The provenance digest R6 recomputes is the PostgreSQL form.
        let table = result.record.pre?.tables[SurrogateTag.provenanceTable]
        let rows = SurrogateProvenance.rows(specDigest: result.record.load!.specDigest, seed: String(result.record.seed),
                                            scale: describeScale(result.record.scale), generator: SurrogatePlan.generatorVersion, name: "commerce")
        #expect(table == SurrogateProvenance.expectedFingerprint(engine: "postgres", rows))
        #expect(table != SurrogateProvenance.expectedFingerprint(engine: "sqlite", rows))
    }

    @Test func loopbackIsAcceptedOnlyForANamedServer() throws {
        let dir = TempDir()
        let run = try rehearsePostgres(Repo.surrogate("commerce"), in: dir, scale: 0.02).runDirectory
        // The network must say what the server reported (R7): over a Unix
        // socket (server_address null) it is "none".
        try forgeTarget(run) { $0["network"] = "loopback" }
        #expect(try rules(run) == ["R7-isolation"], "a socket recorded as loopback")
        try forgeTarget(run) {
            $0["network"] = "loopback"; $0["host"] = "127.0.0.1"; $0["server_address"] = "127.0.0.1"
            $0["socket_directory"] = nil; $0["address"] = "127.0.0.1"
        }
        #expect(try rules(run).isEmpty, "a postgres-server on loopback is allowed")
        // The network claimed must agree with the address the server reported.
        try forgeTarget(run) { $0["network"] = "loopback"; $0["server_address"] = .null }
        #expect(try rules(run) == ["R7-isolation"])
        try forgeTarget(run) { $0["network"] = "none"; $0["server_address"] = "10.0.0.5" }
        #expect(try rules(run) == ["R7-isolation"])
        try forgeTarget(run) { $0["network"] = "loopback"; $0["server_address"] = "10.0.0.5" }
        #expect(try rules(run) == ["R7-isolation"])
        try forgeTarget(run) { $0["network"] = "loopback"; $0["server_address"] = "127.0.0.1" }
        try forgeTarget(run) { $0["network"] = "tcp" }
        #expect(try rules(run) == ["R7-isolation"])
        try forgeTarget(run) { $0["network"] = "loopback"; $0["kind"] = "sqlite-file"; $0["private_temporary_directory"] = .bool(true) }
        #expect(try rules(run) == ["R7-isolation"])
        // What libpq reported must be loopback and a port too.
        try forgeTarget(run) { $0["kind"] = "postgres-server"; $0["private_temporary_directory"] = nil; $0["network"] = "loopback"; $0["address"] = "127.0.0.1" }
        #expect(try rules(run).isEmpty)
        try forgeTarget(run) { $0["address"] = "10.0.0.5" }
        let address = try Validator().validate(runDirectory: run)
        #expect(address.findings.map(\.path) == ["$.predicate.target.address"])
        #expect(address.findings.first?.message.contains("not a literal loopback address") == true)
        try forgeTarget(run) { $0["address"] = "127.0.0.1"; $0["port"] = "99999" }
        let port = try Validator().validate(runDirectory: run)
        #expect(port.findings.map(\.path) == ["$.predicate.target.port"])
        #expect(port.findings.first?.message.contains("is not a port number") == true)
    }

    @Test func anEphemeralClusterMustListenOnNoTCPAddress() throws {
        let dir = TempDir()
        let run = try rehearsePostgres(Repo.surrogate("commerce"), in: dir, scale: 0.02).runDirectory
        try forgeTarget(run) {
            $0["kind"] = "postgres-ephemeral-cluster"; $0["listen_addresses"] = ""
            $0["private_temporary_directory"] = .bool(true); $0["host"] = nil; $0["database"] = "rehearse_scratch"  // the fields a cluster records
        }
        #expect(try rules(run).isEmpty)
        try forgeTarget(run) { $0["listen_addresses"] = "*" }
        let report = try Validator().validate(runDirectory: run)
        #expect(report.findings.map(\.rule) == ["R7-isolation"])
        #expect(report.findings.first?.path == "$.predicate.target.listen_addresses")
    }
}
