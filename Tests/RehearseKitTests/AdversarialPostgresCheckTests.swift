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

/// Issue 9, class 1: a check is one read-only query, as the server counts
/// statements, and nothing it does can change what the post-rollback
/// fingerprint sees. Real server (the shared test cluster), no mocks.
@Suite struct AdversarialPostgresCheckTests {
    /// A scratch database with a table, a sequence, a function and a
    /// procedure that write (created as a birth would), and its fingerprint.
    final class Target {
        let scratch: PostgresScratch
        let dir = TempDir()

        init() throws {
            scratch = try PostgresScratch(target: .server(try TestPostgres.address), keep: false)
            _ = try scratch.apply(script("setup.sql", """
                CREATE TABLE t (id int PRIMARY KEY, v text NOT NULL);
                INSERT INTO t SELECT g, 'row ' || g FROM generate_series(1, 50) g;
                CREATE SEQUENCE s;
                SELECT nextval('s');
                CREATE FUNCTION wipe() RETURNS boolean LANGUAGE plpgsql AS $$BEGIN DELETE FROM t; RETURN true; END$$;
                CREATE FUNCTION wipe_sql() RETURNS boolean LANGUAGE sql BEGIN ATOMIC DELETE FROM t; SELECT true; END;
                CREATE PROCEDURE wipe_and_commit() LANGUAGE plpgsql AS $$BEGIN COMMIT; DELETE FROM t; COMMIT; END$$;
                """), transactional: false)
        }

        func script(_ name: String, _ text: String) -> SQLScript {
            SQLScript(displayPath: name, url: dir.file(name), text: text, sha256: "")
        }

        /// What a fingerprint sees, plus what it does not (the sequence, the relation list).
        func state() throws -> String {
            let db = try scratch.connect()
            let rows = try db.scalar("SELECT count(*)::text || '/' || coalesce(sum(length(v)), 0)::text FROM t") ?? ""
            let seq = try db.scalar("SELECT last_value::text FROM s") ?? ""
            let rels = try db.scalar("SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class WHERE relnamespace = 'public'::regnamespace") ?? ""
            let lobs = try db.scalar("SELECT count(*)::text FROM pg_largeobject_metadata") ?? ""
            return "\(rows) \(seq) \(rels) \(lobs)"
        }

        /// Runs `sql` as one check, not split by the client: only the server decides what it is.
        func runWhole(_ sql: String) throws -> (Bool, String) {
            let db = try scratch.connectAsOwner()
            return try PostgresScratch.runCheck(ScriptStatement(startOffset: 0, sql: sql, leadingComments: []),
                                                in: script("checks.sql", sql), on: db)
        }
    }

    /// Texts that hide several commands, whatever the client-side splitter
    /// thinks of their quoting. The server refuses each as a whole.
    static let severalCommands = [
        "SELECT begin atomic FROM (SELECT true AS begin) AS t; COMMIT; DELETE FROM t; SELECT true AS end",
        "SELECT true; COMMIT; DELETE FROM t; SELECT true",
        "SELECT E'\\';' IS NOT NULL; COMMIT; DELETE FROM t; SELECT true",
        "SELECT U&'\\0041;' IS NOT NULL; COMMIT; DELETE FROM t; SELECT true",
        "SELECT $q$;$q$ IS NOT NULL; COMMIT; DELETE FROM t; SELECT true",
        "SELECT $a$ $b$ ; $a$ IS NOT NULL; COMMIT; DELETE FROM t; SELECT true",
        "SELECT /* /* ; */ ; */ true; COMMIT; DELETE FROM t; SELECT true",
        "SELECT true -- ;\n; COMMIT; DELETE FROM t",
        "SELECT \"a;b\" FROM (SELECT true AS \"a;b\") x; COMMIT; DELETE FROM t; SELECT true",
        "COMMIT; DELETE FROM t; SELECT true",
        "SELECT true; SET TRANSACTION READ WRITE; DELETE FROM t; SELECT true",
    ]

