import Foundation
import Testing
@testable import RehearseCore
@testable import RehearseSurrogate

/// Under HOLD_REAL_DATA a surrogate's schema carries no rows, also not as
/// literals in a view, a materialized view or a set-returning function
/// (attack-15 L1): refused with exit 3 naming the object, the file and the
/// line. Real schemas and migration directories are not refused by it.
@Suite struct SchemaLiteralRowsTests {
    static let refused: [(sql: String, object: String)] = [
        ("CREATE VIEW realrows(id, email, cc) AS VALUES (1, 'alice@corp.example', '4111111111111111'), (2, 'bob@corp.example', '4012888888881881');", "realrows"),
        ("CREATE VIEW public.v AS SELECT * FROM (VALUES ('real@x.com', 1)) AS t(email, n);", "public.v"),
        ("CREATE OR REPLACE VIEW public.v AS SELECT 'alice@corp.example' AS email UNION ALL SELECT 'bob@corp.example';", "public.v"),
        ("CREATE VIEW v AS SELECT email FROM customers UNION ALL SELECT 'carol@corp.example';", "v"),
        ("CREATE VIEW v AS WITH r(e) AS (VALUES ('a@x.com')) SELECT e FROM r;", "v"),
        ("CREATE VIEW v AS SELECT * FROM (SELECT 'a@x.com' AS e UNION ALL SELECT 'b@x.com') s;", "v"),
        ("CREATE TEMP RECURSIVE VIEW v (n) AS SELECT 4111111111111111;", "v"),
        ("CREATE VIEW v AS SELECT 'alice@corp.example' AS e FROM generate_series(1, 1) UNION ALL SELECT 'bob@corp.example' FROM pg_catalog.generate_series(1, 1) g;", "v"),
        ("CREATE VIEW v AS SELECT 'alice@corp.example' AS e FROM generate_series(1, 1) a, LATERAL unnest(ARRAY[1]) b;", "v"),
        ("CREATE MATERIALIZED VIEW public.mv AS SELECT email FROM customers UNION ALL SELECT 'dave@corp.example' WITH DATA;", "public.mv"),
        ("CREATE FUNCTION public.people() RETURNS SETOF text LANGUAGE sql AS $$ VALUES ('alice@corp.example'), ('bob@corp.example') $$;", "public.people"),
        ("CREATE FUNCTION people() RETURNS TABLE (email text) LANGUAGE plpgsql AS $f$ BEGIN RETURN QUERY SELECT 'alice@corp.example'; END $f$;", "people"),
        ("CREATE FUNCTION people() RETURNS SETOF text LANGUAGE sql AS 'SELECT ''alice@corp.example'' UNION ALL SELECT ''bob@corp.example''';", "people"),
    ]

    @Test func literalRowsInAViewOrFunctionAreRefusedNamingTheObject() throws {
        for (sql, object) in Self.refused {
            let text = "CREATE TABLE customers (id integer, email text);\n\n" + sql + "\n"
            let schema = SQLScript(displayPath: "schema.sql", url: URL(fileURLWithPath: "/schema.sql"), text: text, sha256: "")
            let e = #expect(throws: RehearseError.self, "\(sql)") { try SchemaDataGuard.check(schema, dialect: .postgres) }
            #expect(e?.code.exitStatus == 3, "\(sql)")
            #expect(e?.message.hasPrefix("schema.sql:3:1: ") == true, "\(e?.message ?? "")")
            #expect(e?.message.contains(" \(object) ") == true, "\(object): \(e?.message ?? "")")
            #expect(e?.message.contains("not derived from the generated tables") == true, "\(e?.message ?? "")")
            #expect(e?.message.contains("@corp.example") == false && e?.message.contains("@x.com") == false && e?.message.contains("4111") == false,
                    "the refusal never shows the values: \(e?.message ?? "")")
        }
        // SQLite's views too
        let sqlite = SQLScript(displayPath: "schema.sql", url: URL(fileURLWithPath: "/schema.sql"),
                               text: "CREATE TABLE t (a TEXT);\nCREATE VIEW v AS SELECT 'a@x.com' UNION ALL SELECT 'b@x.com';\n", sha256: "")
        let e = #expect(throws: RehearseError.self) { try SchemaDataGuard.check(sqlite, dialect: .sqlite) }
        #expect(e?.message.hasPrefix("schema.sql:2:1: CREATE VIEW v yields rows written in the schema") == true, "\(e?.message ?? "")")
    }

    @Test(arguments: [
        "CREATE VIEW v AS SELECT id, 'active' AS status FROM customers WHERE email <> '' AND id > 10;",
        "CREATE VIEW v AS SELECT c.id, (SELECT 'x') AS k, coalesce(c.email, 'none') FROM customers c WHERE c.id IN (SELECT 1);",
        "CREATE VIEW v AS SELECT NULL::text AS e WHERE false;",
        "CREATE VIEW v AS SELECT now() AS t;",
        "CREATE VIEW v AS SELECT 'day' AS unit, d FROM generate_series(1, 7) d JOIN customers c ON c.id = d;",
        "CREATE VIEW v AS SELECT d::date FROM generate_series('2020-01-01'::date, '2020-12-31'::date, '1 day') d;",
        "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO log VALUES (NEW.id, 'x'); RETURN NEW; END $$;",
        "CREATE FUNCTION f(n int) RETURNS SETOF customers LANGUAGE sql AS $$ SELECT * FROM customers WHERE id > $1 $$;",
        "CREATE FUNCTION f() RETURNS SETOF integer LANGUAGE plpgsql AS $$ DECLARE x int; BEGIN SELECT 1 INTO x; RETURN QUERY SELECT id FROM customers; END $$;",
        "CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $$ SELECT 'constant' $$;",
    ])
    func structureWithLiteralsIsNotRefused(_ sql: String) {
        for statement in PostgresScript.statements(of: sql) {
            #expect(SchemaDataGuard.refusal(statement.sql) == nil, "\(statement.sql)")
        }
    }

    /// No statement of the shared corpus is refused by the literal-row rule:
    /// gitlab's structure.sql (14 views, a set-returning function) and every
    /// .sql file of the six migration directories (views and 47 files with
    /// set-returning functions among them).
    @Test func realSchemasAndMigrationsHaveNoLiteralRowRefusal() throws {
        let shared = Repo.root.deletingLastPathComponent().appendingPathComponent("shared/data")
        let gitlab = try SQLScript(url: shared.appendingPathComponent("schemas/gitlab/structure.sql"), displayPath: "structure.sql")
        try SchemaDataGuard.check(gitlab, dialect: .postgres)
        var files = 0, statements = 0, views = 0
        var flagged: [String] = []
        let root = shared.appendingPathComponent("migrations")
        let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
        while let url = walker?.nextObject() as? URL {
            guard url.pathExtension == "sql", let text = try? String(contentsOf: url, encoding: .utf8) else { continue }
            files += 1
            for statement in PostgresScript.statements(of: text) {
                statements += 1
                let upper = statement.sql.uppercased()
                if upper.contains(" VIEW ") || upper.contains("RETURNS SETOF") || upper.contains("RETURNS TABLE") { views += 1 }
                if let why = SchemaDataGuard.refusal(statement.sql), why.contains("not derived from the generated tables") {
                    flagged.append("\(url.lastPathComponent): \(why)")
                }
            }
        }
        #expect(files > 3000 && views > 50, "\(files) files, \(views) views or set-returning functions")
        #expect(flagged.isEmpty, "\(flagged)")
    }
}
