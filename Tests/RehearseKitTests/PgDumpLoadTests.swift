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

/// pg_dump output loads unchanged (issue 12, item 1): a real pg_dump of
/// Chinook, with every ordering pg_dump relies on added (a view's comment and
/// owner, a materialized view and its index, an `ON ONLY` partitioned index
/// and its ATTACH PARTITION, grants to a role the scratch cluster lacks),
/// rehearses a no-op to PASS with zero edits, with and without owners and
/// privileges; the role mapping is in the evidence.
@Suite struct PgDumpLoadTests {
    /// A role of the source cluster the scratch one lacks (one per dump:
    /// roles are cluster-wide and tests run side by side).
    static func extras(_ reader: String) -> String {
        """
        CREATE ROLE \(reader) NOLOGIN;
        CREATE VIEW artist_names AS SELECT artist_id, name FROM artist;
        COMMENT ON VIEW artist_names IS 'names only';
        COMMENT ON COLUMN artist_names.name IS 'display name';
        ALTER VIEW artist_names ALTER COLUMN name SET DEFAULT 'unknown';
        GRANT SELECT ON artist_names TO app_reader;
        GRANT SELECT (name) ON artist TO app_reader;
        CREATE MATERIALIZED VIEW genre_tracks AS SELECT genre_id, count(*) AS tracks FROM track GROUP BY genre_id;
        CREATE UNIQUE INDEX genre_tracks_genre ON genre_tracks (genre_id);
        CREATE TABLE play (id integer NOT NULL, day date NOT NULL) PARTITION BY RANGE (day);
        CREATE TABLE play_2024 PARTITION OF play FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
        CREATE INDEX play_day ON play (day);
        CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
        CREATE TRIGGER album_touch BEFORE UPDATE ON album FOR EACH ROW EXECUTE FUNCTION touch();
        ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO app_reader;
        """.replacingOccurrences(of: "app_reader", with: reader)
    }

    /// Chinook's PostgreSQL script (its own DROP/CREATE DATABASE and `\\c`
    /// left out) plus `extras`, in a database of the shared cluster, dumped
    /// schema-only with the given pg_dump options.
    static func dump(_ options: [String], reader: String, in dir: TempDir) throws -> String {
        let (database, drop) = try TestPostgres.database()
        defer { drop() }
        let script = try String(contentsOfFile: Repo.shared("chinook/Chinook_PostgreSql.sql"), encoding: .utf8)
        let db = try TestPostgres.connect(database)
        for statement in PostgresScript.statements(of: script + "\n" + extras(reader)) {
            let head = SQLNormalizer.tokens(String(statement.sql.prefix(40)))
            if statement.sql.hasPrefix("\\") || head.prefix(2) == ["drop", "database"] || head.prefix(2) == ["create", "database"] { continue }
            try db.executeStatement(statement.sql)
        }
        let cluster = try TestPostgres.cluster
        let out = dir.file("dump-\(options.joined()).sql")
        let outcome = try ChildProcess.run(cluster.bindir.appendingPathComponent("pg_dump").path,
                                           ["--schema-only", "-h", cluster.socketDirectory.path, "-p", String(PostgresCluster.port),
                                            "-U", PostgresCluster.superuser, "-d", database, "-f", out.path] + options,
                                           environment: ["PATH": "/usr/bin:/bin"], output: dir.file("pg_dump.log"))
        #expect(outcome.status == 0, "\(outcome.output)")
        return try String(contentsOf: out, encoding: .utf8)
    }

    static func surrogate(schema: String, in dir: TempDir, name: String, profile: String? = nil) -> URL {
        dir.write("\(name)/manifest.yaml", "name: chinook-dump\nschema: schema.sql\nprofile: profile.yaml\nbirth: birth.sql\nrollback: rollback.sql\nseed: 5\n")
        dir.write("\(name)/schema.sql", schema)
        dir.write("\(name)/profile.yaml", profile ?? "default_rows: 40\ntables:\n  play:\n    rows: 10\n    columns:\n      day: { generator: timestamp, from: \"2024-01-01\", to: \"2024-12-31\" }\n")
        dir.write("\(name)/birth.sql", "SELECT 1;\n")
        dir.write("\(name)/rollback.sql", "SELECT 1;\n")
        return dir.file(name)
    }

