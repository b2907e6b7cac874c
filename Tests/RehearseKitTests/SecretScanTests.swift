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

/// The secret-free gate: one fake secret per rule is found, in free SQL, COPY
/// data and INSERTs; findings never hold the value; allowlists suppress only
/// the exact value they reviewed; anything the scanner cannot finish refuses.
@Suite struct SecretScanTests {
    /// One fake secret per rule family (assembled, so no real-looking literal
    /// sits whole in the source), with the SQL context that carries it.
    static let samples: [(rule: String, secret: String, line: @Sendable (String) -> String)] = [
        ("pem_private_key", "-----BEGIN RSA " + "PRIVATE KEY-----MIIEowIBAAKCAQEA7nq", { "-- key: \($0)" }),
        ("aws_access_key_id", "AKIA" + "Z7QW3RTY5UIO2PAS", { "INSERT INTO public.cfg (id, note) VALUES (1, 'k=\($0)');" }),
        ("gcp_api_key", "AIza" + "SyD3x9_ab-cdEFGhijkLMNOPqrstuVWXyz012", { "1\t\($0)" }),
        ("azure_account_key", "AccountKey=" + String(repeating: "Qm9ndXMrS2V5", count: 8), { "SELECT '\($0)';" }),
        ("github_token", "ghp_" + "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5", { "COMMENT ON TABLE t IS '\($0)';" }),
        ("gitlab_token", "glpat-" + "x7Yz3Ab9Cd5Ef1Gh2Ij4", { "-- \($0)" }),
        ("slack_token", "xoxb-" + "1234567890-abcdefGHIJ", { "-- \($0)" }),
        ("stripe_key", "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc", { "-- \($0)" }),
        ("openai_style_key", "sk-" + "proj0123456789abcdefghijABCDEFGHIJ012345", { "-- \($0)" }),
        ("jwt", "eyJhbGciOiJIUzI1NiJ9" + ".eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", { "1\t\($0)" }),
        ("uri_with_password", "hunter2secret", { "INSERT INTO public.cfg VALUES (2, 'postgres://app:\($0)@db.internal:5432/prod');" }),
        ("bcrypt_hash", "$2b$12$" + "R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW", { "1\t\($0)" }),
        ("argon2_hash", "$argon2id$v=19$m=65536,t=3,p=4$" + "c2FsdHNhbHQ$ZmFrZWhhc2hmYWtlaGFzaA", { "1\t\($0)" }),
        ("scrypt_hash", "$scrypt$ln=16,r=8,p=1$" + "aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4", { "1\t\($0)" }),
        ("crypt_hash", "$6$rounds=5000$" + "saltsaltsalt$Vx8Qm1z2yPq3r4s5t6u7v8w9", { "1\t\($0)" }),
        ("role_password", "Sup3rS3cretRolePw", { "CREATE ROLE app LOGIN PASSWORD '\($0)';" }),
        ("sensitive_column", "correct horse battery staple", { "INSERT INTO public.users (id, email, password) VALUES (7, 'a@example.org', '\($0)');" }),
        ("high_entropy_assignment", "Zq8vR2mK9pL4xW7nB3cT", { "INSERT INTO public.cfg VALUES (3, '{\"api_token\": \"x\", \"secret\": \"\($0)\"}');" }),
    ]

    static let header = """
        CREATE TABLE public.users (
            id integer NOT NULL,
            email text,
            password text
        );
        CREATE TABLE public.cfg (
            id integer,
            note text
        );
        COPY public.notes (id, body) FROM stdin;
        """

    func scan(_ text: String, allowlist: SecretAllowlist = .none) throws -> SecretScanReport {
        var s = SecretScanner(allowlist: allowlist)
        try s.feed(Array(text.utf8))
        return try s.finish()
    }

    @Test func everyRuleFindsItsSecretAndNoFindingHoldsTheValue() throws {
        #expect(Set(Self.samples.map(\.rule)) == Set(SecretRules.all.map(\.id)), "a sample per rule")
        for sample in Self.samples {
            let inCopy = sample.line(sample.secret).hasPrefix("1\t")
            let text = inCopy ? Self.header + "\n" + sample.line(sample.secret) + "\n\\.\n" : Self.header + "\n\\.\n" + sample.line(sample.secret) + "\n"
            let report = try scan(text)
            #expect(report.findings.contains { $0.rule == sample.rule }, "\(sample.rule): \(report.findings)")
            let rendered = report.findings.map { "\($0.json.canonicalString) \($0.location)" }.joined() + report.evidenceJSON.canonicalString
                + report.refusal("d.sql").message
            #expect(!rendered.contains(sample.secret), "\(sample.rule) leaked its value")
        }
    }