    @Test(// Skipped where the PostgreSQL server is not installed.
          .enabled(if: PostgresServer.found(.test), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"),
          arguments: severalCommands)
    func aCheckOfSeveralCommandsIsNeverRun(_ sql: String) throws {
        let target = try Target()
        let before = try target.state()
        let pre = try target.scratch.fingerprint()
        let (passed, returned) = try target.runWhole(sql)
        #expect(!passed)
        #expect(returned.contains("several SQL commands") && returned.contains("was not run"), "\(returned)")
        #expect(try target.state() == before)
        #expect(try target.scratch.fingerprint() == pre)
    }

    /// Single statements that try to leave, widen or outlive the read-only
    /// transaction, or write through a function, a sequence, a large object,
    /// a DO block or a procedure. Each fails, and nothing changes.
    static let escapes = [
        "COMMIT", "COMMIT AND CHAIN", "END", "ROLLBACK", "ABORT", "ROLLBACK AND CHAIN",
        "RELEASE SAVEPOINT rehearse_check", "ROLLBACK TO SAVEPOINT rehearse_check",
        "SET TRANSACTION READ WRITE", "SET transaction_read_only = off",
        "SELECT set_config('transaction_read_only', 'off', false)",
        "PREPARE TRANSACTION 'rehearse_stash'",
        "DELETE FROM t RETURNING true", "UPDATE t SET v = 'x' RETURNING true",
        "WITH d AS (DELETE FROM t RETURNING 1) SELECT true FROM d LIMIT 1",
        "SELECT wipe()", "SELECT wipe_sql()", "CALL wipe_and_commit()",
        "DO $$BEGIN DELETE FROM t; END$$", "DO $$BEGIN COMMIT; DELETE FROM t; END$$",
        "DO $$BEGIN PERFORM set_config('transaction_read_only', 'off', true); DELETE FROM t; END$$",
        "SELECT nextval('s') > 0", "SELECT setval('s', 1000) > 0",
        "CREATE TEMPORARY TABLE stash AS SELECT * FROM t", "CREATE TABLE stash AS SELECT * FROM t",
        "SELECT * INTO stash FROM t", "TRUNCATE t", "VACUUM t", "LOCK TABLE t IN ACCESS EXCLUSIVE MODE",
        "COPY t FROM STDIN", "COPY t TO STDOUT", "COPY (SELECT true) TO STDOUT",
        "LISTEN rehearse", "NOTIFY rehearse", "SELECT dblink_exec('dbname=postgres', 'DELETE FROM t')",
        "PREPARE p AS DELETE FROM t", "DISCARD ALL",
    ]

    /// Statements a read-only transaction allows but whose effect is undone by
    /// its rollback (large objects, notifications) or invisible to a
    /// fingerprint (advisory locks): they may pass, but change nothing.
    static let undone = [
        "SELECT lo_create(0) > 0", "SELECT lo_from_bytea(0, 'x') > 0", "SELECT pg_notify('rehearse', 'x') IS NULL",
        "SELECT pg_advisory_lock(7) IS NULL", "SELECT set_config('search_path', 'pg_catalog', false) IS NOT NULL",
        "SAVEPOINT rehearse_check",
    ]

    @Test(// Skipped where the PostgreSQL server is not installed.
          .enabled(if: PostgresServer.found(.test), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"))
    func noSingleStatementEscapesTheReadOnlyTransaction() throws {
        let target = try Target()
        let before = try target.state()
        let pre = try target.scratch.fingerprint()
        for sql in Self.escapes {
            let (passed, returned) = try target.runWhole(sql)
            #expect(!passed, "\(sql) passed: \(returned)")
            #expect(try target.state() == before, "\(sql) changed the database")
        }
        for sql in Self.undone {
            _ = try target.runWhole(sql)
            #expect(try target.state() == before, "\(sql) changed the database")
        }
        #expect(try target.scratch.fingerprint() == pre)
    }

    @Test(// Skipped where the PostgreSQL server is not installed.
          .enabled(if: PostgresServer.found(.test), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"))
    func aCheckThatEndsItsTransactionFailsWhateverItReturns() throws {
        let target = try Target()
        for sql in ["COMMIT", "COMMIT AND CHAIN", "ROLLBACK AND CHAIN", "RELEASE SAVEPOINT rehearse_check"] {
            let (passed, returned) = try target.runWhole(sql)
            #expect(!passed)
            #expect(returned.hasPrefix("refused: it "), "\(sql): \(returned)")
            #expect(returned.contains("a check must be exactly one read-only query"), "\(sql): \(returned)")
        }
    }

    /// Session state a check sets (defaults, prepared statements, session
    /// characteristics, advisory locks) does not open a way for a later check
    /// to write: every check gets its own read-only transaction.
    @Test(// Skipped where the PostgreSQL server is not installed.
          .enabled(if: PostgresServer.found(.test), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"),
          arguments: [
        "SELECT set_config('default_transaction_read_only', 'off', false) IS NOT NULL",
        "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE",
        "SET default_transaction_read_only = off",
        "PREPARE p AS DELETE FROM t RETURNING true",
        "SELECT pg_advisory_lock(1) IS NOT NULL",
        "SET session_replication_role = replica",
        "SET ROLE NONE",
    ])
    func sessionStateDoesNotLetALaterCheckWrite(_ first: String) throws {
        let target = try Target()
        let before = try target.state()
        let pre = try target.scratch.fingerprint()
        let results = try target.scratch.runChecks(target.script("checks.sql", """
            \(first);
            EXECUTE p;
            DELETE FROM t RETURNING true;
            SELECT wipe();
            SELECT nextval('s') > 0;
            SELECT count(*) = 50 FROM t;
            """))
        #expect(results.count == 6)
        #expect(results.dropFirst().dropLast().allSatisfy { !$0.passed }, "\(results.map(\.returned))")
        #expect(results.last?.passed == true, "\(results.last?.returned ?? "")")
        #expect(try target.state() == before)
        #expect(try target.scratch.fingerprint() == pre)
    }

    /// A check cannot write through a second connection it opens itself
    /// (dblink, installed by a superuser's schema or birth): while checks run,
    /// the scratch database takes no new connection at all.
    @Test(// Skipped where the PostgreSQL server is not installed.
          .enabled(if: PostgresServer.found(.test), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"))
    func aCheckCannotWriteThroughAConnectionOfItsOwn() throws {
        let target = try Target()
        let cluster = try TestPostgres.cluster
        _ = try target.scratch.apply(target.script("ext.sql", "CREATE EXTENSION dblink;"), transactional: true)
        let before = try target.state()
        let pre = try target.scratch.fingerprint()
        let conn = "host=\(cluster.socketDirectory.path) port=\(PostgresCluster.port) user=\(PostgresCluster.superuser) dbname=\(target.scratch.database)"
        let results = try target.scratch.runChecks(target.script("checks.sql", """
            SELECT dblink_exec('\(conn)', 'DELETE FROM t') IS NOT NULL;
            SELECT dblink_exec('\(conn)', 'SET default_transaction_read_only = off; CREATE TABLE stash AS SELECT * FROM t; DELETE FROM t') IS NOT NULL;
            SELECT x FROM dblink('\(conn)', 'DELETE FROM t RETURNING true') AS d(x boolean) LIMIT 1;
            SELECT count(*) = 50 FROM t;
            """))
        #expect(results.count == 4)
        #expect(results.prefix(3).allSatisfy { !$0.passed }, "\(results.map(\.returned))")
        #expect(results.prefix(3).allSatisfy { $0.returned.contains("is not currently accepting connections") }, "\(results.map(\.returned))")
        #expect(results.last?.passed == true)
        #expect(try target.state() == before)
        #expect(try target.scratch.fingerprint() == pre)
        // Connections are allowed again once the checks are done.
        #expect(try target.scratch.connect().scalar("SELECT datallowconn::text FROM pg_database WHERE datname = current_database()") == "true")
    }

    /// A superuser check can reopen the database from another one and write
    /// through a fresh connection; that is caught after the checks (the
    /// database was reopened, or rows newer than the checks exist) and the
    /// run stops with exit 3.
    @Test(// Skipped where the PostgreSQL server is not installed.
          .enabled(if: PostgresServer.found(.test), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"),
          arguments: [
        ("reopen", "INSERT INTO t VALUES (1000, ''stash'')", false, "was changed or reopened to new connections"),
        ("reopen-and-close", "INSERT INTO t VALUES (1000, ''stash'')", true, "was changed or reopened to new connections"),
        ("reopen-and-close", "DELETE FROM t WHERE id = 1", true, "was changed or reopened to new connections"),
        ("reopen-and-close", "CREATE TABLE stash AS SELECT * FROM t", true, "was changed or reopened to new connections"),
    ] as [(String, String, Bool, String)])
    func aSuperuserCheckThatReopensTheDatabaseStopsTheRun(_ label: String, _ write: String, _ closeAgain: Bool, _ needle: String) throws {
        let target = try Target()
        let cluster = try TestPostgres.cluster
        _ = try target.scratch.apply(target.script("ext.sql", "CREATE EXTENSION dblink;"), transactional: true)
        let base = "host=\(cluster.socketDirectory.path) port=\(PostgresCluster.port) user=\(PostgresCluster.superuser) dbname="
        let db = target.scratch.database
        var sql = "SELECT dblink_exec('\(base)postgres', 'ALTER DATABASE \(db) WITH ALLOW_CONNECTIONS true') IS NOT NULL"
        sql += " AND dblink_exec('\(base)\(db)', '\(write)') IS NOT NULL"
        if closeAgain { sql += " AND dblink_exec('\(base)postgres', 'ALTER DATABASE \(db) WITH ALLOW_CONNECTIONS false') IS NOT NULL" }
        do {
            let results = try target.scratch.runChecks(target.script("checks.sql", sql + ";\n"))
            Issue.record("\(label): the checks ran to the end: \(results.map(\.returned))")
        } catch let error as RehearseError {
            #expect(error.code == .refused && error.code.exitStatus == 3)
            #expect(error.message.contains(needle), "\(label): \(error.message)")
        }
        #expect(try target.scratch.connect().scalar("SELECT datallowconn::text FROM pg_database WHERE datname = current_database()") == "true")
    }

    /// The second layer for superuser checks: row versions newer than the
    /// horizon taken before the checks are found, in user tables and in the
    /// schema catalogs, and nothing is reported when nothing was written.
    @Test(// Skipped where the PostgreSQL server is not installed.
          .enabled(if: PostgresServer.found(.test), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"))
    func rowsWrittenAfterTheHorizonAreFound() throws {
        let target = try Target()
        let admin = try TestPostgres.connect()
        let horizon = try #require(try admin.scalar("SELECT pg_snapshot_xmax(pg_current_snapshot())::text"))
        let db = try target.scratch.connect()
        #expect(try PostgresScratch.written(since: horizon, on: db).isEmpty)
        try db.execute("UPDATE t SET v = v WHERE id = 7")
        #expect(try PostgresScratch.written(since: horizon, on: db) == ["\"public\".\"t\""])
        try db.execute("CREATE TABLE stash (x int)")
        #expect(try PostgresScratch.written(since: horizon, on: db).contains("pg_catalog.pg_class"))
        let later = try #require(try admin.scalar("SELECT pg_snapshot_xmax(pg_current_snapshot())::text"))
        #expect(try PostgresScratch.written(since: later, on: db).isEmpty)
    }

    /// Birth and rollback statements go to the server one per extended-protocol
    /// call: a piece that holds several commands fails instead of running.
    @Test(// Skipped where the PostgreSQL server is not installed.
          .enabled(if: PostgresServer.found(.test), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"))
    func aBirthStatementOfSeveralCommandsFails() throws {
        let target = try Target()
        let before = try target.state()
        // Text the splitter keeps whole (a BEGIN ATOMIC body in a routine) but
        // that is not one routine: the server rejects it, nothing runs.
        let statements = PostgresScript.statements(of: "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END; DELETE FROM t;")
        #expect(statements.map(\.sql) == ["CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END", "DELETE FROM t"])
        let db = try target.scratch.connectAsOwner()
        #expect(throws: PGError.self) { try db.executeStatement("SELECT 1; DELETE FROM t") }
        do {
            try db.executeStatement("DELETE FROM t WHERE false; DELETE FROM t")
            Issue.record("several commands ran")
        } catch {
            #expect(error.sqlstate == "42601")
            #expect(error.message.contains("multiple commands"))
        }
        #expect(try target.state() == before)
    }

    /// BEGIN ATOMIC opens a body only in CREATE [OR REPLACE] FUNCTION or
    /// PROCEDURE; anywhere else `;` ends the statement, as on the server.
    @Test func beginAtomicIsABodyOnlyInARoutine() {
        let split = PostgresScript.statements(of: """
            SELECT begin atomic FROM (SELECT true AS begin) AS t; COMMIT; DELETE FROM payments; SELECT true AS end;
            CREATE OR REPLACE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC INSERT INTO x VALUES (1); SELECT CASE WHEN true THEN 1 END; END;
            create   or  replace function f() returns int language sql begin atomic select 1; end;
            CREATE TABLE begin_atomic (begin int, atomic int); SELECT 2;
            CREATE VIEW v AS SELECT begin atomic FROM (SELECT 1 AS begin) x; SELECT 3;
            """)
        #expect(split.map(\.sql) == [
            "SELECT begin atomic FROM (SELECT true AS begin) AS t", "COMMIT", "DELETE FROM payments", "SELECT true AS end",
            "CREATE OR REPLACE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC INSERT INTO x VALUES (1); SELECT CASE WHEN true THEN 1 END; END",
            "create   or  replace function f() returns int language sql begin atomic select 1; end",
            "CREATE TABLE begin_atomic (begin int, atomic int)", "SELECT 2",
            "CREATE VIEW v AS SELECT begin atomic FROM (SELECT 1 AS begin) x", "SELECT 3",
        ])
    }

    /// A routine defined with a BEGIN ATOMIC body still loads and runs as one
    /// statement through the extended protocol.
    @Test(// Skipped where the PostgreSQL server is not installed.
          .enabled(if: PostgresServer.found(.test), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"))
    func aBeginAtomicRoutineRunsAsOneStatement() throws {
        let target = try Target()
        let run = try target.scratch.apply(target.script("birth.sql", """
            CREATE FUNCTION two() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;
            CREATE TABLE u AS SELECT two() AS x;
            """), transactional: true)
        #expect(run.statements.count == 2)
        #expect(try target.scratch.connect().scalar("SELECT x FROM u") == "2")
    }

    /// End to end: a lossy rollback plus two checks that would stash the data
    /// after birth and restore it after rollback must not pass, neither with
    /// the stash hidden behind BEGIN ATOMIC nor as plain statements.
    @Test(// Skipped where the PostgreSQL server is not installed.
          .enabled(if: PostgresServer.found(.test), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"),
          arguments: [
        ("SELECT begin atomic FROM (SELECT true AS begin) AS t; COMMIT; CREATE TABLE public.stash AS SELECT * FROM customer_phones; SELECT true AS end;",
         "SELECT begin atomic FROM (SELECT true AS begin) AS t; COMMIT; UPDATE customers AS c SET phone = s.phone FROM public.stash AS s WHERE s.customer_id = c.id; DROP TABLE public.stash; SELECT true AS end;"),
        ("COMMIT;\nCREATE TABLE public.stash AS SELECT * FROM customer_phones;\nSELECT true;",
         "COMMIT;\nUPDATE customers AS c SET phone = s.phone FROM public.stash AS s WHERE s.customer_id = c.id;\nDROP TABLE public.stash;\nSELECT true;"),
        ("SELECT true; SET TRANSACTION READ WRITE;\nCREATE TABLE public.stash AS SELECT * FROM customer_phones RETURNING true;",
         "SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE;\nUPDATE customers AS c SET phone = s.phone FROM public.stash AS s WHERE s.customer_id = c.id RETURNING true;"),
    ])
    func stashAndRestoreChecksCannotHideALossyRollback(_ checks: (String, String)) throws {
        let dir = TempDir()
        let url = Repo.copy("lossy-rollback", into: dir)
        try replace("after-birth.sql", in: url, with: checks.0 + "\n")
        try replace("after-rollback.sql", in: url, with: checks.1 + "\n")
        let result = try rehearsePostgres(url, in: dir, scale: 0.05)
        #expect(result.record.verdict == .fail)
        #expect(result.validation.isValid)
        #expect((result.record.checksAfterBirth + result.record.checksAfterRollback).contains { !$0.passed })
        // The loss itself is still seen: the stash never ran.
        #expect(result.record.drift?.data.contains { $0.table == "customers" } == true, "\(String(describing: result.record.drift))")
    }
}