    @Test(// Skipped where the PostgreSQL server is not installed.
          .enabled(if: PostgresServer.found(.test), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"))
    func chinookDumpWithOwnersAndPrivilegesPasses() throws {
        let dir = TempDir()
        let schema = try Self.dump([], reader: "reader_full", in: dir)
        // The dump has what used to need hand edits.
        #expect(schema.contains("OWNER TO \(PostgresCluster.superuser)"))
        #expect(schema.contains("ATTACH PARTITION"))
        #expect(schema.contains("COMMENT ON VIEW public.artist_names"))
        #expect(schema.contains("TO reader_full"))
        let result = try rehearsePostgres(Self.surrogate(schema: schema, in: dir, name: "full"), in: dir)
        #expect(result.record.failure == nil, "\(String(describing: result.record.failure))")
        #expect(result.record.verdict == .pass)
        #expect(result.validation.isValid, "\(result.validation.findings)")
        // Both grantees exist on this server and are kept (the dump's owner
        // is also a grantee); ownership is the scratch owner's.
        let roles = result.evidence["predicate"]?["source"]?["roles"]?.objectValue ?? [:]
        #expect(roles == [PostgresCluster.superuser: "existing", "reader_full": "existing"])
        let view = try #require(result.record.pre?.objects["view artist_names"])
        #expect(view["acl"]?.stringValue?.contains("reader_full=r/$owner") == true, "\(String(describing: view["acl"]))")
        // Every object pg_dump wrote is there, and the grant to PUBLIC-less roles was mapped away.
        let keys = Set(try #require(result.record.pre).objects.keys)
        for key in ["view artist_names", "matview genre_tracks", "index genre_tracks_genre", "index play_day", "index play_2024_day_idx",
                    "trigger album.album_touch", "table play_2024"] {
            #expect(keys.contains(key), "missing \(key)")
        }
    }

    @Test(// Skipped where the PostgreSQL server is not installed.
          .enabled(if: PostgresServer.found(.test), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"))
    func chinookDumpWithoutOwnersOrPrivilegesPasses() throws {
        let dir = TempDir()
        let schema = try Self.dump(["--no-owner", "--no-privileges"], reader: "reader_bare", in: dir)
        #expect(!schema.contains("OWNER TO"))
        let result = try rehearsePostgres(Self.surrogate(schema: schema, in: dir, name: "bare"), in: dir)
        #expect(result.record.verdict == .pass, "\(String(describing: result.record.failure))")
        #expect(result.validation.isValid, "\(result.validation.findings)")
        #expect(result.evidence["predicate"]?["source"]?["roles"] == nil)
    }

    /// In an ephemeral cluster a grantee the cluster lacks is created
    /// NOLOGIN, so a grant the rollback forgets to give back is drift, and
    /// the owner a dump names is mapped to the scratch owner.
    @Test(// Skipped where the PostgreSQL server is not installed.
          .enabled(if: PostgresServer.found(.test), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"))
    func granteesAreCreatedInAnEphemeralClusterAndAForgottenGrantIsDrift() throws {
        let dir = TempDir()
        dir.write("s/manifest.yaml", "name: grants\nschema: schema.sql\nprofile: profile.yaml\nbirth: birth.sql\nrollback: rollback.sql\nseed: 1\n")
        dir.write("s/schema.sql", """
            CREATE TABLE public.t (id integer PRIMARY KEY);
            ALTER TABLE public.t OWNER TO app_owner;
            GRANT SELECT ON TABLE public.t TO app_ro;
            GRANT SELECT, INSERT ON TABLE public.t TO "App Writer";
            CREATE POLICY readers ON public.t AS RESTRICTIVE FOR SELECT TO app_reader, app_ro USING (id > 0);
            """)
        dir.write("s/profile.yaml", "tables:\n  t:\n    rows: 5\n")
        dir.write("s/birth.sql", "REVOKE SELECT ON public.t FROM app_ro;\n")
        dir.write("s/rollback.sql", "SELECT 1;\n")
        var options = Rehearsal.Options()
        options.outputDirectory = dir.file("run")
        options.scratchParent = dir.url
        options.engine = .postgres(.ephemeral())
        let result = try Rehearsal(source: SurrogateSource(directory: dir.file("s")), options: options).run()
        #expect(result.record.failure == nil, "\(String(describing: result.record.failure))")
        #expect(result.record.verdict == .fail)
        #expect(result.validation.isValid, "\(result.validation.findings)")
        #expect(result.evidence["predicate"]?["source"]?["roles"] == ["app_owner": "scratch owner", "app_ro": "created NOLOGIN", "App Writer": "created NOLOGIN",
                                                                             "app_reader": "created NOLOGIN"])
        let acl = result.record.pre?.objects["table t"]?["acl"]?.stringValue ?? ""
        #expect(acl.contains("app_ro=r/$owner") && acl.contains("\"App Writer\"=ar/$owner"), "\(acl)")
        #expect(result.record.drift?.schema.map { "\($0.kind) \($0.name)" } == ["table t"])
    }

    /// A newer pg_dump's setting this server does not know is skipped; a
    /// `SET ROLE` to a missing role is not (same SQLSTATE), and says where.
    @Test(// Skipped where the PostgreSQL server is not installed.
          .enabled(if: PostgresServer.found(.test), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"))
    func unknownSettingsAreSkippedButSetRoleIsNot() throws {
        let dir = TempDir()
        let chinookish = "SET transaction_timeout = 0;\nSET lock_timeout = 0;\nCREATE TABLE public.t (id integer PRIMARY KEY);\n"
        let ok = try rehearsePostgres(Self.surrogate(schema: chinookish, in: dir, name: "newer", profile: "default_rows: 5\n"), in: dir)
        #expect(ok.record.verdict == .pass, "\(String(describing: ok.record.failure))")
        let roleSwitch = "SET ROLE nobody_here;\nCREATE TABLE public.t (id integer PRIMARY KEY);\n"
        #expect {
            _ = try rehearsePostgres(Self.surrogate(schema: roleSwitch, in: dir, name: "role", profile: "default_rows: 5\n"), in: dir)
        } throws: { error in
            let e = error as? RehearseError
            return e?.code == .badInput && e?.message.contains("schema.sql") == true && e?.message.contains("nobody_here") == true
        }
    }

    @Test func rolesAreMappedDeterministically() {
        var mapped: Set<String> = []
        #expect(PgDumpSchemaPlan.mapRoles("GRANT SELECT ON TABLE public.t TO app_ro;", mapped: &mapped) == nil)
        #expect(PgDumpSchemaPlan.mapRoles("GRANT SELECT ON TABLE public.t TO app_ro, PUBLIC WITH GRANT OPTION;", mapped: &mapped)
                == "GRANT SELECT ON TABLE public.t TO PUBLIC WITH GRANT OPTION")
        #expect(PgDumpSchemaPlan.mapRoles("REVOKE ALL ON SCHEMA public FROM PUBLIC;", mapped: &mapped) == "REVOKE ALL ON SCHEMA public FROM PUBLIC;")
        #expect(PgDumpSchemaPlan.mapRoles("GRANT admins TO alice;", mapped: &mapped) == nil)
        #expect(PgDumpSchemaPlan.mapRoles("ALTER DEFAULT PRIVILEGES FOR ROLE \"Owner\" IN SCHEMA public GRANT SELECT ON TABLES TO PUBLIC;", mapped: &mapped)
                == "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO PUBLIC")
        #expect(PgDumpSchemaPlan.mapRoles("GRANT SELECT ON t TO pg_read_all_data GRANTED BY bob", mapped: &mapped) == "GRANT SELECT ON t TO pg_read_all_data")
        #expect(PgDumpSchemaPlan.policyRoles("CREATE POLICY p ON app.t FOR SELECT TO app_reader, \"Ops\" USING (true);") == ["app_reader", "Ops"])
        #expect(PgDumpSchemaPlan.policyRoles("CREATE POLICY p ON t USING (owner = current_user)") == [])
        #expect(mapped == ["app_ro", "admins", "alice", "Owner", "bob"])
    }

    @Test func whatTargetsADeferredObjectIsDeferredWithIt() {
        let plan = PgDumpSchemaPlan(PostgresScript.statements(of: """
            CREATE TABLE t (id int, v int);
            CREATE VIEW v AS SELECT id FROM t;
            ALTER TABLE public.v OWNER TO someone;
            COMMENT ON VIEW public.v IS 'x';
            ALTER TABLE ONLY public.v ALTER COLUMN id SET DEFAULT 0;
            CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
            ALTER TABLE t ADD COLUMN w int;
            CREATE INDEX t_v ON ONLY t (v);
            ALTER INDEX t_v ATTACH PARTITION t_1_v;
            """))
        let heads = { (s: [ScriptStatement]) in s.map { String($0.sql.prefix(22)) } }
        #expect(heads(plan.now) == ["CREATE TABLE t (id int", "CREATE FUNCTION f() RE", "ALTER TABLE t ADD COLU"])
        #expect(heads(plan.deferred) == ["CREATE VIEW v AS SELEC", "COMMENT ON VIEW public", "ALTER TABLE ONLY publi", "CREATE INDEX t_v ON ON",
                                         "ALTER INDEX t_v ATTACH"])
        #expect(plan.mappedRoles == ["someone"])
    }

    /// gitlab's structure.sql (pg_dump output, 58,847 lines: partitions,
    /// `ON ONLY` indexes and thousands of ATTACH PARTITION, COMMENT ON VIEW
    /// before pg_dump's view) runs in the loader's order, every statement, on
    /// a real server: the statements before the rows, then the deferred ones.
    @Test(// Skipped where the PostgreSQL server is not installed.
          .enabled(if: PostgresServer.found(.test), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"))
    func gitlabStructureRunsInTheLoadersOrder() throws {
        let path = Repo.shared("schemas/gitlab/structure.sql")
        try #require(FileManager.default.fileExists(atPath: path), "\(path) is missing: the shared data must sit beside the checkout")
        let plan = PgDumpSchemaPlan(PostgresScript.statements(of: try String(contentsOfFile: path, encoding: .utf8)))
        #expect(plan.deferred.count > 1000)
        let (database, drop) = try TestPostgres.database()
        defer { drop() }
        let db = try TestPostgres.connect(database)
        for phase in [plan.now, plan.deferred] {
            try db.execute("BEGIN")
            for (i, statement) in phase.enumerated() {
                if i > 0, i % 500 == 0 { try db.execute("COMMIT"); try db.execute("BEGIN") }
                do { try db.executeStatement(statement.sql) } catch {
                    Issue.record("\(error) in `\(statement.sql.prefix(200))`")
                    try db.execute("ROLLBACK")
                    return
                }
            }
            try db.execute("COMMIT")
        }
        #expect(try db.scalar("SELECT count(*) FROM pg_catalog.pg_views WHERE schemaname = 'public'").flatMap { Int($0) } ?? 0 > 0)
    }
}
