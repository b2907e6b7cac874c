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

/// The engine-free pieces of PostgreSQL type generation: value text,
/// partition bound parsing, domain CHECKs rewritten for a column, uniqueness.
@Suite struct PostgresTypeValuesTests {
    @Test func valuesRenderAsPostgresInputSyntax() {
        #expect(PostgresValue.decimal(units: -5, scale: 2).text == "-0.05")
        #expect(PostgresValue.decimal(units: 12345, scale: 2).text == "123.45")
        #expect(PostgresValue.decimal(units: 7, scale: -2).text == "700")
        #expect(PostgresValue.uuid(high: 0x0123_4567_89ab_4def, low: 0x8000_0000_0000_0001).text == "01234567-89ab-4def-8000-000000000001")
        #expect(PostgresValue.date(days: 0).text == "1970-01-01")
        #expect(PostgresValue.timestamp(micros: 1_500_000, zoned: true).text == "1970-01-01 00:00:01.500000+00")
        #expect(PostgresValue.time(micros: 3_723_000_001, zoned: false).text == "01:02:03.000001")
        #expect(PostgresValue.inet(address: [10, 0, 0, 1], prefix: 32, cidr: false).text == "10.0.0.1")
        #expect(PostgresValue.inet(address: [10, 1, 2, 0], prefix: 24, cidr: true).text == "10.1.2.0/24")
        #expect(PostgresValue.array([.text("a,b"), .text("say \"hi\""), .text("NULL")]).text == #"{"a,b","say \"hi\"","NULL"}"#)
        #expect(PostgresValue.range(lower: .integer(1), upper: .integer(5)).text == #"["1","5")"#)
        #expect(PostgresValue.bits([true, false, true]).text == "101")
    }

    @Test func partitionBoundsParse() {
        #expect(PartitionLayout.Bound(parsing: "FOR VALUES FROM ('2020-01-01') TO ('2021-01-01')") == .range(from: ["2020-01-01"], to: ["2021-01-01"]))
        #expect(PartitionLayout.Bound(parsing: "FOR VALUES FROM (MINVALUE, 5) TO (10, MAXVALUE)") == .range(from: [nil, "5"], to: ["10", nil]))
        #expect(PartitionLayout.Bound(parsing: "FOR VALUES IN ('it''s', NULL, 'b')") == .list(["it's", nil, "b"]))
        #expect(PartitionLayout.Bound(parsing: "FOR VALUES IN ('-5'::integer)") == .list(["-5"]))
        #expect(PartitionLayout.Bound(parsing: "FOR VALUES WITH (modulus 4, remainder 0)") == nil)
        #expect(PartitionValues.seconds("2001-01-01 00:00:00+00") == CivilTime.parse("2001-01-01 00:00:00"))
        #expect(PartitionValues.seconds("2001-01-01 03:00:00.25+03") == CivilTime.parse("2001-01-01 00:00:00"))
    }

    @Test func rangePartitionValuesStayInsideTheirBounds() throws {
        var layout = PartitionLayout(strategy: .range, keyColumns: ["d"])
        layout.leaves = [["d": .range(from: "2020-01-01", to: "2020-02-01")], ["d": .range(from: "2020-02-01", to: "2020-02-02")]]
        let values = try #require(PartitionValues(layout: layout, column: "d", fact: .base(name: "date", category: "D", typmod: -1), seed: 1, table: "t"))
        var seen = Set<String>()
        for row in 0..<500 as Range<Int64> {
            guard case .text(let t) = values.value(row: row, unique: nil) else { Issue.record("not text"); return }
            #expect(t >= "2020-01-01" && t < "2020-02-02", "\(t)")
            seen.insert(String(t.prefix(7)))
        }
        #expect(seen == ["2020-01", "2020-02"])
        // With a default partition nothing needs steering.
        var open = layout
        open.hasDefault = true
        #expect(PartitionValues(layout: open, column: "d", fact: nil, seed: 1, table: "t") == nil)
    }

    @Test func domainChecksBecomeColumnChecks() {
        #expect(PostgresTypeCatalog.check("CHECK (((VALUE >= 1901) AND (VALUE <= 2155)))", for: "made") == #"(("made" >= 1901) AND ("made" <= 2155))"#)
        // A literal or a quoted name that says VALUE stays as it is.
        #expect(PostgresTypeCatalog.check("CHECK ((VALUE <> 'VALUE'::text))", for: "c") == #"("c" <> 'VALUE'::text)"#)
    }

    @Test func uniqueTypedValuesAreDistinctAndDeterministic() throws {
        let rng = CounterRandom(seed: 9, table: "t", column: "c")
        let facts: [PostgresTypeFact] = [
            .base(name: "uuid", category: "U", typmod: -1), .base(name: "varchar", category: "S", typmod: 4 + 3),
            .base(name: "inet", category: "I", typmod: -1), .base(name: "date", category: "D", typmod: -1),
            .base(name: "macaddr", category: "U", typmod: -1), .array(.base(name: "int4", category: "N", typmod: -1)),
            .range(name: "int4range", subtype: .base(name: "int4", category: "N", typmod: -1)),
        ]
        for fact in facts {
            let g = try #require(PostgresTypeGenerator(fact))
            let values = (0..<2000 as Range<Int64>).map { g.value(rng, row: $0 * 7, unique: $0).text }
            #expect(Set(values).count == 2000, "\(fact.display)")
            #expect(values == (0..<2000 as Range<Int64>).map { g.value(rng, row: $0 * 7, unique: $0).text })
        }
        // varchar(3) holds 36^3 values and each fits.
        let short = try #require(PostgresTypeGenerator(.base(name: "varchar", category: "S", typmod: 4 + 3)))
        #expect(short.capacity == 46656)
        #expect(short.value(rng, row: 1, unique: 46655).text == "zzz")
        #expect(PostgresTypeGenerator(.other(name: "pair", kind: "composite")) == nil)
    }
}
