import Foundation
import Testing
@testable import RehearseCore
@testable import RehearseKit
@testable import RehearsePostgres

/// String constants the server decodes are scanned decoded: `U&'…'` (with
/// `\XXXX`, `\+XXXXXX`, a custom `UESCAPE`), `E'…'` octal, hex and `\u`
/// escapes, constants joined across lines or by `||`, `$tag$` bodies; the
/// findings never show the value, and their byte offsets and lines are the
/// value's own, also after a line longer than the read buffer.
@Suite struct SecretScanEscapeTests {
    /// An AWS key id assembled at run time, so no whole one sits in the source.
    static let key = "AKIA" + "IOSFODNN7EXAMPLE"

    func scan(_ text: String, rendered: Bool = false) throws -> SecretScanReport {
        var s = SecretScanner(rendered: rendered)
        try s.feed(Array(text.utf8))
        return try s.finish()
    }

    /// `s` with each character written as `\XXXX` (or `\+XXXXXX`, or with `escape`).
    static func unicodeEscaped(_ s: String, escape: String = "\\", six: Bool = false) -> String {
        s.unicodeScalars.map { escape + (six ? "+" + String(format: "%06X", $0.value) : String(format: "%04X", $0.value)) }.joined()
    }

    @Test(arguments: [
        // U& with 4-digit escapes, in a comment constant, a view, an INSERT value
        "COMMENT ON TABLE public.t IS U&'\(unicodeEscaped(key))';",
        "CREATE VIEW public.v AS SELECT U&'\(unicodeEscaped(key, six: true))' AS a;",
        "CREATE VIEW public.v AS SELECT U&'\(unicodeEscaped(key, escape: "!"))' UESCAPE '!' AS a;",
        "CREATE VIEW public.v AS SELECT U&'\(unicodeEscaped(String(key.prefix(4)), escape: "#", six: true))\(key.dropFirst(4))'\n  UESCAPE\n  '#' AS a;",
        "INSERT INTO public.t VALUES (1, U&'\(unicodeEscaped(key))');",
        // a U& identifier: the server names a column with the decoded key
        "CREATE TABLE public.u (U&\"\(unicodeEscaped(key, escape: "%"))\" UESCAPE '%' integer);",
        // E'' octal, hex, \u and an escaped ordinary character
        "CREATE VIEW public.v AS SELECT E'\\101\(key.dropFirst())' AS a;",
        "CREATE VIEW public.v AS SELECT E'\\x41\(key.dropFirst())' AS a;",
        "CREATE VIEW public.v AS SELECT e'\\u0041\\K\(key.dropFirst(2))' AS a;",
        "INSERT INTO public.t VALUES (2, E'it''s \\x41\(key.dropFirst())');",
        // a standard constant under standard_conforming_strings = off
        "SET standard_conforming_strings = off;\nCREATE VIEW public.v AS SELECT '\\x41\(key.dropFirst())' AS a;",
        // joined: on the next line, and by ||
        "CREATE VIEW public.v AS SELECT '\(key.prefix(8))'\n'\(key.dropFirst(8))' AS a;",
        "CREATE VIEW public.v AS SELECT '\(key.prefix(8))' || '\(key.dropFirst(8))' AS a;",
        // inside a function body ($tag$), as an escape constant
        "CREATE FUNCTION public.f() RETURNS text LANGUAGE sql AS $body$\n  SELECT E'\\x41\(key.dropFirst())'\n$body$;",
        // a dollar-quoted constant as written
        "CREATE VIEW public.v AS SELECT $q$\(key)$q$ AS a;",
    ])
    func anEscapedSecretIsFoundAndNeverShown(sql: String) throws {
        let report = try scan("CREATE TABLE public.t (id integer, note text);\n" + sql + "\n")
        #expect(report.findings.contains { $0.rule == "aws_access_key_id" }, "\(sql): \(report.findings)")
        let shown = report.findings.map { "\($0.json.canonicalString) \($0.location)" }.joined() + report.evidenceJSON.canonicalString
        #expect(!shown.contains(Self.key) && !shown.contains(Self.key.dropFirst(4)))
    }

