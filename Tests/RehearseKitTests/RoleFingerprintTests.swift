import Foundation
import Testing
@testable import RehearseCore
@testable import RehearseEngine
@testable import RehearseEvidence
@testable import RehearseKit
@testable import RehearsePostgres
@testable import RehearseSurrogate
@testable import RehearseValidator

/// Roles a birth creates are cluster-wide, outside the scratch database: a
/// rollback that forgets `DROP ROLE` must FAIL naming the role, and one that
/// drops it must PASS (bootstrap roles and the schema's grantees, there
/// before birth, are no noise). Ephemeral clusters only: each run's roles are its own.
@Suite struct RoleFingerprintTests {
    func run(rollback: String, in dir: TempDir) throws -> RehearsalResult {
        dir.write("s/manifest.yaml", "name: roles\nschema: schema.sql\nprofile: profile.yaml\nbirth: birth.sql\nrollback: rollback.sql\nseed: 1\npostgres_superuser: true\n")
        dir.write("s/schema.sql", "CREATE TABLE public.t (id integer PRIMARY KEY);\nGRANT SELECT ON public.t TO app_reader;\n")
        dir.write("s/profile.yaml", "tables:\n  t:\n    rows: 5\n")
        dir.write("s/birth.sql", "CREATE ROLE app_writer NOLOGIN;\nGRANT app_reader TO app_writer;\n")
        dir.write("s/rollback.sql", rollback)
        var options = Rehearsal.Options()
        options.outputDirectory = dir.file("run")
        options.scratchParent = dir.url
        options.engine = .postgres(.ephemeral())
        return try Rehearsal(source: SurrogateSource(directory: dir.file("s")), options: options).run()
    }

    @Test(// Skipped where the PostgreSQL server is not installed.
          .enabled(if: PostgresServer.found(.test), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"))
    func aRoleTheRollbackLeavesIsDrift() throws {
        let dir = TempDir()
        let result = try run(rollback: "SELECT 1;\n", in: dir)
        #expect(result.record.failure == nil, "\(String(describing: result.record.failure))")
        #expect(result.record.verdict == .fail)
        #expect(result.validation.isValid, "\(result.validation.findings)")
        #expect(result.record.drift?.schema.map { "\($0.kind) \($0.name)" } == ["role app_writer"])
        // Not in the pre-birth fingerprint; its membership is in the post-birth one.
        #expect(result.record.pre?.objects["role app_writer"] == nil)
        #expect(result.record.pre?.objects["role app_reader"] == nil)
    }

    @Test(// Skipped where the PostgreSQL server is not installed.
          .enabled(if: PostgresServer.found(.test), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"))
    func aRoleTheRollbackDropsPasses() throws {
        let dir = TempDir()
        let result = try run(rollback: "DROP ROLE app_writer;\n", in: dir)
        #expect(result.record.failure == nil, "\(String(describing: result.record.failure))")
        #expect(result.record.verdict == .pass)
        #expect(result.validation.isValid, "\(result.validation.findings)")
    }
}
