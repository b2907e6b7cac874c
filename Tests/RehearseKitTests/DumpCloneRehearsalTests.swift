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

/// The whole rehearsal on a restored dump clone: Chinook's plain pg_dump
/// (split by rehearse, COPY through libpq), its custom, tar and directory pg_dumps
/// (pg_restore), all into an ephemeral cluster as the scratch owner,
/// and the SQLite file, each with a change that adds and drops
/// a column; PASS, evidence valid, the dump byte-identical afterwards.
@Suite(.serialized) struct DumpCloneRehearsalTests {
    let dir = TempDir()

    /// A change directory (manifest, birth, rollback, checks) for Chinook.
    func change(postgres: Bool) -> URL { Self.change(postgres: postgres, in: dir) }

    static func change(postgres: Bool, in dir: TempDir) -> URL {
        let c = dir.file(postgres ? "change-pg" : "change-sqlite")
        try? FileManager.default.createDirectory(at: c.appendingPathComponent("checks"), withIntermediateDirectories: true)
        for f in ["schema.sql", "profile.yaml"] {
            try? FileManager.default.copyItem(at: Repo.surrogate("commerce").appendingPathComponent(f), to: c.appendingPathComponent(f))
        }
        let (table, country, loyalty, gone) = postgres
            ? ("customer", "country", "loyalty", "SELECT count(*) = 0 FROM information_schema.columns WHERE table_name = 'customer' AND column_name = 'loyalty';")
            : ("Customer", "Country", "Loyalty", "SELECT count(*) = 0 FROM pragma_table_info('Customer') WHERE name = 'Loyalty';")
        let files = [
            "manifest.yaml": "name: chinook-loyalty\nschema: schema.sql\nprofile: profile.yaml\nbirth: birth.sql\nrollback: rollback.sql\nchecks:\n  after_birth: checks/after-birth.sql\n  after_rollback: checks/after-rollback.sql\nseed: 1\nscale: 1\n",
            "birth.sql": "ALTER TABLE \(table) ADD COLUMN \(loyalty) INTEGER;\nUPDATE \(table) SET \(loyalty) = 1 WHERE \(country) = 'USA';\n",
            "rollback.sql": "ALTER TABLE \(table) DROP COLUMN \(loyalty);\n",
            "checks/after-birth.sql": "-- check: US customers are loyal\nSELECT count(*) = 13 FROM \(table) WHERE \(loyalty) = 1;\n",
            "checks/after-rollback.sql": "-- check: loyalty is gone\n\(gone)\n",
        ]
        for (name, text) in files { try? text.write(to: c.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        return c
    }

    func rehearse(_ dump: String, engine: String, change given: URL? = nil) throws -> RehearsalResult {
        let g = try DumpFixtures.grant(for: dump, engine: engine, in: dir)
        let prepared = try DumpCloneGate.prepare(dump: dump, grantFile: g.grant, trustFile: g.trust, engine: engine, allowlist: .none,
                                                 bindir: nil, now: Int64(Date().timeIntervalSince1970), scratchParent: dir.url)
        defer { prepared.workspace.remove() }
        var options = Rehearsal.Options()
        options.lane = .operatorRealDataCloneHandoff
        options.dumpClone = DumpCloneSource(prepared: prepared, path: dump, grantBytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: g.grant))))
        options.scratchParent = dir.url
        options.outputDirectory = dir.file("run-\(UUID().uuidString.prefix(6))")
        if engine == "postgres" { options.engine = .postgres(.ephemeral()) }
        return try Rehearsal(source: try SurrogateSource(directory: given ?? change(postgres: engine == "postgres")), options: options).run()
    }

    @Test(// Skipped where the PostgreSQL server is not installed.
          .enabled(if: PostgresServer.found(.test), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"))
    func everyArchiveFormatAndTheSQLiteFileRehearseToAValidPass() throws {
        let dumps = try DumpFixtures.dumps
        for (name, engine) in [("chinook.sql", "postgres"), ("chinook.custom", "postgres"), ("chinook.tar", "postgres"), ("chinook.dir", "postgres"),
                              (Repo.chinook.path, "sqlite")] {
            let path = name.hasPrefix("/") ? name : dumps.appendingPathComponent(name).path
            let before = try DumpDigest.of(path: path)
            let result = try rehearse(path, engine: engine)
            #expect(result.validation.isValid, "\(name): \(result.validation.findings)")
            #expect(result.validation.verdict == .pass, "\(name): \(result.record.failure.map { $0.message } ?? "")")
            let source = result.evidence["predicate"]?["source"]
            #expect(source?["kind"] == "dump_clone")
            #expect(source?["tag"]?.stringValue == DumpCloneSource.tag)
            #expect(source?["dump_sha256"]?.stringValue == before)
            #expect(source?["rows"]?["customer"]?.integerValue == (engine == "postgres" ? 59 : nil))
            #expect(result.evidence["predicate"]?["grant"]?["subject_sha256"]?.stringValue == before)
            #expect(try DumpDigest.of(path: path) == before, "\(name) changed")
        }
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: dir.url.path)) ?? []).filter { $0.hasPrefix("rehearse-dump-") }.isEmpty)
    }

    @Test func forgedDumpCloneEvidenceIsRejected() throws {
        let result = try rehearse(Repo.chinook.path, engine: "sqlite")
        let run = result.runDirectory
        func forged(_ edit: (inout [String: JSONValue]) -> Void) throws -> [ValidationFinding] {
            let copy = dir.file("forged-\(UUID().uuidString.prefix(6))")
            try FileManager.default.copyItem(at: run, to: copy)
            var statement = try JSONValue.parseStrict([UInt8](Data(contentsOf: copy.appendingPathComponent("evidence.json")))).objectValue!
            var predicate = statement["predicate"]!.objectValue!
            edit(&predicate)
            statement["predicate"] = .object(predicate)
            try Data(JSONValue.object(statement).canonicalBytes).write(to: copy.appendingPathComponent("evidence.json"))
            try Seal.write(directory: copy)
            return try Validator().validate(runDirectory: copy).findings
        }
        // a grant for another dump
        let other = try forged { p in
            var s = p["source"]!.objectValue!; s["dump_sha256"] = .string(String(repeating: "0", count: 64)); p["source"] = .object(s)
        }
        #expect(other.contains { $0.rule == "R18-dump-clone" && $0.message.contains("the grant is for another dump") })
        // the grant removed
        let noGrant = try forged { p in p["grant"] = .null }
        #expect(noGrant.contains { $0.rule == "R18-dump-clone" && $0.message == "a dump clone without a grant" })
        // relabelled as a surrogate that still claims the dump
        let relabelled = try forged { p in
            var s = p["source"]!.objectValue!; s["kind"] = "surrogate"; s["tag"] = .string(SurrogateTag.generated); p["source"] = .object(s); p["lane"] = .string(Lane.holdRealData.rawValue)
        }
        #expect(relabelled.contains { $0.rule == "R18-dump-clone" && $0.message.contains("a surrogate-tagged run claims a dump (dump_sha256)") })
        // the sealed grant swapped for another one
        let g2 = try DumpFixtures.grant(for: Repo.chinook.path, engine: "sqlite", in: dir)
        let copy = dir.file("swapped")
        try FileManager.default.copyItem(at: run, to: copy)
        try FileManager.default.removeItem(at: copy.appendingPathComponent(DumpCloneSource.grantFile))
        try FileManager.default.copyItem(at: URL(fileURLWithPath: g2.grant), to: copy.appendingPathComponent(DumpCloneSource.grantFile))
        try Seal.write(directory: copy)
        #expect(try Validator().validate(runDirectory: copy).findings.contains { $0.message.contains("does not hash to the grant digest the evidence records") })
    }

    /// A trigger that would run a program as the restore fills its table: the
    /// restore runs as the non-superuser owner, so PostgreSQL itself refuses,
    /// and the run stops naming the line, with no row value in the message.
    @Test(// Skipped where the PostgreSQL server is not installed.
          .enabled(if: PostgresServer.found(.test), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"))
    func codeRunAtRestoreTimeHasNoSuperuserAndStopsTheRun() throws {
        let marker = dir.file("pwned")
        let dump = dir.file("trigger.sql")
        let program = "'COPY (SELECT 1) TO PROGRAM ''touch \(marker.path)'''"
        try """
            CREATE TABLE public.t (id integer, secretish text);
            CREATE FUNCTION public.f() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN EXECUTE \(program); RETURN NEW; END $$;
            CREATE TRIGGER tr BEFORE INSERT ON public.t FOR EACH ROW EXECUTE FUNCTION public.f();
            COPY public.t (id, secretish) FROM stdin;
            1\tvisible-row-value-42
            \\.

            """.write(to: dump, atomically: true, encoding: .utf8)
        let e = #expect(throws: RehearseError.self) { try rehearse(dump.path, engine: "postgres") }
        #expect(e?.code == .rehearsalFailed)
        #expect(e?.message.contains("Restoring the plain dump") == true)
        #expect(e?.message.contains("pg_execute_server_program") == true || e?.message.contains("permission denied") == true, "\(e?.message ?? "")")
        #expect(e?.message.contains("visible-row-value-42") == false)
        #expect(!FileManager.default.fileExists(atPath: marker.path))
    }

    /// A domain whose CHECK calls the dump's own function (pg_dump writes such
    /// a schema as it is): when drift is narrowed, the reference rows are
    /// staged into a temporary table of the column's type, so the CHECK runs
    /// for every row. It runs as the scratch owner, never the superuser, so
    /// the function cannot run a program (attack-d15 D-F0); the run is still
    /// a FAIL with the drift narrowed.
    @Test(// Skipped where the PostgreSQL server is not installed.
          .enabled(if: PostgresServer.found(.test), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"))
    func aDomainCheckOfTheDumpNeverRunsAsTheSuperuserWhenDriftIsNarrowed() throws {
        let marker = "/tmp/rehearse-test-df0-\(UUID().uuidString.prefix(8))"
        defer { unlink(marker) }
        let dump = dir.file("domain.sql")
        try """
            CREATE FUNCTION public.evil(v text) RETURNS boolean LANGUAGE plpgsql AS $f$
            BEGIN
              IF pg_catalog.current_setting('is_superuser') = 'on' THEN
                EXECUTE 'COPY (SELECT 1) TO PROGRAM ''id > \(marker); cat > /dev/null''';
              END IF;
              RETURN true;
            END $f$;
            CREATE DOMAIN public.evildom AS text CHECK (public.evil(VALUE));
            CREATE TABLE public.audit (id integer PRIMARY KEY, v public.evildom);
            COPY public.audit (id, v) FROM stdin;
            1\tseed
            \\.

            """.write(to: dump, atomically: true, encoding: .utf8)
        let change = Self.change(postgres: true, in: dir)
        for (name, text) in ["birth.sql": "INSERT INTO audit VALUES (2, 'added');\n", "rollback.sql": "UPDATE audit SET v = v WHERE false;\n",
                             "checks/after-birth.sql": "-- check: two rows\nSELECT count(*) = 2 FROM audit;\n",
                             "checks/after-rollback.sql": "-- check: the table is there\nSELECT count(*) >= 1 FROM audit;\n"] {
            try text.write(to: change.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        let result = try rehearse(dump.path, engine: "postgres", change: change)
        #expect(result.validation.isValid, "\(result.validation.findings)")
        #expect(result.validation.verdict == .fail)
        let drift = result.evidence["predicate"]?["drift"]?["data"]?.arrayValue ?? []
        #expect(drift.contains { $0["table"]?.stringValue == "audit" && $0["added"]?.integerValue == 1 }, "\(drift)")
        #expect(!FileManager.default.fileExists(atPath: marker), "the dump's function ran a program as the superuser")
    }

    /// What the gate checks is exactly what runs (attack-d15 D-F3): pg_restore
    /// -d splits INSERT-style data (`pg_dump --inserts`) at every semicolon
    /// outside quotes, comments included, so `X; -- ; Y;` ran Y though the
    /// rendering the gate checked shows it as a comment. Archives are now
    /// restored from that rendering by rehearse's own splitter: Y never runs.
    @Test(// Skipped where the PostgreSQL server is not installed.
          .enabled(if: PostgresServer.found(.test), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"))
    func statementsHiddenInInsertDataBehindACommentNeverRun() throws {
        let db = try TestPostgres.database()
        defer { db.drop() }
        try TestPostgres.connect(db.name).execute("CREATE TABLE public.u2 (id integer PRIMARY KEY, note text); INSERT INTO public.u2 VALUES (1, 'a');")
        let dump = dir.file("inserts.dir")
        try DumpFixtures.pgDump(database: db.name, ["-Fd", "-Z0", "--inserts", "-f", dump.path])
        let member = try #require(try FileManager.default.contentsOfDirectory(atPath: dump.path).first { $0.hasSuffix(".dat") && $0 != "toc.dat" })
        try "INSERT INTO public.u2 VALUES (1, 'a'); -- ; INSERT INTO public.u2 VALUES (2, 'hidden'); CREATE TABLE public.sneaky (k text);\n\n\n"
            .write(to: dump.appendingPathComponent(member), atomically: true, encoding: .utf8)
        let change = Self.change(postgres: true, in: dir)
        for (name, text) in ["birth.sql": "ALTER TABLE u2 ADD COLUMN z integer;\nUPDATE u2 SET z = 1;\n", "rollback.sql": "ALTER TABLE u2 DROP COLUMN z;\n",
                             "checks/after-birth.sql": "-- check: the one row\nSELECT count(*) = 1 FROM u2 WHERE z = 1;\n",
                             "checks/after-rollback.sql": "-- check: nothing hidden ran\nSELECT to_regclass('public.sneaky') IS NULL AND (SELECT count(*) FROM u2) = 1;\n"] {
            try text.write(to: change.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        let result = try rehearse(dump.path, engine: "postgres", change: change)
        #expect(result.validation.isValid, "\(result.validation.findings)")
        #expect(result.validation.verdict == .pass, "\(result.record.failure.map { $0.message } ?? "") \(result.evidence["predicate"]?["checks"] ?? .null)")
        #expect(result.evidence["predicate"]?["source"]?["rows"]?["u2"]?.integerValue == 1)
        #expect(result.evidence["predicate"]?["source"]?["restore_tool"]?.stringValue?.contains("rendering (--file), run by rehearse's own splitter") == true)
    }

    /// A lossy rollback on a PostgreSQL dump clone is a FAIL with drift (the
    /// drift rebuild restores the dump again into the cluster's sibling), and
    /// the evidence holds no real key value.
    @Test(// Skipped where the PostgreSQL server is not installed.
          .enabled(if: PostgresServer.found(.test), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"))
    func aLossyRollbackOnADumpCloneFailsWithDriftAndNoRealKeys() throws {
        let dump = dir.file("pii.sql")
        try "CREATE TABLE public.u (email text PRIMARY KEY, n integer);\nCOPY public.u (email, n) FROM stdin;\nalice.realperson@corp.example\t1\nbob.realperson@corp.example\t2\n\\.\n"
            .write(to: dump, atomically: true, encoding: .utf8)
        let change = change(postgres: true)
        try "-- the lossy change\nUPDATE u SET n = n + 1;\n".write(to: change.appendingPathComponent("birth.sql"), atomically: true, encoding: .utf8)
        try "SELECT 1;\n".write(to: change.appendingPathComponent("rollback.sql"), atomically: true, encoding: .utf8)
        try "-- check: true\nSELECT true;\n".write(to: change.appendingPathComponent("checks/after-birth.sql"), atomically: true, encoding: .utf8)
        try "-- check: true\nSELECT true;\n".write(to: change.appendingPathComponent("checks/after-rollback.sql"), atomically: true, encoding: .utf8)
        let result = try rehearse(dump.path, engine: "postgres", change: change)
        #expect(result.validation.isValid, "\(result.validation.findings)")
        #expect(result.validation.verdict != .pass)
        #expect(result.record.drift?.data.count == 1, "\(result.record.failure.map { $0.message } ?? "") \(String(describing: result.record.drift))")
        let evidence = try String(contentsOf: result.evidenceURL, encoding: .utf8)
        #expect(!evidence.contains("realperson"), "real key values in the evidence")
    }

    /// A genuine surrogate run relabelled as a dump clone, with a genuine
    /// grant and its sealed bytes, is rejected: its fingerprints hold the
    /// generator's provenance table.
    @Test func aSurrogateRunRelabelledAsADumpCloneIsRejected() throws {
        let clone = try rehearse(Repo.chinook.path, engine: "sqlite")
        let surrogate = try RehearseKitTests.rehearse(Repo.surrogate("commerce"), in: dir, scale: 0.05).runDirectory
        var statement = try JSONValue.parseStrict([UInt8](Data(contentsOf: surrogate.appendingPathComponent("evidence.json")))).objectValue!
        var predicate = statement["predicate"]!.objectValue!
        let real = clone.evidence["predicate"]!
        predicate["lane"] = real["lane"]
        predicate["grant"] = real["grant"]
        var source = real["source"]!.objectValue!
        source["name"] = predicate["source"]!["name"]!
        source["rows"] = predicate["source"]!["rows"]!
        predicate["source"] = .object(source)
        statement["predicate"] = .object(predicate)
        try Data(JSONValue.object(statement).canonicalBytes).write(to: surrogate.appendingPathComponent("evidence.json"))
        try FileManager.default.copyItem(at: clone.runDirectory.appendingPathComponent(DumpCloneSource.grantFile), to: surrogate.appendingPathComponent(DumpCloneSource.grantFile))
        try Seal.write(directory: surrogate)
        let findings = try Validator().validate(runDirectory: surrogate).findings
        #expect(findings.contains { $0.rule == "R18-dump-clone" && $0.message.contains("hold the generator's provenance table") }, "\(findings)")
    }
}