    @Test(arguments: [
        "CREATE VIEW public.v AS SELECT U&'d\\0061t\\+000061' AS a, E'tab\\there' AS b, 'it''s' AS c;",
        "CREATE FUNCTION public.f() RETURNS text LANGUAGE plpgsql AS $$ BEGIN RETURN 'don''t'; END $$;",
        "CREATE VIEW public.v AS SELECT 'a' || 'b', $1, x$y FROM t;",
        "-- U&'\\0041' in a comment\n/* E'\\x41' /* nested */ */ SELECT 1;",
    ])
    func harmlessConstantsFindNothing(sql: String) throws {
        let report = try scan(sql + "\n")
        #expect(report.findingCount == 0, "\(sql): \(report.findings)")
    }

    @Test func decodersReadWhatTheServerReads() {
        #expect(SQLLiteralDecoder.decodeUnicode(Array("d\\0061t\\+000061 \\\\".utf8), escape: 92) == Array("data \\".utf8))
        #expect(SQLLiteralDecoder.decodeUnicode(Array("!D83D!DE00".utf8), escape: 33) == Array("😀".utf8))
        #expect(SQLLiteralDecoder.decodeEscape(Array("\\101\\x42\\u0043\\U00000044\\q''\\n".utf8)) == Array("ABCDq'\n".utf8))
    }

    /// The offset and line are the value's, also after a line longer than
    /// the scanner's 1 MiB read buffer, in COPY data, in a multi-line INSERT
    /// and in free SQL.
    @Test func offsetsAreTheValuesOwnAfterALongLine() throws {
        let long = String(repeating: "x", count: 3 << 20)
        let head = "CREATE TABLE public.t (id integer, note text);\nCOPY public.t (id, note) FROM stdin;\n1\t\(long)\n"
        let copyLine = "2\tkey \(Self.key) here\n\\.\n"
        let insert = "INSERT INTO public.t (id, note) VALUES (3,\n  'x', 4,\n  'key \(Self.key)');\n"
        let free = "COMMENT ON TABLE public.t IS 'see \(Self.key)';\n"
        let text = head + copyLine + insert + free
        let bytes = Array(text.utf8)
        func offset(of needle: String, after: Int) -> Int {
            let n = Array(needle.utf8)
            return (after...(bytes.count - n.count)).first { bytes[$0..<($0 + n.count)].elementsEqual(n) }!
        }
        let copyAt = offset(of: Self.key, after: 0)
        let insertValueAt = offset(of: Self.key, after: copyAt + 1)
        let freeAt = offset(of: Self.key, after: insertValueAt + 1)
        // fed in 1 MiB chunks, as DumpScan reads
        var s = SecretScanner()
        for chunk in stride(from: 0, to: bytes.count, by: 1 << 20) { try s.feed(Array(bytes[chunk..<min(chunk + (1 << 20), bytes.count)])) }
        let report = try s.finish()
        let found = report.findings.filter { $0.rule == "aws_access_key_id" }.sorted { $0.byteOffset < $1.byteOffset }
        #expect(found.map(\.byteOffset) == [copyAt, insertValueAt, freeAt], "\(found)")
        #expect(found.map(\.line) == [4, 8, 9], "\(found)")
        #expect(found.allSatisfy { !$0.inRendering && !$0.location.contains("rendering") })
        // the same text as pg_restore's rendering of an archive says so
        let rendered = try scan(text, rendered: true).findings.filter { $0.rule == "aws_access_key_id" }
        #expect(rendered.map(\.byteOffset).sorted() == [copyAt, insertValueAt, freeAt])
        #expect(rendered.allSatisfy { $0.location.hasSuffix("of pg_restore's rendering") })
    }
    /// An `E` that ends a word does not open an escape string (`name'\'` is
    /// the type `name` and a standard string holding a backslash): read as
    /// an E-string, the scanner lost the string boundaries and the password
    /// in the next tuple went unscanned (red team D-F4).
    @Test func aTypedLiteralEndingInEDoesNotHideTheNextValue() throws {
        let report = try scan("CREATE TABLE public.u2 (id integer, password_hash text);\nINSERT INTO public.u2 VALUES (1, name'\\'), (2, 'hunter3hunter3') --';\n")
        #expect(report.findings.contains { $0.rule == "sensitive_column" }, "\(report.findings)")
        // A real E-string still escapes its quote: no finding from a value that is not one.
        let escaped = try scan("CREATE TABLE public.u3 (id integer, note text);\nINSERT INTO public.u3 VALUES (1, E'a\\'b');\n")
        #expect(escaped.findings.isEmpty, "\(escaped.findings)")
    }