    @Test func findingsNameTableAndColumnInCopyAndInserts() throws {
        let copy = try scan(Self.header.replacingOccurrences(of: "public.notes (id, body)", with: "public.users (id, email, password)")
                            + "\n1\ta@example.org\tpl41n-text\n2\tb@example.org\t\\N\n\\.\n")
        #expect(copy.findingCount == 1)
        #expect(copy.findings.first?.column == "public.users.password")
        #expect(copy.findings.first?.rule == "sensitive_column")
        // INSERT without a column list takes the columns from CREATE TABLE
        let insert = try scan(Self.header + "\n\\.\nINSERT INTO public.users VALUES (1, 'a@example.org', 'pl41n-text'), (2, 'b@x', NULL);\n")
        #expect(insert.findings.map(\.column) == ["public.users.password"])
        // numbers, booleans, NULL and empty values in a secret-named column are not secrets
        let harmless = try scan("CREATE TABLE t (id int, token_count int, api_key text);\nINSERT INTO t VALUES (1, 42, NULL);\nINSERT INTO t VALUES (2, 7, '');\n")
        #expect(harmless.isClean, "\(harmless.findings)")
    }

    @Test func aSecretAcrossAReadBoundaryIsFound() throws {
        let secret = "ghp_" + "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5"
        // the scanner is fed whatever a read returns; cut inside the secret at several places
        let pad = String(repeating: "x", count: 100_000)
        let bytes = Array("-- \(pad) \(secret)\n".utf8)
        let at = 100_004
        for cut in [at, at + 1, at + 20, at + 39, 3] {
            var s = SecretScanner()
            try s.feed(Array(bytes[..<cut]))
            try s.feed(Array(bytes[cut...]))
            #expect(try s.finish().findings.map(\.rule) == ["github_token"], "cut at \(cut)")
        }
    }

    @Test func anAllowlistSuppressesOnlyTheReviewedValue() throws {
        let text = "INSERT INTO public.users (id, email, password) VALUES (1, 'a', 'not-a-secret-demo');\n"
        let first = try scan(text)
        let fingerprint = try #require(first.findings.first?.fingerprint)
        let dir = TempDir()
        let file = dir.file("allow.txt")
        try "# reviewed: demo fixture\n\(fingerprint)  # users.password demo\n".write(to: file, atomically: true, encoding: .utf8)
        let list = try SecretAllowlist(file: file.path)
        let second = try scan(text, allowlist: list)
        #expect(second.isClean)
        #expect(second.suppressedCount == 1)
        #expect(second.allowlistDigest == Digest.sha256Hex(try Data(contentsOf: file)))
        let other = try scan(text.replacingOccurrences(of: "not-a-secret-demo", with: "a-real-password!"), allowlist: list)
        #expect(other.findingCount == 1, "the same place with another value is a new finding")
        try "deadbeef\n".write(to: file, atomically: true, encoding: .utf8)
        let bad = #expect(throws: RehearseError.self) { try SecretAllowlist(file: file.path) }
        #expect(bad?.code == .badInput)
        #expect(bad?.message.contains("allow.txt:1: not a finding fingerprint") == true)
    }

    @Test func aLineTooLongToScanFailsClosed() throws {
        var s = SecretScanner()
        let chunk = [UInt8](repeating: 0x61, count: 8 << 20)
        let e = #expect(throws: RehearseError.self) { for _ in 0...(SecretScanner.maxLine / chunk.count) { try s.feed(chunk) } }
        #expect(e?.code == .refused)
        #expect(e?.message.contains("the secret scan could not finish: line 1 is longer than 64 MiB") == true)
    }

