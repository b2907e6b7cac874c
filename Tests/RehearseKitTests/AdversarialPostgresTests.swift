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

    @Test(arguments: severalCommands)
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

    @Test func noSingleStatementEscapesTheReadOnlyTransaction() throws {
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

    @Test func aCheckThatEndsItsTransactionFailsWhateverItReturns() throws {
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
    @Test(arguments: [
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
    @Test func aCheckCannotWriteThroughAConnectionOfItsOwn() throws {
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
    @Test(arguments: [
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
    @Test func rowsWrittenAfterTheHorizonAreFound() throws {
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
    @Test func aBirthStatementOfSeveralCommandsFails() throws {
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
    @Test func aBeginAtomicRoutineRunsAsOneStatement() throws {
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
    @Test(arguments: [
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

/// Issue 9, class 2: the host check is the connection. `--pg-url` is parsed
/// once by libpq, checked byte for byte, and every connection is checked
/// again for where it actually went.
@Suite struct AdversarialPostgresAddressTests {
    /// Every Unicode space, separator and invisible character we know of,
    /// plus the ASCII white space and controls.
    static let invisible: [Unicode.Scalar] = [
        "\u{0020}", "\u{0009}", "\u{000A}", "\u{000B}", "\u{000C}", "\u{000D}", "\u{0001}", "\u{001F}", "\u{007F}", "\u{0085}", "\u{00A0}",
        "\u{1680}", "\u{180E}", "\u{2000}", "\u{2001}", "\u{2002}", "\u{2003}", "\u{2004}", "\u{2005}", "\u{2006}", "\u{2007}",
        "\u{2008}", "\u{2009}", "\u{200A}", "\u{200B}", "\u{200C}", "\u{200D}", "\u{2028}", "\u{2029}", "\u{202F}", "\u{205F}",
        "\u{2060}", "\u{3000}", "\u{FEFF}", "\u{FF0F}",
    ]

    static func percentEncoded(_ text: String) -> String {
        text.utf8.map { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b == 0x2e ? String(UnicodeScalar(b)) : String(format: "%%%02X", b)
        }.joined()
    }

    func expectRefused(_ url: String, _ needles: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let address = try PostgresServerAddress(parsing: url)
            Issue.record("accepted \(PostgresServerAddress.visible(url)) as \(address.parameters)", sourceLocation: sourceLocation)
        } catch let error as RehearseError {
            #expect(error.code == .refused && error.code.exitStatus == 3, "\(PostgresServerAddress.visible(url)): \(error)", sourceLocation: sourceLocation)
            for needle in needles {
                #expect(error.message.contains(needle), "\(PostgresServerAddress.visible(url)): \(error.message)", sourceLocation: sourceLocation)
            }
            #expect(!error.message.contains("NSCocoaErrorDomain"), sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: invisible)
    func anInvisibleCharacterAnywhereInHostOrHostaddrIsRefused(_ c: Unicode.Scalar) throws {
        let code = String(format: "U+%04X", c.value)
        let w = String(Character(c))
        for (value, keyword) in [("/tmp", "host"), ("localhost", "host"), ("127.0.0.1", "hostaddr"), ("::1", "hostaddr"), ("5432", "port")] {
            let middle = value.index(value.startIndex, offsetBy: 2)
            for variant in [w + value, value + w, value[..<middle] + w + value[middle...]] {
                let quoted = variant.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
                expectRefused("\(keyword)='\(quoted)' dbname=postgres", [keyword, code])
                expectRefused("postgresql:///postgres?\(keyword)=\(Self.percentEncoded(variant))", [keyword, code])
                if keyword == "host" && value == "localhost" {
                    expectRefused("postgresql://\(Self.percentEncoded(variant)):5432/postgres", [keyword, code])
                }
            }
        }
    }

    /// The report that opened issue 9: U+00A0 before a socket directory.
    @Test func aNoBreakSpaceBeforeASocketDirectoryIsRefused() {
        expectRefused("host=\u{00A0}/tmp dbname=postgres", ["host", "U+00A0"])
        expectRefused("postgresql:///postgres?host=%C2%A0/tmp", ["host", "U+00A0"])
        expectRefused("postgresql:///postgres?host=%20%2Ftmp", ["host", "U+0020"])
    }

    /// Names that resolve to loopback (through a hosts file, the resolver's
    /// loose IPv4 forms, a zone index) are still names: only `localhost`,
    /// spelled exactly, is accepted, and it is pinned to 127.0.0.1.
    @Test(arguments: ["host=localhost.", "host=LOCALHOST", "host=Localhost", "host=ip6-localhost", "host=localhost.localdomain",
                      "host=127.1", "host=0x7f.1", "host=0x7f000001", "host=2130706433", "host=0177.0.0.1", "host=127.0.0.01",
                      "host=127.0.0.1%eth0", "host=[::1]", "host=::1%lo", "hostaddr=::1%lo", "hostaddr=127.1", "hostaddr=[::1]",
                      "host=::127.0.0.1", "host=::ffff:10.0.0.1", "host=0.0.0.0", "host=::", "hostaddr=0.0.0.0",
                      "host=tmp", "host=./tmp", "host=../tmp", "host=~/sock", "host=%2Ftmp"])
    func namesAndLooseAddressesAreRefused(_ url: String) {
        expectRefused(url, ["not this machine"])
    }

    @Test func theMachinesOwnNameIsRefused() {
        expectRefused("host=\(ProcessInfo.processInfo.hostName)", ["not this machine"])
    }

    @Test(arguments: ["host=/nonexistent-rehearse-socket-dir", "host=/etc/hostname"])
    func aSocketDirectoryMustExist(_ url: String) {
        expectRefused(url, ["does not exist or is not a directory"])
    }

    /// One bad entry in a list refuses the whole list.
    @Test(arguments: ["host=/tmp,db.example.com", "host=localhost,10.0.0.1", "host=/tmp,localhost,127.1", "host=,db.example.com",
                      "host=/tmp,/tmp hostaddr=127.0.0.1,10.0.0.1", "host=localhost hostaddr=10.1.1.1", "hostaddr=127.0.0.1,,10.0.0.5",
                      "host=/tmp,db.example.com hostaddr=127.0.0.1,", "host=db.example.com hostaddr=127.0.0.1",
                      "postgresql://localhost,10.0.0.1/postgres", "postgresql://[::1],[2001:db8::1]/postgres",
                      "postgresql://localhost,127.0.0.2:5432,5433/x"])
    func aListWithOneBadEntryIsRefused(_ url: String) {
        expectRefused(url, ["not this machine"])
    }

    @Test(arguments: ["host=/tmp,/tmp hostaddr=127.0.0.1", "host=/tmp port=5432,5433", "port=0", "port=65536", "port=+5432", "port=54x",
                      "port=5432,", "connect_timeout=-1", "connect_timeout=1e9", "sslmode=verify-full", "gssencmode=require"])
    func countsPortsAndNumbersAreChecked(_ url: String) {
        expectRefused(url, [])
    }

    /// Every keyword that could redirect the connection, read a file, or
    /// change how the session behaves is refused, naming the keyword.
    @Test(arguments: ["service=prod", "passfile=/tmp/pgpass", "options=-csession_replication_role=replica", "options=-cdefault_transaction_read_only=off",
                      "target_session_attrs=any", "replication=database", "krbsrvname=postgres", "gsslib=gssapi", "client_encoding=LATIN1",
                      "sslcert=/tmp/c", "sslkey=/tmp/k", "sslrootcert=/tmp/r", "sslcrl=/tmp/l", "sslcrldir=/tmp", "sslpassword=x",
                      "sslsni=1", "sslcompression=1", "ssl_min_protocol_version=TLSv1.2", "ssl_max_protocol_version=TLSv1.3",
                      "postgresql:///postgres?service=prod", "postgresql:///postgres?options=-c%20search_path%3Devil"])
    func aRefusedKeywordIsNamed(_ url: String) {
        if url.hasPrefix("postgresql") {
            let keyword = String(url.split(separator: "?")[1].split(separator: "=")[0])
            expectRefused(url, ["'\(keyword)'", "Remove \(keyword)"])
        } else {
            let keyword = String(url.split(separator: "=")[0])
            expectRefused("host=/tmp " + url, ["'\(keyword)'", "Remove \(keyword)"])
        }
    }

    @Test(arguments: ["host=/tmp", "host=localhost", "host=127.0.0.1", "host=127.255.0.9", "host=::1", "host=::ffff:127.0.0.1",
                      "hostaddr=0:0:0:0:0:0:0:1", "postgresql://[::1]:5432/x", "postgresql://%2Ftmp/x", "host=@rehearse-abstract",
                      "host=/tmp,localhost hostaddr=,127.0.0.1", "host=/tmp sslmode=disable keepalives=1 requirepeer=postgres",
                      "hostaddr=127.0.0.1,", "postgresql://localhost:5432,127.0.0.2:5433/x", "dbname='host=10.0.0.1'"])
    func localEntriesAreAccepted(_ url: String) throws {
        let address = try PostgresServerAddress(parsing: url)
        if url.contains("localhost") { #expect(address.parameters["hostaddr"]?.contains("127.0.0.1") == true) }
        // dbname is passed as a name (expand_dbname = 0), never read as a connection string.
        if url.hasPrefix("dbname") { #expect(address.parameters["dbname"] == "host=10.0.0.1" && address.parameters["host"] == nil) }
        #expect(Set(address.parameters.keys).isSubset(of: PostgresServerAddress.accepted))
    }

    @Test func aConnectionIsOpenedOnlyFromCheckedKeywords() {
        #expect(throws: PGError.self) { _ = try PGConnection(["host": "/tmp", "service": "prod"]) }
        #expect(throws: PGError.self) { _ = try PGConnection(["host": "/tmp", "options": "-c search_path=x"]) }
    }

    /// libpq goes down a host list until one answers; wherever it lands must
    /// be an entry that was checked, and the evidence says which.
    @Test func aHostListLandsOnACheckedEntryAndTheEvidenceSaysWhich() throws {
        let cluster = try TestPostgres.cluster
        let empty = TempDir()
        let address = try PostgresServerAddress(parsing: "host=\(empty.url.path),\(cluster.socketDirectory.path) port=\(PostgresCluster.port) user=\(PostgresCluster.superuser) dbname=postgres")
        let scratch = try PostgresScratch(target: .server(address), keep: false)
        let target = scratch.isolation
        #expect(target["network"] == "none")
        #expect(target["server_address"] == .null)
        #expect(target["socket_directory"] == .string(cluster.socketDirectory.path))
        #expect(target["port"] == .string(String(PostgresCluster.port)))
    }

    /// After connecting, libpq's own report is compared with what was
    /// checked: a connection that went anywhere else is refused.
    @Test func aConnectionThatWentElsewhereIsRefused() throws {
        let cluster = try TestPostgres.cluster
        let db = try TestPostgres.connect()
        let ok = try PostgresEndpoint.verify(db, parameters: cluster.connectionParameters(database: "postgres"))
        #expect(ok == PostgresEndpoint(serverAddress: nil, host: cluster.socketDirectory.path, hostaddr: "", port: String(PostgresCluster.port)))
        for claimed in [["host": "/var/run/postgresql", "port": String(PostgresCluster.port)],
                        ["host": cluster.socketDirectory.path, "port": "1"],
                        ["host": "localhost", "hostaddr": "127.0.0.1"],
                        ["hostaddr": "127.0.0.1"]] {
            do {
                _ = try PostgresEndpoint.verify(db, parameters: claimed)
                Issue.record("accepted \(claimed)")
            } catch let error as RehearseError {
                #expect(error.code == .refused)
                #expect(error.message.contains("The connection to PostgreSQL went to host '\(cluster.socketDirectory.path)'"), "\(error.message)")
            }
        }
    }

    /// An ephemeral cluster must answer over its socket and report no TCP
    /// listen address; the answer is read, never assumed.
    @Test func theEphemeralClustersIsolationIsWhatTheServerReports() throws {
        let db = try TestPostgres.connect()
        let cluster = try TestPostgres.cluster
        let socket = try PostgresEndpoint.verify(db, parameters: cluster.connectionParameters(database: "postgres"))
        #expect(try PostgresScratch.checkIsolation(db, endpoint: socket) == "")
        var tcp = socket
        tcp.serverAddress = "127.0.0.1"
        do {
            _ = try PostgresScratch.checkIsolation(db, endpoint: tcp)
            Issue.record("a cluster answering over TCP was accepted")
        } catch let error as RehearseError {
            #expect(error.code == .refused)
            #expect(error.message == "The scratch cluster answered over TCP from 127.0.0.1 instead of its Unix socket; rehearse stops here.")
        }
    }

    /// The evidence's target block carries what the server reported, and the
    /// validator holds the network to it.
    @Test func theEvidenceCarriesTheServerReportedAddress() throws {
        let dir = TempDir()
        let cluster = try TestPostgres.cluster
        let result = try rehearsePostgres(Repo.surrogate("commerce"), in: dir, scale: 0.02)
        #expect(result.record.verdict == .pass)
        #expect(result.validation.isValid)
        let target = try #require(result.evidence["predicate"]?["target"])
        #expect(target["kind"] == "postgres-server")
        #expect(target["network"] == "none")
        #expect(target["server_address"] == .null)
        #expect(target["socket_directory"] == .string(cluster.socketDirectory.path))
        #expect(target["port"] == .string(String(PostgresCluster.port)))
    }
}

/// A TCP port on 127.0.0.1 that forwards every connection to a Unix socket:
/// what a port forwarded to another machine looks like from here (the
/// server behind it does not answer from a loopback TCP address).
final class LoopbackForwarder: @unchecked Sendable {
    let port: UInt16
    private let listener: Int32
    private let target: String

    /// Listens on a Unix socket `listenPath` instead (as `ssh -L` can): a
    /// local socket whose other end is not the server's postmaster.
    init(listenPath: String, toUnixSocket path: String) throws {
        target = path
        let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in raw.copyBytes(from: Array(listenPath.utf8.prefix(raw.count - 1))) }
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        guard bound == 0, listen(listener, 8) == 0 else { throw RehearseError.environment("cannot listen on \(listenPath)") }
        port = 0
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    init(toUnixSocket path: String) throws {
        target = path
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(listener, 8) == 0 else { throw RehearseError.environment("cannot listen on 127.0.0.1") }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &len) } }
        port = UInt16(bigEndian: addr.sin_port)
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    func stop() { shutdown(listener, Int32(SHUT_RDWR)); close(listener) }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 { return }
            let upstream = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_un()
            addr.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &addr.sun_path) { raw in
                let bytes = Array(target.utf8.prefix(raw.count - 1))
                raw.copyBytes(from: bytes)
            }
            let ok = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
            if ok != 0 { close(client); close(upstream); continue }
            Thread.detachNewThread { Self.pump(from: client, to: upstream) }
            Thread.detachNewThread { Self.pump(from: upstream, to: client) }
        }
    }

    private static func pump(from: Int32, to: Int32) {
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(from, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            var sent = 0
            while sent < n {
                let m = buffer.withUnsafeBytes { write(to, $0.baseAddress! + sent, n - sent) }
                if m <= 0 { break }
                sent += m
            }
        }
        shutdown(to, Int32(SHUT_WR))
        shutdown(from, Int32(SHUT_RD))
    }
}

@Suite struct AdversarialPostgresForwardedPortTests {
    /// A socket directory of our own whose socket forwards to the server (as
    /// `ssh -L /dir/.s.PGSQL.5432:...` would to another machine): the server
    /// reports a Unix socket, but its backend is no child of the process at
    /// the socket's other end, so the connection is refused.
    @Test func aUnixSocketForwardedElsewhereIsRefused() throws {
        let cluster = try TestPostgres.cluster
        let dir = TempDir()
        let forwarder = try LoopbackForwarder(listenPath: dir.file(".s.PGSQL.\(PostgresCluster.port)").path,
                                              toUnixSocket: cluster.socketDirectory.appendingPathComponent(".s.PGSQL.\(PostgresCluster.port)").path)
        defer { forwarder.stop() }
        let address = try PostgresServerAddress(parsing: "host=\(dir.url.path) port=\(PostgresCluster.port) user=\(PostgresCluster.superuser) dbname=postgres")
        do {
            _ = try PostgresScratch(target: .server(address), keep: false)
            Issue.record("a forwarded socket was accepted")
        } catch let error as RehearseError {
            #expect(error.code == .refused && error.code.exitStatus == 3, "\(error)")
            #expect(error.message.contains("is not a child of the process \(getpid()) holding the socket"), "\(error.message)")
        }
        // The server's own socket passes the same check.
        _ = try PostgresScratch(target: .server(try TestPostgres.address), keep: false)
    }

    /// 127.0.0.1 passes every check on the text, but the server behind the
    /// port says it was reached over a Unix socket, not from loopback TCP:
    /// the connection is not what the address claimed, so it is refused.
    @Test func aLoopbackPortForwardedElsewhereIsRefused() throws {
        let cluster = try TestPostgres.cluster
        let forwarder = try LoopbackForwarder(toUnixSocket: cluster.socketDirectory.appendingPathComponent(".s.PGSQL.\(PostgresCluster.port)").path)
        defer { forwarder.stop() }
        let address = try PostgresServerAddress(parsing: "host=127.0.0.1 port=\(forwarder.port) user=\(PostgresCluster.superuser) dbname=postgres sslmode=disable")
        #expect(address.network == "loopback")
        do {
            _ = try PostgresScratch(target: .server(address), keep: false)
            Issue.record("a forwarded port was accepted")
        } catch let error as RehearseError {
            #expect(error.code == .refused && error.code.exitStatus == 3, "\(error)")
            #expect(error.message.contains("the server reports a Unix socket, but libpq connected over TCP"), "\(error.message)")
            #expect(error.message.contains("address '127.0.0.1' port '\(forwarder.port)'"), "\(error.message)")
        }
    }
}