    /// A dump in a client encoding whose characters can end in a byte that
    /// reads as a backslash (SJIS, BIG5, GBK, UHC, GB18030, …) is refused
    /// (exit 3) before anything is restored, never scanned byte-wise and
    /// declared secret-free (red team D-F6); UTF8 and LATIN1 are scanned.
    /// The ways a dump can name its client encoding (the review of session 4
    /// got past a check on pg_dump's own spelling only).
    static func spelling(_ encoding: String) -> String {
        switch encoding {
        case "gbk": return "SET client_encoding TO gbk;"
        case "UHC": return "  SET NAMES 'UHC';"
        case "GB18030": return "SET client_encoding\n  = 'GB18030';"
        case "s.jis": return "SELECT pg_catalog.set_config('client_encoding', 's.jis', false);"
        case "JOHAB": return "SET SESSION client_encoding = 'JOHAB'; -- " + String(repeating: "x", count: 300)
        default: return "SET client_encoding = '\(encoding)';"
        }
    }

    @Test(arguments: ["SJIS", "Shift_JIS_2004", "BIG5", "gbk", "UHC", "GB18030", "JOHAB", "s.jis"])
    func anEncodingTheScanCannotReadIsRefused(encoding: String) throws {
        do {
            _ = try scan(Self.spelling(encoding) + "\nCREATE TABLE public.t (id integer);\n")
            Issue.record("\(encoding) was scanned")
        } catch let error as RehearseError {
            #expect(error.code.exitStatus == 3)
            #expect(error.message.contains("--encoding=UTF8") && error.message.contains("Nothing was restored"), "\(error.message)")
        }
        #expect(try scan("SET client_encoding = 'UTF8';\nSET client_encoding = 'LATIN1';\n").findings.isEmpty)
    }
}

/// The same in a real custom dump: a secret after a row longer than the read
/// buffer is placed at its byte in pg_restore's rendering.
@Suite(.serialized, .enabled(if: PostgresServer.found(), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"))
struct SecretScanRenderedOffsetTests {
    @Test func aCustomDumpsFindingIsPlacedInItsRendering() throws {
        let db = try TestPostgres.database()
        defer { db.drop() }
        let key = SecretScanEscapeTests.key
        try TestPostgres.connect(db.name).execute("""
            CREATE TABLE public.t (id integer, note text);
            INSERT INTO public.t VALUES (1, repeat('x', 3 * 1024 * 1024)), (2, 'key \(key) here');
            """)
        let dir = TempDir()
        let dump = dir.file("t.custom")
        try DumpFixtures.pgDump(database: db.name, ["-F", "c", "-f", dump.path])
        let outcome = try DumpScanCommand.run(dump: dump.path, allowlist: .none, bindir: nil)
        let found = outcome.report.findings.filter { $0.rule == "aws_access_key_id" }
        #expect(found.count == 1, "\(outcome.report.findings)")
        // render it as the scan does (ArchiveTools.render's options), and look the value up there
        let text = dir.file("rendered.sql")
        let bindir = try PostgresCluster.locateBinaries()
        let p = Process()
        p.executableURL = bindir.appendingPathComponent("pg_restore")
        p.arguments = ["--format=custom", "--file=\(text.path)"] + ArchiveTools.restoreOptions + ["--", dump.path]
        p.environment = ["PATH": "/usr/bin:/bin"]
        try p.run()
        p.waitUntilExit()
        let bytes = Array(try Data(contentsOf: text))
        let needle = Array(key.utf8)
        let at = (0...(bytes.count - needle.count)).first { bytes[$0] == needle[0] && bytes[$0..<($0 + needle.count)].elementsEqual(needle) }
        #expect(found.first?.byteOffset == at, "the key's own byte in the rendering")
        #expect(found.first?.location.hasSuffix("of pg_restore's rendering") == true)
        #expect(!outcome.report.findings.map(\.location).joined().contains(key))
    }

}
