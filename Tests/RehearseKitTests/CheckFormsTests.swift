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

/// The CHECK forms of real schemas (issue 12: gitlab's structure.sql has
/// 2,279 CHECKs: char_length and octet_length bounds, jsonb_typeof,
/// num_nonnulls, NOT VALID `IS NOT NULL`, regular expressions, date_trunc,
/// cardinality, COALESCE) are read, and a CHECK that is not read leaves its
/// columns to NULL or their DEFAULT, or is refused.
@Suite struct CheckFormsTests {
    @Test func theFormsAreRead() {
        let a = CheckDomains.analyse([
            "((jsonb_typeof(meta) = 'object'::text))",
            "((char_length((title)::text) <= 4))",
            "(((digest IS NULL) OR (octet_length(digest) = 20)))",
            "((num_nonnulls(a, b) = 1))",
            "((num_nulls(c, d) > 0))",
            "(((e IS NULL) <> (f IS NULL)))",
            "((must IS NOT NULL))",
            "((version ~ '^[0-9]{14}$'::text))",
            "((label !~ '^[a-m]'::text))",
            "((month = date_trunc('month'::text, (month)::timestamp with time zone)))",
            "((cardinality(ids) > 0))",
            "(((length(TRIM(BOTH FROM reason)) >= 1) AND (length(TRIM(BOTH FROM reason)) <= 10)))",
            "(((COALESCE(name, ''::text) <> ''::text) OR (COALESCE(email, ''::text) <> ''::text)))",
            "((old_id <> new_id))",
            "((odd ~~ 'x%'::text))",
        ])
        #expect(a.domains["meta"]?.jsonType == "object")
        #expect(a.domains["title"]?.maxLength == 4)
        #expect(a.domains["digest"]?.minBytes == 20 && a.domains["digest"]?.maxBytes == 20)
        #expect(a.domains["version"]?.pattern == RegexText("^[0-9]{14}$"))
        #expect(a.domains["label"]?.forbidden == ["^[a-m]"])
        #expect(a.domains["month"]?.truncated == "month")
        #expect(a.domains["ids"]?.minCardinality == 1)
        #expect(a.domains["reason"]?.trimmed == true && a.domains["reason"]?.maxLength == 10)
        #expect(a.domains["old_id"]?.differsFrom == ["new_id"])
        #expect(a.presence.map { "\($0.columns) \($0.lo)...\($0.hi)" } == [
            "[\"a\", \"b\"] 1...1", "[\"c\", \"d\"] 0...1", "[\"e\", \"f\"] 1...1", "[\"must\"] 1...1", "[\"name\"] 1...1",
        ])
        #expect(a.domains["name"]?.excluded == [.text("")])
        // Only the LIKE (~~) is left unread.
        #expect(a.unread == ["((odd ~~ 'x%'::text))"])
    }

    @Test func aSimpleRegularExpressionGivesMatchingText() throws {
        let regex = try #require(RegexText("^v[0-9]{3}-[a-c]+$"))
        let rng = CounterRandom(seed: 1, table: "t", column: "c")
        let re = try NSRegularExpression(pattern: "^v[0-9]{3}-[a-c]+$")
        for row in 0..<200 {
            let s = regex.value(rng, row: Int64(row), unique: nil)
            #expect(re.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil, "\(s)")
        }
        #expect(RegexText("^(a|b)$") == nil)
        #expect(RegexText("[^a]") == nil)
    }

    /// Every form on a real server: the rows load (the server checks each
    /// CHECK on every row) and the birth, a SELECT that divides by zero
    /// unless the rows are as the forms say, passes: the no-op PASSes.
    @Test(// Skipped where the PostgreSQL server is not installed.
          .enabled(if: PostgresServer.found(.test), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"))
    func everyFormHoldsOnTheServerAndTheNoOpPasses() throws {
        let dir = TempDir()
        let url = shapedSurrogate(dir, schema: """
            CREATE TABLE parent (id bigint PRIMARY KEY);
            CREATE TABLE t (
                id bigint PRIMARY KEY,
                meta jsonb NOT NULL CHECK (jsonb_typeof(meta) = 'object'),
                tags jsonb CHECK (jsonb_typeof(tags) = 'array'),
                title text NOT NULL CHECK (char_length(title) <= 4),
                digest bytea CHECK ((digest IS NULL) OR (octet_length(digest) = 20)),
                note text NOT NULL CHECK (octet_length(note) <= 6),
                a bigint, b bigint, CHECK (num_nonnulls(a, b) = 1),
                c text, d text, CHECK ((c IS NULL) <> (d IS NULL)),
                must text,
                version text NOT NULL CHECK (version ~ '^[0-9]{14}$'),
                label text NOT NULL CHECK (label !~ '^[a-m]'),
                month date NOT NULL CHECK (month = date_trunc('month', month::timestamptz)),
                ids bigint[] NOT NULL DEFAULT '{}',
                reason text NOT NULL CHECK (length(TRIM(BOTH FROM reason)) >= 1 AND length(TRIM(BOTH FROM reason)) <= 10),
                name text, email text, CHECK (COALESCE(name, '') <> '' OR COALESCE(email, '') <> ''),
                old_id bigint NOT NULL REFERENCES parent, new_id bigint NOT NULL REFERENCES parent, CHECK (old_id <> new_id),
                odd text CHECK (odd SIMILAR TO 'x%'),
                flag integer NOT NULL DEFAULT 7 CHECK (flag % 7 = 0)
            );
            ALTER TABLE t ADD CONSTRAINT must_set CHECK (must IS NOT NULL) NOT VALID;
            ALTER TABLE t ADD CONSTRAINT ids_set CHECK (cardinality(ids) > 0) NOT VALID;
            """, profile: "tables:\n  parent: { rows: 5 }\n  t: { rows: 60 }\n")
        dir.write("s/birth.sql", """
            SELECT 1 / (count(*) = 60 AND count(a) + count(b) = 60 AND count(must) = 60 AND count(meta) = 60
                        AND bool_and(flag = 7) AND bool_and(odd IS NULL) AND bool_and(cardinality(ids) BETWEEN 1 AND 3)
                        AND bool_and(extract(day FROM month) = 1) AND count(DISTINCT month) > 1
                        AND count(DISTINCT version) > 50 AND bool_and(old_id <> new_id) AND count(DISTINCT old_id) > 1
                        AND bool_and(COALESCE(name, '') <> '' OR COALESCE(email, '') <> ''))::int FROM t;

            """)
        let result = try rehearsePostgres(url, in: dir)
        #expect(result.record.failure == nil, "\(String(describing: result.record.failure))")
        #expect(result.record.verdict == .pass)
        #expect(result.validation.isValid, "\(result.validation.findings)")
    }

    /// A CHECK the generator does not read, on a NOT NULL column without a
    /// DEFAULT, is refused before any row is written, naming the table, the
    /// column and the CHECK, with exit status 2.
    @Test func anUnreadCheckOnANotNullColumnWithoutDefaultIsRefused() throws {
        let dir = TempDir()
        let url = shapedSurrogate(dir, schema: "CREATE TABLE t (id INTEGER PRIMARY KEY, code TEXT NOT NULL CHECK (code GLOB 'A*'));\n",
                                  profile: "tables:\n  t: { rows: 10 }\n")
        do {
            _ = try SurrogateGenerator.generate(SurrogateSource(directory: url), to: dir.file("g.sqlite"))
            Issue.record("accepted")
        } catch let e as RehearseError {
            #expect(e.code == .badInput && e.code.exitStatus == 2)
            #expect(e.message.contains("table t, column code: CHECK (code GLOB 'A*') is a form the generator does not read"), "\(e.message)")
            #expect(e.message.contains("tables:\n    t:\n      columns:\n        code: { generator:"), "\(e.message)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.file("g.sqlite").path))
        // With a generator in the profile it is the user's to meet, and it is met.
        let fixed = shapedSurrogate(dir, schema: "CREATE TABLE t (id INTEGER PRIMARY KEY, code TEXT NOT NULL CHECK (code GLOB 'A*'));\n",
                                    profile: "tables:\n  t:\n    rows: 10\n    columns:\n      code: { generator: constant, value: 'Abc' }\n", name: "fixed")
        _ = try SurrogateGenerator.generate(SurrogateSource(directory: fixed), to: dir.file("h.sqlite"))
    }

    /// The same CHECK on a nullable column: NULL satisfies it, so the rows are NULL there.
    @Test func anUnreadCheckOnANullableColumnGivesNull() throws {
        let dir = TempDir()
        let db = try generateShaped(dir, schema: "CREATE TABLE t (id INTEGER PRIMARY KEY, code TEXT CHECK (code GLOB 'A*'));\n",
                                    profile: "tables:\n  t: { rows: 10 }\n")
        #expect(try db.int("SELECT count(*) FROM t") == 10)
        #expect(try db.int("SELECT count(code) FROM t") == 0)
    }
}
