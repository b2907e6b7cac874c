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

/// Issue 12 §2: `rehearse profile --pg-url` learns every type-level fact
/// (partitions, domains, enums, arrays, ranges, lengths, foreign keys on
/// partitions, distinct counts of key columns) and no values; profile →
/// generate → rehearse a no-op needs no edit, and the fidelity report
/// covers the new facts.
@Suite(.serialized,
       // Skipped where the PostgreSQL server is not installed (one line at the end of the run counts them).
       .enabled(if: PostgresServer.found(), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)")) struct PostgresProfileTypesTests {
    static let schema = """
        CREATE TYPE mpaa AS ENUM ('G', 'PG', 'PG-13', 'R', 'NC-17');
        CREATE DOMAIN year AS integer CONSTRAINT year_check CHECK (VALUE >= 1901 AND VALUE <= 2155);
        CREATE SEQUENCE film_ids;
        CREATE TABLE film (
          film_id integer NOT NULL DEFAULT nextval('film_ids') PRIMARY KEY,
          title varchar(12) NOT NULL,
          release_year year,
          rating mpaa DEFAULT 'G',
          features text[],
          length smallint,
          price numeric(4, 2) NOT NULL,
          showing tstzrange
        );
        CREATE TABLE payment (
          payment_id integer NOT NULL,
          film_id integer NOT NULL,
          customer_id integer NOT NULL,
          amount numeric(5, 2) NOT NULL,
          payment_date timestamptz NOT NULL,
          PRIMARY KEY (payment_date, payment_id)
        ) PARTITION BY RANGE (payment_date);
        CREATE TABLE payment_p2022_01 PARTITION OF payment FOR VALUES FROM ('2022-01-01 00:00:00+00') TO ('2022-02-01 00:00:00+00');
        CREATE TABLE payment_p2022_02 PARTITION OF payment FOR VALUES FROM ('2022-02-01 00:00:00+00') TO ('2022-03-01 00:00:00+00');
        CREATE TABLE payment_p2022_03 PARTITION OF payment FOR VALUES FROM ('2022-03-01 00:00:00+00') TO ('2022-04-01 00:00:00+00');
        ALTER TABLE payment_p2022_01 ADD CONSTRAINT p1_film FOREIGN KEY (film_id) REFERENCES film (film_id);
        ALTER TABLE payment_p2022_02 ADD CONSTRAINT p2_film FOREIGN KEY (film_id) REFERENCES film (film_id);
        ALTER TABLE payment_p2022_03 ADD CONSTRAINT p3_film FOREIGN KEY (film_id) REFERENCES film (film_id);
        """

    /// Real-shaped rows in the source: a key column with 1,600 distinct values in 2,000 rows.
    static let data = """
        INSERT INTO film (title, release_year, rating, features, length, price, showing)
        SELECT 'Film ' || g, 1990 + g % 30, (ARRAY['G','PG','PG-13','R','NC-17'])[1 + g % 5]::mpaa,
               ARRAY['Trailers', 'Commentaries'], 46 + g % 140, 0.99 + (g % 5), tstzrange(now(), now() + interval '1 day')
        FROM generate_series(1, 200) g;
        INSERT INTO payment (payment_id, film_id, customer_id, amount, payment_date)
        SELECT g, 1 + g % 200, 1 + g % 1600, 0.99 + g % 10, timestamptz '2022-01-01 00:00:00+00' + (g % 89) * interval '1 day'
        FROM generate_series(1, 2000) g;
        """

    @Test func profileGenerateAndRehearseNeedNoEdit() throws {
        let dir = TempDir()
        let (source, dropSource) = try TestPostgres.database()
        defer { dropSource() }
        let src = try TestPostgres.connect(source)
        for statement in PostgresScript.statements(of: Self.schema + Self.data) {
            try src.executeStatement(statement.sql)
        }
        let server = try PostgresServerAddress(parsing: try TestPostgres.url.replacingOccurrences(of: "dbname=postgres", with: "dbname=\(source)"))
        let tables = try PostgresProfiler.learn(server: server)
        let yaml = LearnedProfile.yaml(tables, source: source)
        // Type facts and counts, never a value: no title, no amount, no date from the source.
        #expect(yaml.contains("type: \"public.year\""), "\(yaml)")
        #expect(yaml.contains("partitions: 3, partitions_with_rows: 3"), "\(yaml)")
        #expect(yaml.contains("distinct: 1600, observed"), "\(yaml)")
        // A key column's distinct count is learned too (payment_date is the partition key).
        #expect(yaml.contains("\"payment_date\": { distinct: 89"), "\(yaml)")
        #expect(yaml.contains(#"type_detail: "enum public.mpaa ('G', 'PG', 'PG-13', 'R', 'NC-17')""#), "\(yaml)")
        #expect(yaml.contains(#"type_detail: "domain public.year over int4 CHECK (((VALUE >= 1901) AND (VALUE <= 2155)))""#), "\(yaml)")
        #expect(yaml.contains(#"type_detail: "array of text""#) && yaml.contains(#"type_detail: "numeric(4,2)""#), "\(yaml)")
        #expect(!yaml.contains("Film 1") && !yaml.contains("2022-") && !yaml.contains("Trailers"), "\(yaml)")

        let url = dir.file("learned")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for (name, text) in ["manifest.yaml": "name: learned\nschema: schema.sql\nprofile: profile.yaml\nbirth: birth.sql\nrollback: rollback.sql\nseed: 3\n",
                             "schema.sql": Self.schema, "profile.yaml": yaml,
                             "birth.sql": "SELECT count(*) FROM payment;\n", "rollback.sql": "SELECT 1;\n"] {
            try text.write(to: url.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        let (target, dropTarget) = try TestPostgres.database()
        defer { dropTarget() }
        let into = try PostgresServerAddress(parsing: try TestPostgres.url.replacingOccurrences(of: "dbname=postgres", with: "dbname=\(target)"))
        let record = try SurrogateGenerator.generate(try SurrogateSource(directory: url), into: into, jobs: 2)
        let fidelity = try PostgresFidelity.measure(server: into, profile: try SurrogateSource(directory: url).loadProfile(dialect: "postgres"),
                                                    rows: record.rowsPerTable)
        for row in fidelity where !row.withinTolerance {
            Issue.record("\(row.subject) \(row.metric): profile \(row.target), achieved \(row.achieved) (\(row.tolerance))")
        }
        #expect(fidelity.contains { $0.metric == "type" && $0.subject == "film.release_year" })
        #expect(fidelity.contains { $0.metric == "partitions with rows" })
        #expect(fidelity.contains { $0.metric == "sequence past loaded" && $0.subject == "film_ids" })
        #expect(fidelity.contains { $0.metric == "distinct" && $0.subject == "payment.payment_date" && $0.achieved == "89" })
        // The sequence no column owns is past the loaded keys: a plain INSERT works.
        try TestPostgres.connect(target).execute("INSERT INTO film (title, price) VALUES ('new', 1)")

        // A schema file whose enum lost a label is not what was profiled: the report says so.
        let (drifted, dropDrifted) = try TestPostgres.database()
        defer { dropDrifted() }
        try Self.schema.replacingOccurrences(of: ", 'NC-17'", with: "").write(to: url.appendingPathComponent("schema.sql"), atomically: true, encoding: .utf8)
        let other = try PostgresServerAddress(parsing: try TestPostgres.url.replacingOccurrences(of: "dbname=postgres", with: "dbname=\(drifted)"))
        let otherRecord = try SurrogateGenerator.generate(try SurrogateSource(directory: url), into: other, jobs: 1)
        let flagged = try PostgresFidelity.measure(server: other, profile: try SurrogateSource(directory: url).loadProfile(dialect: "postgres"),
                                                   rows: otherRecord.rowsPerTable).filter { !$0.withinTolerance }
        #expect(flagged.map { "\($0.subject) \($0.metric)" } == ["film.rating type facts"], "\(flagged)")
        try Self.schema.write(to: url.appendingPathComponent("schema.sql"), atomically: true, encoding: .utf8)

        let result = try rehearsePostgres(url, in: dir)
        #expect(result.validation.verdict == .pass, "\(result.validation.verdict)")
    }
}
