import Foundation
import Testing
@testable import RehearseCore
@testable import RehearseEngine
@testable import RehearseEvidence
@testable import RehearseKit
@testable import RehearsePostgres
@testable import RehearseSurrogate
@testable import RehearseValidator

/// A `--pg-url` run whose schema grants to a role that server lacks maps
/// the grantee to the scratch owner (a named server is shared: rehearse
/// creates no role there). Replay, in its private cluster, maps it again
/// instead of creating it, so it reports no mismatch (it used to: a false alarm).
@Suite struct ReplayRoleMappingTests {
    @Test(// Skipped where the PostgreSQL server is not installed.
          .enabled(if: PostgresServer.found(.test), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"))
    func replayOfANamedServerRunMapsTheSameGrantees() throws {
        let dir = TempDir()
        let ghost = "ghost_" + UUID().uuidString.prefix(8).lowercased()
        dir.write("s/manifest.yaml", "name: mapped\nschema: schema.sql\nprofile: profile.yaml\nbirth: birth.sql\nrollback: rollback.sql\nseed: 1\n")
        dir.write("s/schema.sql", "CREATE TABLE public.t (id integer PRIMARY KEY);\nGRANT SELECT ON TABLE public.t TO \(ghost);\n")
        dir.write("s/profile.yaml", "tables:\n  t:\n    rows: 5\n")
        dir.write("s/birth.sql", "SELECT 1;\n")
        dir.write("s/rollback.sql", "SELECT 1;\n")
        let result = try rehearsePostgres(dir.file("s"), in: dir)
        #expect(result.record.verdict == .pass, "\(String(describing: result.record.failure))")
        #expect(result.evidence["predicate"]?["source"]?["roles"]?[ghost] == "scratch owner")
        let findings = try Replay.check(runDirectory: result.runDirectory, scratchParent: dir.url)
        #expect(findings.isEmpty, "\(findings.map(\.description))")
    }
}
