import Foundation
import Testing
@testable import RehearseCore
@testable import RehearseEngine
@testable import RehearseEvidence
@testable import RehearseKit
@testable import RehearsePostgres
@testable import RehearseSurrogate
@testable import RehearseValidator

/// What gitlab's structure.sql needed beyond CHECK forms (issue 12), each
/// on a small schema, and gitlab itself: a no-op PASSes on the unedited file.
@Suite struct RealSchemaShapesTests {
    @Test func uniqueIndexesCreatedAfterTheRowsAreRead() {
        let statements = PostgresScript.statements(of: """
            CREATE UNIQUE INDEX a ON public.t USING btree (x, "Y");
            CREATE UNIQUE INDEX b ON ONLY app.p USING btree (k) WHERE (active = true);
            CREATE UNIQUE INDEX c ON public.t USING btree (lower(x));
            CREATE INDEX d ON public.t USING btree (x);
            """)
        let read = PgDumpSchemaPlan.uniqueIndexes(statements)
        #expect(read.map { "\($0.table) \($0.columns) \($0.predicate ?? "-")" } == ["t [\"x\", \"Y\"] -", "app.p [\"k\"] (active = true)"])
    }

    /// A partition's own `x IS NULL` (NULL in the rows aimed at it) and `IS
    /// NOT NULL` (set in the others), a foreign key to one partition (it
    /// draws only the parent rows aimed there), a unique index the schema
    /// creates after the rows and a partial one on a boolean: the rows load,
    /// and the birth (a SELECT dividing by zero unless they are so) passes.
    @Test(// Skipped where the PostgreSQL server is not installed.
          .enabled(if: PostgresServer.found(.test), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"))
    func partitionsUniqueIndexesAndKeysToOnePartition() throws {
        let dir = TempDir()
        let url = shapedSurrogate(dir, schema: """
            CREATE TABLE public.runners (id bigint NOT NULL, kind smallint NOT NULL, org_id bigint, name text) PARTITION BY LIST (kind);
            CREATE TABLE public.instance_runners (id bigint NOT NULL, kind smallint NOT NULL, org_id bigint, name text,
                CONSTRAINT org_nullness CHECK ((org_id IS NULL)));
            CREATE TABLE public.group_runners (id bigint NOT NULL, kind smallint NOT NULL, org_id bigint, name text,
                CONSTRAINT org_nullness CHECK ((org_id IS NOT NULL)));
            ALTER TABLE ONLY public.runners ATTACH PARTITION public.instance_runners FOR VALUES IN ('1');
            ALTER TABLE ONLY public.runners ATTACH PARTITION public.group_runners FOR VALUES IN ('2');
            ALTER TABLE ONLY public.runners ADD CONSTRAINT runners_pkey PRIMARY KEY (id, kind);
            ALTER TABLE ONLY public.instance_runners ADD CONSTRAINT instance_runners_id UNIQUE (id);
            CREATE TABLE public.costs (runner_id bigint NOT NULL, factor integer NOT NULL);
            ALTER TABLE ONLY public.costs ADD CONSTRAINT costs_pkey PRIMARY KEY (runner_id);
            ALTER TABLE ONLY public.costs ADD CONSTRAINT costs_runner FOREIGN KEY (runner_id) REFERENCES public.instance_runners(id);
            CREATE TABLE public.flags (id bigint NOT NULL, active boolean NOT NULL, code text NOT NULL);
            ALTER TABLE ONLY public.flags ADD CONSTRAINT flags_pkey PRIMARY KEY (id);
            CREATE UNIQUE INDEX one_active ON public.flags USING btree (active) WHERE (active = true);
            CREATE UNIQUE INDEX flags_code ON public.flags USING btree (code);
            """, profile: "tables:\n  runners: { rows: 30 }\n  costs: { rows: 5 }\n  flags: { rows: 300 }\n")
        dir.write("s/birth.sql", """
            SELECT 1 / (count(*) = 30 AND count(*) FILTER (WHERE kind = 1) > 0 AND count(*) FILTER (WHERE kind = 2) > 0
                        AND count(*) FILTER (WHERE kind = 1 AND org_id IS NOT NULL) = 0
                        AND count(*) FILTER (WHERE kind = 2 AND org_id IS NULL) = 0)::int FROM public.runners;
            SELECT 1 / (count(*) = 5)::int FROM public.costs;
            SELECT 1 / (count(*) = 300 AND count(DISTINCT code) = 300 AND count(*) FILTER (WHERE active) <= 1)::int FROM public.flags;

            """)
        let result = try rehearsePostgres(url, in: dir)
        #expect(result.record.failure == nil, "\(String(describing: result.record.failure))")
        #expect(result.record.verdict == .pass)
        #expect(result.validation.isValid, "\(result.validation.findings)")
    }

    /// More rows asked of a unique key to one partition than the parent aims
    /// there: refused before any row, naming the column and the parent.
    @Test(// Skipped where the PostgreSQL server is not installed.
          .enabled(if: PostgresServer.found(.test), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"))
    func aUniqueKeyToAPartitionWithTooFewRowsIsRefused() throws {
        let dir = TempDir()
        let url = shapedSurrogate(dir, schema: """
            CREATE TABLE public.runners (id bigint NOT NULL, kind smallint NOT NULL) PARTITION BY LIST (kind);
            CREATE TABLE public.instance_runners (id bigint NOT NULL, kind smallint NOT NULL);
            CREATE TABLE public.group_runners (id bigint NOT NULL, kind smallint NOT NULL);
            ALTER TABLE ONLY public.runners ATTACH PARTITION public.instance_runners FOR VALUES IN ('1');
            ALTER TABLE ONLY public.runners ATTACH PARTITION public.group_runners FOR VALUES IN ('2');
            ALTER TABLE ONLY public.runners ADD CONSTRAINT runners_pkey PRIMARY KEY (id, kind);
            ALTER TABLE ONLY public.instance_runners ADD CONSTRAINT instance_runners_id UNIQUE (id);
            CREATE TABLE public.costs (runner_id bigint NOT NULL PRIMARY KEY REFERENCES public.instance_runners(id));
            """, profile: "tables:\n  runners: { rows: 4 }\n  costs: { rows: 4 }\n")
        do {
            _ = try rehearsePostgres(url, in: dir)
            Issue.record("accepted")
        } catch let e as RehearseError {
            #expect(e.code == .badInput && e.code.exitStatus == 2)
            #expect(e.message.contains("table costs, column runner_id: is unique and references one partition of runners"), "\(e.message)")
        }
    }

    /// gitlab's structure.sql (MIT; 58,847 lines, 1,401 tables, 2,279 CHECKs)
    /// as pg_dump wrote it: the no-op PASSes. The profile only sizes two
    /// tables (a singleton table, and runners enough for a unique key to one
    /// of their partitions); without it each is refused, naming the table.
    @Test(// Skipped where the PostgreSQL server is not installed.
          .enabled(if: PostgresServer.found(.test), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"))
    func gitlabStructureRehearsesANoOpToPass() throws {
        let path = Repo.shared("schemas/gitlab/structure.sql")
        try #require(FileManager.default.fileExists(atPath: path), "\(path) is missing: the shared data must sit beside the checkout")
        let dir = TempDir()
        let url = shapedSurrogate(dir, schema: try String(contentsOfFile: path, encoding: .utf8),
                                  profile: "default_rows: 5\ntables:\n  ci_runners: { rows: 30 }\n  ai_settings: { rows: 1 }\n")
        let result = try rehearsePostgres(url, in: dir)
        #expect(result.record.failure == nil, "\(String(describing: result.record.failure))")
        #expect(result.record.verdict == .pass)
        #expect(result.validation.isValid, "\(result.validation.findings)")
        #expect((result.record.pre?.tables.count ?? 0) > 1000)
        #expect((result.record.pre?.tables.values.reduce(0) { $0 + $1.rows } ?? 0) > 4000)
    }
}
