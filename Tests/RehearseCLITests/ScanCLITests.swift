import Foundation
import Testing

/// `rehearse scan`: exit 0 clean with the digest a grant names, exit 3 with
/// findings, and no output ever holds a secret.
@Suite struct ScanCLITests {
    static let secrets = ["AKIA" + "Z7QW3RTY5UIO2PAS", "ghp_" + "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5", "correct horse battery staple",
                          "hunter2secret", "$2b$12$" + "R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW"]

    @Test func aSeededDumpIsRefusedAndNoOutputHoldsASecret() throws {
        let s = Scratch()
        let dump = """
            CREATE TABLE public.users (id integer, password text);
            COPY public.users (id, password) FROM stdin;
            1\t\(Self.secrets[2])
            2\t\(Self.secrets[4])
            \\.
            INSERT INTO public.cfg VALUES (1, '\(Self.secrets[0])', 'postgres://u:\(Self.secrets[3])@h/db');
            -- \(Self.secrets[1])

            """
        try dump.write(toFile: s.path("d.sql"), atomically: true, encoding: .utf8)
        for format in ["text", "json"] {
            let r = try CLI.run(["scan", s.path("d.sql"), "--format", format], environment: s.env)
            #expect(r.status == 3, "\(r.all)")
            for secret in Self.secrets { #expect(!r.all.contains(secret), "\(format) output leaked a secret") }
            #expect(r.all.contains("public.users.password"))
            for rule in ["aws_access_key_id", "github_token", "sensitive_column", "uri_with_password", "bcrypt_hash"] { #expect(r.all.contains(rule), "\(rule)") }
        }
        #expect(s.leftovers.isEmpty, "the private copy is removed")
    }

    @Test func aCleanDumpPrintsItsDigestAndAnAllowlistIsApplied() throws {
        let s = Scratch()
        try "CREATE TABLE t (id int, password text);\nINSERT INTO t VALUES (1, 'demo-fixture');\n".write(toFile: s.path("d.sql"), atomically: true, encoding: .utf8)
        let first = try CLI.run(["scan", s.path("d.sql"), "--format", "json"], environment: s.env)
        #expect(first.status == 3)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any])
        let fingerprint = try #require((json["findings"] as? [[String: Any]])?.first?["fingerprint"] as? String)
        try "\(fingerprint)\n".write(toFile: s.path("allow.txt"), atomically: true, encoding: .utf8)
        let second = try CLI.run(["scan", s.path("d.sql"), "--allowlist", s.path("allow.txt")], environment: s.env)
        #expect(second.status == 0, "\(second.all)")
        #expect(second.stdout.contains("0 finding(s), 1 allowlisted"))
        #expect(second.stdout.contains("secret-free: a grant may name sha256 "))
        let missing = try CLI.run(["scan", s.path("nope.sql")], environment: s.env)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("Cannot read the dump"))
    }
}
