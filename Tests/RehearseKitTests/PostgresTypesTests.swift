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

/// Issue 11 §4 and issue 12 §2: a PostgreSQL column's default generator
/// comes from its catalog type, on the real server, with no profile entry.
@Suite(.serialized,
       // Skipped where the PostgreSQL server is not installed (one line at the end of the run counts them).
       .enabled(if: PostgresServer.found(), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)")) struct PostgresTypesTests {
    /// One column of every type the generator covers, and of arrays,
    /// domains (with CHECKs), enums and ranges of them; partitions by range
    /// and by list; a sequence no column owns.
    static let everyType = """
        CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
        CREATE DOMAIN year AS integer CONSTRAINT year_check CHECK (VALUE >= 1901 AND VALUE <= 2155);
        CREATE DOMAIN short_code AS varchar(6) CHECK (length(VALUE) >= 2);
        CREATE DOMAIN rating AS numeric(3, 1) CHECK (VALUE BETWEEN 0 AND 10);
        CREATE TYPE floatrange AS RANGE (subtype = float8);
        CREATE SEQUENCE shared_ids;
        CREATE TABLE everything (
          id uuid PRIMARY KEY,
          code varchar(4) NOT NULL UNIQUE,
          initials char(2),
          label character varying(3),
          amount numeric(5, 2) NOT NULL,
          ratio numeric(4, 4),
          big numeric(20, 0),
          tiny smallint NOT NULL,
          medium integer,
          large bigint,
          flag boolean NOT NULL,
          born date,
          alarm time,
          alarm_tz timetz,
          stamp timestamp,
          stamp_tz timestamptz,
          took interval,
          doc json,
          docb jsonb NOT NULL,
          raw bytea,
          addr inet,
          net cidr,
          mac macaddr,
          mac8 macaddr8,
          bits bit(5),
          vbits varbit(12),
          price money,
          search tsvector,
          during tsrange,
          during_tz tstzrange,
          days daterange,
          ints int4range,
          bigs int8range,
          nums numrange,
          floats floatrange,
          feeling mood NOT NULL,
          made year NOT NULL,
          short short_code,
          score rating,
          tags text[],
          moods mood[],
          codes varchar(3)[],
          grid integer[][],
          stamps timestamptz[],
          ids uuid[],
          spans int4range[],
          location point,
          num_plain numeric,
          rl real,
          dbl double precision,
          name_col name,
          lsn pg_lsn,
          x xml,
          q tsquery,
          email varchar(8),
          shared bigint NOT NULL DEFAULT nextval('shared_ids')
        );
        CREATE TABLE measurements (
          id bigint NOT NULL,
          logdate date NOT NULL,
          peak integer,
          PRIMARY KEY (id, logdate)
        ) PARTITION BY RANGE (logdate);
        CREATE TABLE measurements_2006 PARTITION OF measurements FOR VALUES FROM ('2006-01-01') TO ('2007-01-01');
        CREATE TABLE measurements_2007 PARTITION OF measurements FOR VALUES FROM ('2007-01-01') TO ('2008-01-01');
        CREATE TABLE by_region (
          id integer NOT NULL,
          region text NOT NULL,
          everything_id uuid
        ) PARTITION BY LIST (region);
        CREATE TABLE by_region_eu PARTITION OF by_region FOR VALUES IN ('eu', 'uk');
        CREATE TABLE by_region_us PARTITION OF by_region FOR VALUES IN ('us');
        ALTER TABLE by_region_eu ADD FOREIGN KEY (everything_id) REFERENCES everything (id);
        CREATE TABLE by_stamp (
          at timestamptz NOT NULL,
          n int4 NOT NULL DEFAULT nextval('shared_ids')
        ) PARTITION BY RANGE (at);
        CREATE TABLE by_stamp_a PARTITION OF by_stamp FOR VALUES FROM (MINVALUE) TO ('2001-01-01 00:00:00+00');
        CREATE TABLE by_stamp_b PARTITION OF by_stamp FOR VALUES FROM ('2001-01-01 00:00:00+00') TO ('2001-02-01 00:00:00+00');
        CREATE TABLE sales (region text NOT NULL, sold date NOT NULL, qty int2 NOT NULL) PARTITION BY LIST (region);
        CREATE TABLE sales_eu PARTITION OF sales FOR VALUES IN ('eu') PARTITION BY RANGE (sold);
        CREATE TABLE sales_eu_2020 PARTITION OF sales_eu FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
        CREATE TABLE sales_eu_2021 PARTITION OF sales_eu FOR VALUES FROM ('2021-01-01') TO ('2022-01-01');
        CREATE TABLE sales_us PARTITION OF sales FOR VALUES IN ('us') PARTITION BY HASH (qty);
        CREATE TABLE sales_us_0 PARTITION OF sales_us FOR VALUES WITH (modulus 2, remainder 0);
        CREATE TABLE sales_us_1 PARTITION OF sales_us FOR VALUES WITH (modulus 2, remainder 1);
        CREATE TABLE sales_ap PARTITION OF sales FOR VALUES IN ('ap') PARTITION BY RANGE (sold);
        """

    static func surrogate(in dir: TempDir, schema: String, profile: String = "tables: {}\n", rows: Int = 300) throws -> URL {
        let url = dir.file("typed")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        let files = ["manifest.yaml": "name: typed\nschema: schema.sql\nprofile: profile.yaml\nbirth: birth.sql\nrollback: rollback.sql\nseed: 7\n",
                     "schema.sql": schema, "profile.yaml": "default_rows: \(rows)\n" + profile,
                     "birth.sql": "SELECT 1;\n", "rollback.sql": "SELECT 1;\n"]
        for (name, text) in files { try text.write(to: url.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        return url
    }

    /// Loads `url` into a fresh database; returns a connection and the dropper.
    static func load(_ url: URL, seed: UInt64 = 7, jobs: Int = 2) throws -> (PGConnection, () -> Void) {
        let (name, drop) = try TestPostgres.database()
        do {
            var loader = PostgresSurrogateLoader(source: try SurrogateSource(directory: url), seed: seed, scale: 1, progress: nil)
            loader.jobs = jobs
            _ = try loader.load(connect: { try TestPostgres.connect(name) })
            return (try TestPostgres.connect(name), drop)
        } catch {
            drop()
            throw error
        }
    }

    @Test func everyTypeLoadsWithoutAProfileEntry() throws {
        let dir = TempDir()
        let url = try Self.surrogate(in: dir, schema: Self.everyType)
        let (db, drop) = try Self.load(url)
        defer { drop() }
        #expect(try db.scalar("SELECT count(*) FROM everything") == "300")
        #expect(try db.scalar("SELECT count(*) FROM measurements") == "300")
        #expect(try db.scalar("SELECT count(*) FROM by_region") == "300")
        // Enum labels from the catalog, all of them used.
        #expect(try db.scalar("SELECT string_agg(DISTINCT feeling::text, ',' ORDER BY feeling::text) FROM everything") == "happy,ok,sad")
        // The domain's CHECK holds (it is enforced; the load would have failed).
        #expect(try db.scalar("SELECT bool_and(made BETWEEN 1901 AND 2155)::text FROM everything") == "true")
        // Lengths: varchar(4) unique stays within 4 and distinct.
        #expect(try db.scalar("SELECT (max(length(code)) <= 4 AND count(DISTINCT code) = 300)::text FROM everything") == "true")
        // Both range partitions and both list partitions get rows.
        #expect(try db.scalar("SELECT count(*) FROM measurements_2006") != "0")
        #expect(try db.scalar("SELECT count(*) FROM measurements_2007") != "0")
        #expect(try db.scalar("SELECT count(*) FROM by_region_us") != "0")
        #expect(try db.scalar("SELECT count(*) FROM by_stamp_b") != "0")
        // Two levels: every leaf that can hold rows gets some; 'ap' has no partition and gets none.
        for leaf in ["sales_eu_2020", "sales_eu_2021", "sales_us_0", "sales_us_1"] {
            #expect(try db.scalar("SELECT count(*) FROM \(leaf)") != "0", "\(leaf)")
        }
        // The foreign key declared only on a partition holds and is used.
        #expect(try db.scalar("SELECT count(*) FROM by_region_eu r JOIN everything e ON e.id = r.everything_id") != "0")
        // Arrays, ranges and json are what their types say.
        #expect(try db.scalar("SELECT count(*) FROM everything WHERE cardinality(tags) > 0") != "0")
        // (A nullable column gets the edge-case mix's NULLs: the non-NULL ranges are all proper.)
        #expect(try db.scalar("SELECT count(*) FROM everything WHERE during IS NOT NULL AND NOT (NOT isempty(during) AND lower(during) < upper(during))") == "0")
        #expect(try db.scalar("SELECT (count(during) > 200)::text FROM everything") == "true")
        #expect(try db.scalar("SELECT count(DISTINCT jsonb_typeof(docb)) FROM everything") == "3")
        // A sequence no column owns, used by two tables' defaults, is past every loaded value.
        let next = Int64(try db.scalar("SELECT nextval('shared_ids')") ?? "0") ?? 0
        let loaded = Int64(try db.scalar("SELECT greatest((SELECT max(shared) FROM everything), (SELECT max(n) FROM by_stamp))") ?? "0") ?? 0
        #expect(next > loaded)
    }

    @Test func typedValuesAreTheSameForAnyJobs() throws {
        let dir = TempDir()
        let url = try Self.surrogate(in: dir, schema: Self.everyType, rows: 200)
        func digest(_ jobs: Int) throws -> String {
            let (db, drop) = try Self.load(url, jobs: jobs)
            defer { drop() }
            return try db.scalar("""
                SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM (
                  SELECT e::text AS t FROM everything e UNION ALL SELECT m::text FROM measurements m
                  UNION ALL SELECT r::text FROM by_region r UNION ALL SELECT s::text FROM by_stamp s) x
                """) ?? ""
        }
        let one = try digest(1)
        #expect(!one.isEmpty)
        #expect(try digest(3) == one)
    }

    @Test func aTypeWithNoGeneratorIsNamedBeforeAnyRow() throws {
        let dir = TempDir()
        let url = try Self.surrogate(in: dir, schema: """
            CREATE TYPE pair AS (a integer, b text);
            CREATE TABLE holder (id integer PRIMARY KEY, p pair NOT NULL);
            """)
        let (name, drop) = try TestPostgres.database()
        defer { drop() }
        let loader = PostgresSurrogateLoader(source: try SurrogateSource(directory: url), seed: 1, scale: 1, progress: nil)
        do {
            _ = try loader.load(connect: { try TestPostgres.connect(name) })
            Issue.record("a composite column loaded without a generator")
        } catch let error as RehearseError {
            #expect(error.code == .badInput)
            #expect(error.message.contains("table holder, column p"), "\(error.message)")
            #expect(error.message.contains("pair"), "\(error.message)")
            #expect(error.message.contains("generator: constant"), "\(error.message)")
        }
        #expect(try TestPostgres.connect(name).scalar("SELECT count(*) FROM pg_tables WHERE tablename = 'holder'") == "0")
    }

    @Test func aUniqueColumnWhoseTypeHoldsTooFewValuesIsRefused() throws {
        let dir = TempDir()
        let url = try Self.surrogate(in: dir, schema: "CREATE TABLE t (id integer PRIMARY KEY, c char(1) UNIQUE);\n", rows: 100)
        let (name, drop) = try TestPostgres.database()
        defer { drop() }
        let loader = PostgresSurrogateLoader(source: try SurrogateSource(directory: url), seed: 1, scale: 1, progress: nil)
        #expect {
            _ = try loader.load(connect: { try TestPostgres.connect(name) })
        } throws: { error in
            guard let e = error as? RehearseError else { return false }
            return e.code == .badInput && e.message.contains("column c") && e.message.contains("holds only 36 distinct values for 100 rows")
        }
    }

    /// A partitioned table with no partition (gitlab creates its partitions
    /// at run time) gets no rows unless the profile asks; asking is refused
    /// by name. A table that needs a row of it (a NOT NULL foreign key) gets
    /// none either, and a composite foreign key with a nullable member keeps
    /// its rows: that member stays NULL (MATCH SIMPLE), the others are free.
    @Test func aPartitionedTableWithoutPartitionsGetsNoRowsUnlessAsked() throws {
        let dir = TempDir()
        let schema = """
            CREATE TABLE events (id bigint NOT NULL, part bigint NOT NULL, at date NOT NULL, PRIMARY KEY (id, part)) PARTITION BY RANGE (part);
            CREATE TABLE notes (id bigint PRIMARY KEY, event_id bigint NOT NULL, part bigint NOT NULL, FOREIGN KEY (event_id, part) REFERENCES events (id, part));
            CREATE TABLE links (id bigint PRIMARY KEY, part bigint NOT NULL, event_id bigint, FOREIGN KEY (event_id, part) REFERENCES events (id, part));

            """
        let url = try Self.surrogate(in: dir, schema: schema, rows: 10)
        let (db, drop) = try Self.load(url)
        defer { drop() }
        #expect(try db.scalar("SELECT count(*) FROM events") == "0")
        #expect(try db.scalar("SELECT count(*) FROM notes") == "0")
        #expect(try db.scalar("SELECT count(*) FROM links") == "10")
        #expect(try db.scalar("SELECT count(*) FROM links WHERE event_id IS NULL AND part IS NOT NULL") == "10")
        // Asking for rows the table cannot store is refused by name.
        try "default_rows: 10\ntables:\n  events: { rows: 5 }\n".write(to: url.appendingPathComponent("profile.yaml"), atomically: true, encoding: .utf8)
        let (name, dropOther) = try TestPostgres.database()
        defer { dropOther() }
        #expect {
            _ = try PostgresSurrogateLoader(source: try SurrogateSource(directory: url), seed: 1, scale: 1, progress: nil)
                .load(connect: { try TestPostgres.connect(name) })
        } throws: { error in
            guard let e = error as? RehearseError else { return false }
            return e.code == .badInput && e.message.contains("table events: is partitioned but has no partition") && e.message.contains("rows: 0")
        }
    }

    /// A CHECK comparing a date with another date or a timestamp holds: the
    /// later column moves by whole days, as a date keeps only the day.
    @Test func dateComparisonsHoldForTypedDates() throws {
        let dir = TempDir()
        let url = try Self.surrogate(in: dir, schema: """
            CREATE TABLE stays (
              id integer PRIMARY KEY,
              arrival date NOT NULL,
              departure date NOT NULL,
              booked timestamptz NOT NULL,
              due date NOT NULL,
              CHECK (departure > arrival),
              CHECK (due >= booked)
            );
            """, rows: 2000)
        let (db, drop) = try Self.load(url)
        defer { drop() }
        #expect(try db.scalar("SELECT count(*) FROM stays WHERE departure > arrival AND due >= booked") == "2000")
    }

    @Test func aHashPartitionedTableMissingRemaindersIsRefusedByName() throws {
        let dir = TempDir()
        let url = try Self.surrogate(in: dir, schema: """
            CREATE TABLE hashed (id bigint NOT NULL) PARTITION BY HASH (id);
            CREATE TABLE hashed_0 PARTITION OF hashed FOR VALUES WITH (modulus 4, remainder 0);
            CREATE TABLE hashed_1 PARTITION OF hashed FOR VALUES WITH (modulus 4, remainder 1);
            CREATE TABLE whole (id bigint NOT NULL) PARTITION BY HASH (id);
            CREATE TABLE whole_0 PARTITION OF whole FOR VALUES WITH (modulus 2, remainder 0);
            CREATE TABLE whole_1 PARTITION OF whole FOR VALUES WITH (modulus 4, remainder 1);
            CREATE TABLE whole_3 PARTITION OF whole FOR VALUES WITH (modulus 4, remainder 3);
            """, rows: 50)
        let (name, drop) = try TestPostgres.database()
        defer { drop() }
        #expect {
            _ = try PostgresSurrogateLoader(source: try SurrogateSource(directory: url), seed: 1, scale: 1, progress: nil)
                .load(connect: { try TestPostgres.connect(name) })
        } throws: { error in
            guard let e = error as? RehearseError else { return false }
            return e.code == .badInput && e.message.contains("table hashed: is hash-partitioned, but its partitions cover only 50% of hash values")
        }
        // Mixed moduli that cover every hash value load.
        try "default_rows: 50\ntables:\n  hashed: { rows: 0 }\n".write(to: url.appendingPathComponent("profile.yaml"), atomically: true, encoding: .utf8)
        let (other, dropOther) = try TestPostgres.database()
        defer { dropOther() }
        _ = try PostgresSurrogateLoader(source: try SurrogateSource(directory: url), seed: 1, scale: 1, progress: nil)
            .load(connect: { try TestPostgres.connect(other) })
        #expect(try TestPostgres.connect(other).scalar("SELECT count(*) FROM whole") == "50")
    }
}
