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

@Suite struct GeneratorTests {
    @Test func sameSeedGivesSameFingerprintAndAnotherSeedDifferentData() throws {
        let dir = TempDir()
        let a = try SQLiteFingerprinter(db: generated("commerce", in: dir, seed: 7, file: "a.sqlite")).fingerprint()
        let b = try SQLiteFingerprinter(db: generated("commerce", in: dir, seed: 7, file: "b.sqlite")).fingerprint()
        let c = try SQLiteFingerprinter(db: generated("commerce", in: dir, seed: 8, file: "c.sqlite")).fingerprint()
        #expect(a == b)
        #expect(a.dataDigest != c.dataDigest)
        #expect(a.schemaDigest == c.schemaDigest)
        // Every table except the seed-carrying provenance table changes with the seed.
        for (name, t) in a.tables where name != SurrogateTag.provenanceTable {
            #expect(t.digest != c.tables[name]?.digest, "\(name) did not change with the seed")
        }
    }

    @Test func constraintsHoldByConstruction() throws {
        let dir = TempDir()
        let db = try generated("commerce", in: dir, scale: 0.5)
        #expect(try db.rows("PRAGMA foreign_key_check").isEmpty)
        #expect(try db.scalar("PRAGMA integrity_check") == .text("ok"))
        #expect(try db.int("SELECT count(*) FROM orders WHERE shipped_at < placed_at") == 0)
        #expect(try db.int("SELECT count(*) FROM orders WHERE shipped_at IS NOT NULL") > 0)
        #expect(try db.int("SELECT count(DISTINCT lower(email)) = count(*) FROM customers") == 1)
        #expect(try db.int("SELECT count(*) FROM customers WHERE referred_by >= id") == 0)
    }

    @Test func rowCountsFollowTheProfileAndScale() throws {
        let dir = TempDir()
        let db = try generated("commerce", in: dir, scale: 0.5)
        #expect(try db.int("SELECT count(*) FROM customers") == 1000)
        #expect(try db.int("SELECT count(*) FROM order_items") == 10000)
    }

    @Test func provenanceTableCarriesTheTagDigestAndSeed() throws {
        let dir = TempDir()
        let db = try generated("commerce", in: dir, seed: 99)
        #expect(try db.scalar("SELECT value FROM rehearse_provenance WHERE key = 'tag'") == .text(SurrogateTag.generated))
        #expect(try db.scalar("SELECT value FROM rehearse_provenance WHERE key = 'seed'") == .text("99"))
        let digest = try SurrogateSource(directory: Repo.surrogate("commerce")).specDigest(dialect: "sqlite")
        #expect(try db.scalar("SELECT value FROM rehearse_provenance WHERE key = 'spec_digest'") == .text(digest))
    }

    @Test func nullFractionAndCategoricalWeightsAreApproximatelyHonoured() throws {
        let dir = TempDir()
        let db = try generated("commerce", in: dir, scale: 1)
        let nullPhones = try db.int("SELECT count(*) FROM customers WHERE phone IS NULL")
        #expect((400...600).contains(nullPhones), "expected about 25% of 2000, got \(nullPhones)")
        let vip = try db.int("SELECT count(*) FROM customers WHERE tier = 'vip'")
        #expect((40...120).contains(vip), "expected about 4% of 2000, got \(vip)")
        #expect(try db.int("SELECT count(*) FROM products WHERE price_cents NOT BETWEEN 199 AND 249999") == 0)
    }

    @Test func permutationIsABijection() {
        for count: Int64 in [1, 2, 3, 10, 1000, 4097] {
            let p = IndexPermutation(count: count, key: 42)
            let images = Set((0..<count).map { p($0) })
            #expect(images.count == Int(count))
            #expect(images.allSatisfy { (0..<count).contains($0) })
        }
    }

    @Test func civilTimeRoundTrips() {
        for s in ["1970-01-01 00:00:00", "2000-02-29 12:34:56", "2026-11-24 23:59:59", "1969-12-31 23:59:59"] {
            #expect(CivilTime.format(CivilTime.parse(s)!) == s)
        }
        #expect(CivilTime.parse("2026-02-30x") == nil)
    }

    @Test func surrogateTextIsMadeUp() throws {
        let dir = TempDir()
        let db = try generated("commerce", in: dir)
        #expect(try db.int("SELECT count(*) FROM customers WHERE email NOT LIKE '%@example.test'") == 0)
        // Edge-case variants (white space, accents, case) keep the made-up +999 marker inside.
        #expect(try db.int("SELECT count(*) FROM customers WHERE phone IS NOT NULL AND phone NOT LIKE '%+999 %'") == 0)
        #expect(try db.int("SELECT count(*) FROM customers WHERE phone LIKE '+999 %'") > 0)
    }
}