    @Test func anSQLiteDatabaseIsScannedValueByValue() throws {
        let dir = TempDir()
        let db = try SQLiteConnection(path: dir.file("app.sqlite").path)
        try db.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT, ApiKey TEXT); INSERT INTO accounts VALUES (1, 'x', NULL), (2, 'y', 'live-key-value-123');")
        let workspace = try DumpWorkspace(parent: dir.url)
        let copy = try DumpDigest.copy(path: dir.file("app.sqlite").path, into: workspace.url)
        #expect(try DumpFormat.detect(copy.copy, isDirectory: false) == .sqlite)
        let report = try DumpScan.scan(copy: copy.copy, format: .sqlite, shown: "app.sqlite", workDirectory: workspace.url, bindir: nil, reader: .inProcess, allowlist: .none)
        #expect(report.findings.map(\.column) == ["accounts.ApiKey"])
        #expect(report.findings.first?.line == 2)
        // a table's value is placed by its row: no line or byte offset of a file it never was in
        #expect(report.findings.first?.location == "accounts.ApiKey, row 2")
        #expect(report.findings.first?.json["byte_offset"] == .null)
        #expect(report.findings.first?.json["row"] == .integer(2))
        workspace.remove()
        #expect(!FileManager.default.fileExists(atPath: workspace.url.path))
    }

    /// A secret written with JSON `\u` escapes (as json and jsonb hand it
    /// back decoded) is found, in an SQLite value and in a COPY field.
    @Test func jsonUnicodeEscapesDoNotHideASecret() throws {
        let escaped = #"{"k": "\u0041KIAIOSFODNN7EXAMPLE"}"#
        #expect(SecretDecoding.jsonEscapes(Array(escaped.utf8)[...]).map { String(decoding: $0, as: UTF8.self) } == #"{"k": "AKIAIOSFODNN7EXAMPLE"}"#)
        // A surrogate pair decodes to one scalar.
        #expect(SecretDecoding.jsonEscapes(Array(#"x\ud83d\ude00y"#.utf8)[...]).map { String(decoding: $0, as: UTF8.self) } == "x😀y")
        var direct = SecretScanner()
        escaped.utf8CString.withUnsafeBytes { raw in
            direct.value(table: "t", column: "doc", bytes: UnsafeRawBufferPointer(rebasing: raw.dropLast()), row: 1)
        }
        #expect(direct.findings.map(\.rule).contains { $0.contains("aws") }, "\(direct.findings.map(\.rule))")
        var plain = SecretScanner()
        #expect(plain.findings.isEmpty)
        escaped.replacingOccurrences(of: "\\u0041", with: "Z").utf8CString.withUnsafeBytes { raw in
            plain.value(table: "t", column: "doc", bytes: UnsafeRawBufferPointer(rebasing: raw.dropLast()), row: 1)
        }
        #expect(plain.findings.isEmpty, "\(plain.findings.map(\.rule))")
    }

    /// `sqlite_%` in LIKE also matches `sqliteX…`: no user table escapes the
    /// scan by its name, and SQLite's statistics (sample keys) are scanned.
    @Test func noSQLiteTableEscapesTheScanByItsName() throws {
        let dir = TempDir()
        let db = try SQLiteConnection(path: dir.file("app.sqlite").path)
        try db.execute("""
            CREATE TABLE sqliteXvault (id INTEGER PRIMARY KEY, api_key TEXT);
            INSERT INTO sqliteXvault VALUES (1, 'live-key-value-123');
            CREATE TABLE tokens (id INTEGER PRIMARY KEY, v TEXT);
            CREATE INDEX tokens_v ON tokens (v);
            INSERT INTO tokens VALUES (1, 'a'), (2, 'b');
            ANALYZE;
            """)
        let workspace = try DumpWorkspace(parent: dir.url)
        defer { workspace.remove() }
        let copy = try DumpDigest.copy(path: dir.file("app.sqlite").path, into: workspace.url)
        let report = try DumpScan.scan(copy: copy.copy, format: .sqlite, shown: "app.sqlite", workDirectory: workspace.url, bindir: nil, reader: .inProcess, allowlist: .none)
        #expect(report.findings.map(\.column) == ["sqliteXvault.api_key"])
    }

    @Test func rulesDigestIsStableAndSecretColumnsAreNamedByWords() {
        #expect(Digest.isSHA256Hex(SecretRules.digest))
        for name in ["password", "password_hash", "userPassword", "client_secret", "api_key", "apiKey", "ApiKey", "access_token", "private_key", "salt"] {
            #expect(SecretRules.isSecretColumn(name), "\(name)")
        }
        for name in ["passenger", "tokenizer_name", "keyboard", "secretary_id", "email", "monkey"] {
            #expect(!SecretRules.isSecretColumn(name), "\(name)")
        }
    }

    /// What the server restores is what is scanned: COPY escapes and bytea
    /// hex are decoded, a base64 PEM is recognised, Django's pbkdf2 too.
    @Test func encodedSecretsAreFoundAsTheServerWouldStoreThem() throws {
        let pemHex = Array("-----BEGIN PRIVATE KEY-----MIIEvQIBADANBgkqhkiG9w0BAQEFAASC".utf8).map { String(format: "%02x", $0) }.joined()
        let b64 = Data("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC".utf8).base64EncodedString()
        let text = """
            COPY public.a (id, v) FROM stdin;
            1\t\\x41KIAIOSFODNN7EXAMPLE
            2\t\\055----BEGIN RSA PRIVATE KEY-----
            3\tgh\\p_abcdefghijklmnopqrstuvwxyz0123456789
            4\t\\\\x\(pemHex)
            5\t\(b64)
            6\tpbkdf2_sha256$260000$abcdefghijkl$Zm9vYmFyYmF6cXV4
            \\.

            """
        let report = try scan(text)
        #expect(report.findings.map(\.rule).sorted() == ["aws_access_key_id", "crypt_hash", "github_token", "pem_private_key", "pem_private_key", "pem_private_key"], "\(report.findings)")
    }

    /// INSERT values spanning lines or after an E'' string keep their column.
    @Test func insertValuesAcrossLinesAndEscapeStringsKeepTheirColumn() throws {
        let text = "CREATE TABLE public.u2 (id integer, password_hash text);\nINSERT INTO public.u2 (id, password_hash) VALUES (1,\n'hunter3hunter3');\nINSERT INTO public.u2 VALUES (2, E'a\\'b'), (3, 'hunter4hunter4');\n"
        let report = try scan(text)
        #expect(report.findings.filter { $0.column == "public.u2.password_hash" }.count == 3, "\(report.findings)")
    }
}
