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

/// Drift reads like a diff (issue 12, item 4): a changed definition shows
/// before and after as a unified diff of its normalized text, a moved column
/// is reported once, a no-op is not reported, a dropped column prints no
/// "0 rows changed", and rows are localized by any key type on PostgreSQL
/// with the same key-range note as on SQLite.
@Suite struct DriftDiffTests {
    static func fingerprint(_ objects: [String: JSONValue]) -> Fingerprint {
        Fingerprint(objects: objects, tables: [:])
    }

    @Test func swappedIndexColumnsShowAsADiff() {
        let before = Self.fingerprint([
            "index users_a_b": ["definition": "CREATE UNIQUE INDEX users_a_b ON public.users USING btree (tenant_id, email)", "valid": true],
        ])
        let after = Self.fingerprint([
            "index users_a_b": ["definition": "CREATE UNIQUE INDEX users_a_b ON public.users USING btree (email, tenant_id)", "valid": true],
        ])
        let details = Drift(from: before, to: after).schema.first?.details ?? []
        #expect(details == [
            "definition:",
            "    - CREATE UNIQUE INDEX users_a_b ON public.users USING btree (tenant_id,",
            "    - email)",
            "    + CREATE UNIQUE INDEX users_a_b ON public.users USING btree (email,",
            "    + tenant_id)",
        ], "\(details)")
    }

    @Test func aFunctionBodyShowsOnlyTheChangedLinesWithContext() {
        let body = ["CREATE OR REPLACE FUNCTION public.touch()", " RETURNS trigger", " LANGUAGE plpgsql", "AS $function$",
                    "BEGIN", "  NEW.updated_at := now();", "  RETURN NEW;", "END $function$"]
        var changed = body
        changed[5] = "  NEW.updated_at := clock_timestamp();"
        let drift = Drift(from: Self.fingerprint(["function touch()": ["definition": .string(body.joined(separator: "\n"))]]),
                          to: Self.fingerprint(["function touch()": ["definition": .string(changed.joined(separator: "\n"))]]))
        #expect(drift.schema.first?.details == [
            "definition:",
            "      BEGIN",
            "    - NEW.updated_at := now();".replacingOccurrences(of: "- NEW", with: "-   NEW"),
            "    + NEW.updated_at := clock_timestamp();".replacingOccurrences(of: "+ NEW", with: "+   NEW"),
            "        RETURN NEW;",
        ])
    }

    @Test func aPolicyAndAColumnDefaultShowBeforeAndAfter() {
        let drift = Drift(
            from: Self.fingerprint([
                "policy t.p": ["using": "(owner_id = current_setting('app.user_id'::text)::integer)", "command": "*"],
                "table t": ["columns": [["name": "a", "position": 1, "default": "nextval('t_a_seq'::regclass)"]]],
            ]),
            to: Self.fingerprint([
                "policy t.p": ["using": "(owner_id = current_setting('app.user'::text)::integer)", "command": "*"],
                "table t": ["columns": [["name": "a", "position": 1, "default": "0"]]],
            ]))
        let policy = drift.schema.first { $0.kind == "policy" }?.details ?? []
        #expect(policy == ["using:", "    - (owner_id = current_setting('app.user_id'::text)::integer)",
                           "    + (owner_id = current_setting('app.user'::text)::integer)"])
        let table = drift.schema.first { $0.kind == "table" }?.details ?? []
        #expect(table == ["column a: default nextval('t_a_seq'::regclass) → 0"])
    }

    @Test func aMovedColumnIsReportedOnce() {
        let names = (1...18).map { "c\($0)" }
        var moved = names
        moved.remove(at: 2)
        moved.append("c3")
        func table(_ order: [String]) -> JSONValue {
            ["columns": .array(order.enumerated().map { i, n in ["name": .string(n), "position": .integer(Int64(i + 1))] })]
        }
        let details = Drift(from: Self.fingerprint(["table t": table(names)]), to: Self.fingerprint(["table t": table(moved)])).schema.first?.details
        #expect(details == ["column c3 moved: position 3 → 18"])
        // A dropped column shifts the rest without moving any.
        let dropped = Drift(from: Self.fingerprint(["table t": table(names)]),
                            to: Self.fingerprint(["table t": table(names.filter { $0 != "c2" })])).schema.first?.details
        #expect(dropped == ["column c2 removed"])
    }

    @Test func noOpChangesAreNotReported() {
        let drift = Drift(from: Self.fingerprint(["table t": ["columns": [["name": "a", "position": 1, "default": .null]], "comment": .null]]),
                          to: Self.fingerprint(["table t": ["columns": [["name": "a", "position": 1]], "comment": ""]]))
        #expect(drift.schema.first?.details == [])
        #expect(SchemaChange.describe(["default": .null, "x": 1], ["x": 1]) == [])
    }

    @Test func aColumnSetChangeIsNotZeroRowsChanged() {
        var change = TableChange(table: "t", rowsBefore: 10, rowsAfter: 10)
        change.changed = 0
        change.added = 0
        change.removed = 0
        #expect(change.summaryLines == ["table t: no row differs in the columns both states have; the table's columns changed (see its schema drift)"])
        #expect(!change.summaryLines.joined().contains("0 rows changed"))
        #expect(TableChange.keyRangeNote(key: ["id"], low: "3", high: "17") == "differing rows span id 3 to 17")
        #expect(TableChange.keyRangeNote(key: ["a", "b"], low: "1, x", high: "3, y") == "differing rows span (a, b) (1, x) to (3, y)")
    }

    /// A lossy rollback on tables keyed by uuid, text, a composite key and
    /// none: every table is localized, with key ranges in the key's own order.
    @Test(// Skipped where the PostgreSQL server is not installed.
          .enabled(if: PostgresServer.found(.test), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"))
    func postgresLocalizesRowsByEveryKeyType() throws {
        let dir = TempDir()
        dir.write("s/manifest.yaml", "name: keys\nschema: schema.sql\nprofile: profile.yaml\nbirth: birth.sql\nrollback: rollback.sql\nseed: 2\n")
        dir.write("s/schema.sql", """
            CREATE TABLE by_uuid (id uuid PRIMARY KEY, v integer NOT NULL);
            CREATE TABLE by_text (code text PRIMARY KEY, v integer NOT NULL);
            CREATE TABLE by_pair (a integer NOT NULL, b integer NOT NULL, v integer NOT NULL, PRIMARY KEY (a, b));
            CREATE TABLE no_key (v integer NOT NULL);
            """)
        dir.write("s/profile.yaml", """
            tables:
              by_uuid: { rows: 20, columns: { id: { generator: uuid }, v: { generator: uniform, min: 1, max: 9 } } }
              by_text: { rows: 20, columns: { code: { generator: sku }, v: { generator: uniform, min: 1, max: 9 } } }
              by_pair: { rows: 20, columns: { v: { generator: uniform, min: 1, max: 9 } } }
              no_key: { rows: 20, columns: { v: { generator: uniform, min: 1, max: 9 } } }
            """)
        dir.write("s/birth.sql", """
            UPDATE by_uuid SET v = v + 100 WHERE id IN (SELECT id FROM by_uuid ORDER BY id LIMIT 3);
            UPDATE by_text SET v = v + 100 WHERE code IN (SELECT code FROM by_text ORDER BY code LIMIT 2);
            DELETE FROM by_pair WHERE (a, b) IN (SELECT a, b FROM by_pair ORDER BY a, b LIMIT 1);
            DELETE FROM no_key WHERE ctid = (SELECT min(ctid) FROM no_key);
            """)
        dir.write("s/rollback.sql", "SELECT 1;\n")
        let result = try rehearsePostgres(dir.file("s"), in: dir)
        #expect(result.record.verdict == .fail)
        #expect(result.validation.isValid, "\(result.validation.findings)")
        let data = Dictionary(uniqueKeysWithValues: (result.record.drift?.data ?? []).map { ($0.table, $0) })
        #expect(Set(data.keys) == ["by_uuid", "by_text", "by_pair", "no_key"])
        #expect(data["by_uuid"]?.changed == 3)
        #expect(data["by_uuid"]?.note?.hasPrefix("differing rows span id ") == true, "\(String(describing: data["by_uuid"]?.note))")
        #expect(data["by_text"]?.changed == 2)
        #expect(data["by_text"]?.note?.hasPrefix("differing rows span code ") == true)
        #expect(data["by_pair"]?.removed == 1)
        #expect(data["by_pair"]?.note?.hasPrefix("differing rows span (a, b) (") == true, "\(String(describing: data["by_pair"]?.note))")
        #expect(data["no_key"]?.removed == 1)
        #expect(data["no_key"]?.matchedBy == "whole row (no primary key)")
    }
}
