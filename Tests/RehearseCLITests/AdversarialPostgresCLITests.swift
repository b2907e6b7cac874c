import Foundation
import Testing

/// Issue 9 through the built binary, as a hostile user would try it: checks
/// that would stash and restore data around a lossy rollback, and
/// `--pg-url` values whose host check is not what libpq would connect to.
@Suite(// Skipped where the PostgreSQL server is not installed (one line at the end of the run counts them).
       .enabled(if: PostgresServer.found(), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)")) struct AdversarialPostgresCLITests {
    /// The commerce surrogate with the lossy rollback, copied into `s`, with
    /// the given checks (PostgreSQL variants) after birth and after rollback.
    static func lossyWithChecks(_ afterBirth: String, _ afterRollback: String, in s: Scratch) throws -> String {
        let dest = s.url.appendingPathComponent("lossy-stash")
        try FileManager.default.copyItem(at: CLI.root.appendingPathComponent("surrogates/commerce"), to: dest)
        try? FileManager.default.removeItem(at: dest.appendingPathComponent("SEAL.sha256"))
        let lossy = try String(contentsOf: CLI.root.appendingPathComponent("surrogates/lossy-rollback/rollback.postgres.sql"), encoding: .utf8)
        try lossy.write(to: dest.appendingPathComponent("rollback.postgres.sql"), atomically: true, encoding: .utf8)
        try afterBirth.write(to: dest.appendingPathComponent("checks/after-birth.postgres.sql"), atomically: true, encoding: .utf8)
        try afterRollback.write(to: dest.appendingPathComponent("checks/after-rollback.postgres.sql"), atomically: true, encoding: .utf8)
        return dest.path
    }

    /// The attack from issue 9: BEGIN ATOMIC outside a routine made the
    /// client keep four commands as one check; the stash after birth and the
    /// restore after rollback would hide the truncated phone numbers.
    @Test func stashAndRestoreChecksDoNotHideALossyRollback() throws {
        let s = Scratch()
        let surrogate = try Self.lossyWithChecks(
            "SELECT begin atomic FROM (SELECT true AS begin) AS t; COMMIT; CREATE TABLE public.stash AS SELECT * FROM customer_phones; SELECT true AS end;\n",
            "SELECT begin atomic FROM (SELECT true AS begin) AS t; COMMIT; UPDATE customers AS c SET phone = s.phone FROM public.stash AS s WHERE s.customer_id = c.id; DROP TABLE public.stash; SELECT true AS end;\n",
            in: s)
        let r = try CLI.run(["--engine", "postgres", surrogate, "--scale", "0.05", "--out", s.path("run"), "--format", "json"], environment: s.env)
        #expect(r.status == 1, "\(r.all)")
        #expect(r.stdout.contains("\"verdict\":\"FAIL\""))
        #expect(r.stdout.contains("\"phone\":"), "the loss is still seen: \(r.stdout.prefix(2000))")
        let v = try CLI.run(["validate", s.path("run")])
        #expect(v.status == 1, "\(v.all)")
        #expect(v.all.contains("evidence valid; verdict FAIL"), "\(v.all)")
        #expect(s.leftovers.isEmpty)
    }

    /// The evidence of an ephemeral run records what the server reported:
    /// no TCP address (null) and the socket directory libpq used.
    @Test func evidenceRecordsTheServerReportedAddress() throws {
        let s = Scratch()
        let r = try CLI.run(["--engine", "postgres", "--scale", "0.02", "--out", s.path("run")], environment: s.env)
        #expect(r.status == 0, "\(r.all)")
        let evidence = try String(contentsOf: URL(fileURLWithPath: s.path("run/evidence.json")), encoding: .utf8)
        #expect(evidence.contains("\"server_address\":null"), "\(evidence.prefix(3000))")
        #expect(evidence.contains("\"socket_directory\":\"\(s.url.path)"), "\(evidence.prefix(3000))")
        #expect(evidence.contains("\"network\":\"none\""))
    }

    /// Each `--pg-url` refusal: exit 3, the keyword or character named, nothing written.
    @Test(arguments: [
        ("host=\u{00A0}/tmp dbname=postgres", "U+00A0"),
        ("host='/tmp\u{2028}' dbname=postgres", "U+2028"),
        ("host='\u{3000}localhost'", "U+3000"),
        ("host='\u{FEFF}/tmp'", "U+FEFF"),
        ("hostaddr='127.0.0.1\u{0085}'", "U+0085"),
        ("host='\t/tmp'", "U+0009"),
        ("postgresql:///postgres?host=%C2%A0%2Ftmp", "U+00A0"),
        ("postgresql:///postgres?host=%20/tmp", "U+0020"),
        ("postgresql://%E2%80%89localhost/postgres", "U+2009"),
        ("host=tmp", "not this machine"),
        ("host=127.1", "not this machine"),
        ("host=localhost.", "not this machine"),
        ("host=[::1]", "not this machine"),
        ("hostaddr=127.0.0.1,10.0.0.5 host=/tmp,/tmp", "not this machine"),
        ("host=/nonexistent-rehearse-dir", "does not exist"),
        ("host=/tmp options=-csession_replication_role=replica", "'options'"),
        ("host=/tmp passfile=/etc/passwd", "'passfile'"),
        ("host=/tmp target_session_attrs=any", "'target_session_attrs'"),
        ("host=/tmp replication=database", "'replication'"),
        ("postgresql:///postgres?service=prod", "'service'"),
    ] as [(String, String)])
    func aPgURLThatIsNotWhatLibpqWouldUseIsRefusedWithExit3(_ url: String, _ needle: String) throws {
        let s = Scratch()
        let r = try CLI.run(["--engine", "postgres", "--pg-url", url, "--out", s.path("run")], environment: s.env)
        #expect(r.status == 3, "\(r.all)")
        #expect(r.stderr.contains(needle), "\(r.stderr)")
        #expect(r.stderr.contains("--pg-url"), "\(r.stderr)")
        #expect(!r.stderr.contains("NSCocoaErrorDomain"))
        #expect(!FileManager.default.fileExists(atPath: s.path("run")))
        let f = try CLI.run(["fingerprint", "--pg-url", url + (url.hasPrefix("postgresql") ? "" : " dbname=app")])
        #expect(f.status == 3, "\(f.all)")
        #expect(f.stderr.contains(needle), "\(f.stderr)")
    }
}
