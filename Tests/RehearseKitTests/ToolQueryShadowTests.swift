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

/// rehearse's own superuser queries never resolve a name a script defined
/// (attack-15 F2 class, surrogate path): a birth that defines a
/// `public.count(*)` aggregate whose state function writes a server file
/// (which only a superuser may do) and puts public first on its role's
/// search_path rehearses to a PASS, and the file is never written — nothing
/// of the script's ran with superuser rights. The same aggregate called by a
/// superuser session that resolves names through public does write it, so
/// the test would see a tool query that did.
@Suite(.serialized,
       // Skipped where the PostgreSQL server is not installed (one line at the end of the run counts them).
       .enabled(if: PostgresServer.found(), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)")) struct ToolQueryShadowTests {
    let dir = TempDir()

    static func spy(marker: String) -> String {
        """
        CREATE FUNCTION public.spy(state bigint) RETURNS bigint LANGUAGE plpgsql AS $f$
        BEGIN
            BEGIN
                EXECUTE 'COPY (SELECT current_user) TO ' || pg_catalog.quote_literal('\(marker)');
            EXCEPTION WHEN OTHERS THEN NULL;
            END;
            RETURN state + 1;
        END $f$;
        CREATE AGGREGATE public.count(*) (SFUNC = public.spy, STYPE = bigint, INITCOND = '0');

        """
    }

    @Test func aShadowingCountAggregateNeverRunsAsSuperuser() throws {
        let marker = "/tmp/rehearse-spy-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: marker) }
        let change = dir.file("change")
        try FileManager.default.copyItem(at: Repo.surrogate("commerce"), to: change)
        try? FileManager.default.removeItem(at: change.appendingPathComponent("SEAL.sha256"))
        let birth = try String(contentsOf: change.appendingPathComponent("birth.sql"), encoding: .utf8)
        try (Self.spy(marker: marker) + "ALTER ROLE CURRENT_USER SET search_path = public, pg_catalog;\nSET search_path = public, pg_catalog;\n" + birth)
            .write(to: change.appendingPathComponent("birth.postgres.sql"), atomically: true, encoding: .utf8)
        try? FileManager.default.removeItem(at: change.appendingPathComponent("birth.sql"))
        var manifest = try String(contentsOf: change.appendingPathComponent("manifest.yaml"), encoding: .utf8)
        manifest = manifest.replacingOccurrences(of: "birth: birth.sql", with: "birth: birth.postgres.sql")
        try manifest.write(to: change.appendingPathComponent("manifest.yaml"), atomically: true, encoding: .utf8)
        let rollback = try String(contentsOf: change.appendingPathComponent("rollback.postgres.sql"), encoding: .utf8)
        try ("ALTER ROLE CURRENT_USER RESET search_path;\nDROP AGGREGATE public.count(*);\nDROP FUNCTION public.spy(bigint);\n" + rollback)
            .write(to: change.appendingPathComponent("rollback.postgres.sql"), atomically: true, encoding: .utf8)

        var options = Rehearsal.Options()
        options.engine = .postgres(.ephemeral())
        options.scratchParent = dir.url
        options.outputDirectory = dir.file("run")
        let result = try Rehearsal(source: try SurrogateSource(directory: change), options: options).run()
        #expect(result.record.failure == nil, "\(result.record.failure.map { $0.message } ?? "")")
        #expect(result.validation.isValid, "\(result.validation.findings)")
        #expect(!FileManager.default.fileExists(atPath: marker), "a tool query ran the script's aggregate as superuser")

        // Not vacuous: a superuser session resolving through public runs it.
        let db = try TestPostgres.database()
        defer { db.drop() }
        let su = try TestPostgres.connect(db.name)
        try su.execute(Self.spy(marker: marker))
        _ = try su.execute("SET search_path = public, pg_catalog")
        _ = try su.scalar("SELECT count(*) FROM (VALUES (1)) v")
        #expect(FileManager.default.fileExists(atPath: marker))
    }

    /// Localization stages the pre-birth rows as text, never in the column's
    /// own type: staging into a domain ran the domain's CHECK, a function
    /// the schema chose, in the tool's superuser session (red team D-F0 made
    /// it run a program from an unedited dump; here the function fails when
    /// it runs as superuser; the ephemeral cluster loads and runs scripts as
    /// the non-superuser owner, so only a tool session could). Integer keys still span in numeric order.
    @Test func driftLocalizationRunsNoDomainCheckAsSuperuser() throws {
        dir.write("s/manifest.yaml", "name: domaincheck\nschema: schema.sql\nprofile: profile.yaml\nbirth: birth.sql\nrollback: rollback.sql\nseed: 2\n")
        dir.write("s/schema.sql", """
            CREATE FUNCTION watch(v text) RETURNS boolean LANGUAGE plpgsql STABLE AS $f$
            BEGIN
              IF pg_catalog.current_setting('is_superuser') = 'on' THEN
                RAISE EXCEPTION 'the domain CHECK ran as superuser';
              END IF;
              RETURN true;
            END $f$;
            CREATE DOMAIN watched AS text CHECK (watch(VALUE));
            CREATE TABLE t (id integer PRIMARY KEY, tag watched);
            """)
        dir.write("s/profile.yaml", "tables:\n  t: { rows: 20, columns: { id: { generator: sequence, start: 1 }, tag: { generator: sku } } }\nedge_cases: off\n")
        dir.write("s/birth.sql", "UPDATE t SET tag = tag || 'x' WHERE id IN (9, 10);\n")
        dir.write("s/rollback.sql", "SELECT 1;\n")
        var options = Rehearsal.Options()
        options.engine = .postgres(.ephemeral())
        options.scratchParent = dir.url
        options.outputDirectory = dir.file("run-domain")
        let result = try Rehearsal(source: try SurrogateSource(directory: dir.file("s")), options: options).run()
        #expect(result.validation.isValid, "\(result.validation.findings)")
        #expect(result.record.verdict == .fail)
        let data = result.record.drift?.data.first { $0.table == "t" }
        #expect(data?.changed == 2)
        #expect(data?.note == "differing rows span id 9 to 10", "\(String(describing: data?.note))")
        #expect(result.record.drift.map { "\($0)" }?.contains("ran as superuser") != true)
    }
}
