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

@Suite struct SpecRefusalTests {
    func surrogate(_ dir: TempDir, manifest: String? = nil, schema: String? = nil, profile: String? = nil) -> URL {
        let url = Repo.copy("commerce", into: dir)
        if let manifest { try! manifest.write(to: url.appendingPathComponent("manifest.yaml"), atomically: true, encoding: .utf8) }
        if let schema { try! schema.write(to: url.appendingPathComponent("schema.sql"), atomically: true, encoding: .utf8) }
        if let profile { try! profile.write(to: url.appendingPathComponent("profile.yaml"), atomically: true, encoding: .utf8) }
        return url
    }

    func refusal(_ body: () throws -> Void) -> RehearseError? {
        do { try body(); return nil } catch let e as RehearseError { return e } catch { return nil }
    }

    @Test(arguments: [
        ("name: x\nschema: s.sql\n", "the required key 'profile' is missing"),
        ("name: x\nschema: s.sql\nprofile: p.yaml\nbirth: b.sql\nrollback: r.sql\nrollbak: r.sql\n", "unknown key 'rollbak'"),
        ("name: x\n  schema: : [\n", "not valid YAML"),
        ("name: x\nschema: s.sql\nprofile: p.yaml\nbirth: b.sql\nrollback: r.sql\nseed: many\n", "expected a whole number"),
        ("", "the file is empty"),
    ])
    func malformedManifestsAreRefusedWithTheirLocation(manifest: String, message: String) {
        let dir = TempDir()
        let url = surrogate(dir, manifest: manifest)
        let error = refusal { _ = try SurrogateSource(directory: url) }
        #expect(error?.code == .badInput)
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "no error")")
        #expect(error?.message.contains("manifest.yaml") == true)
    }

    @Test(arguments: [
        ("tables:\n  customers:\n    rows: 10\n    columns:\n      nickname: { generator: word }\n", "column 'nickname', which the table does not have"),
        ("tables:\n  clients:\n    rows: 10\n", "table 'clients', which the schema does not create"),
        ("tables:\n  customers:\n    rows: 10\n    columns:\n      email: { generator: lorem }\n", "unknown generator 'lorem'"),
        ("tables:\n  customers:\n    rows: 10\n    columns:\n      full_name: { generator: name, null_fraction: 0.5 }\n", "is NOT NULL"),
        ("tables:\n  customers:\n    rows: 10\n    columns:\n      email: { generator: categorical, values: [a, b] }\n", "is unique"),
        ("tables:\n  products:\n    rows: 10\n    columns:\n      price_cents: { generator: uniform, min: 5 }\n", "needs 'max'"),
        ("tables:\n  products:\n    rows: 10\n    columns:\n      price_cents: { generator: uniform, min: 1, max: 9, rate: 3 }\n", "'rate' does not apply"),
        ("tables:\n  products:\n    rows: 10\n    columns:\n      price_cents: { generator: uniform, min: -5, max: 0 }\n", "can give -5 outside CHECK (price_cents > 0)"),
        ("tables:\n  products:\n    rows: 10\n    columns:\n      price_cents: { generator: normal, mean: 5, stddev: 3 }\n", "is normal without 'min'"),
        ("tables:\n  customers:\n    rows: 10\n    columns:\n      tier: { generator: categorical, values: { standard: 5, gold: 1 } }\n", "can give 'gold' outside CHECK (tier IN"),
        ("tables:\n  addresses:\n    rows: 10\n    columns:\n      country: { generator: constant, value: GBR }\n", "outside CHECK (length(country) = 2)"),
        // A CHECK the generator does not read is still the database's to enforce.
        ("tables:\n  customers:\n    rows: 10\n    columns:\n      phone: { generator: hex, length: 30 }\n", "CHECK constraint failed"),
    ])
    func unsatisfiableProfilesGiveClearErrors(profile: String, message: String) {
        let dir = TempDir()
        let url = surrogate(dir, profile: profile)
        let error = refusal { _ = try SurrogateGenerator.generate(SurrogateSource(directory: url), to: dir.file("out.sqlite")) }
        #expect(error?.code == .badInput)
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "no error")")
        #expect(!FileManager.default.fileExists(atPath: dir.file("out.sqlite").path), "a failed generation must not leave a file")
    }

    @Test func schemaSyntaxErrorNamesFileAndLine() {
        let dir = TempDir()
        let url = surrogate(dir, schema: "CREATE TABLE a (id INTEGER PRIMARY KEY);\n\nCREATE TABLE b (id INTEGER PRIMARY KEY,, x);\n")
        let error = refusal { _ = try SurrogateGenerator.generate(SurrogateSource(directory: url), to: dir.file("o.sqlite")) }
        #expect(error?.code == .badInput)
        #expect(error?.message.contains("schema.sql:3:") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("syntax error") == true)
    }

    @Test func foreignKeyCycleWithoutANullableEdgeIsRefused() {
        let dir = TempDir()
        let url = surrogate(dir, schema: """
            CREATE TABLE a (id INTEGER PRIMARY KEY, b_id INTEGER NOT NULL REFERENCES b (id));
            CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER NOT NULL REFERENCES a (id));
            CREATE TABLE c (id INTEGER PRIMARY KEY, a_id INTEGER NOT NULL REFERENCES a (id));
            """, profile: "tables: {}\n")
        let error = refusal { _ = try SurrogateGenerator.generate(SurrogateSource(directory: url), to: dir.file("o.sqlite")) }
        #expect(error?.code == .badInput)
        #expect(error?.message.contains("cycle between tables a → b → a") == true, "\(error?.message ?? "no error")")
        #expect(error?.message.contains("Allow NULL") == true)
        #expect(!FileManager.default.fileExists(atPath: dir.file("o.sqlite").path))
    }

    @Test func unknownSurrogateNameListsTheKnownOnes() {
        let error = refusal { _ = try SurrogateSource.locate("no-such-surrogate", executable: Repo.root.appendingPathComponent(".build/debug/rehearse")) }
        #expect(error?.code == .badInput)
        #expect(error?.message.contains("Unknown surrogate 'no-such-surrogate'") == true)
        #expect(error?.message.contains("commerce") == true)
    }

    @Test func generateRefusesToOverwrite() throws {
        let dir = TempDir()
        dir.write("exists.sqlite", "precious")
        let error = refusal { _ = try SurrogateGenerator.generate(SurrogateSource(directory: Repo.surrogate("commerce")), to: dir.file("exists.sqlite")) }
        #expect(error?.code == .badInput)
        #expect(try String(contentsOf: dir.file("exists.sqlite"), encoding: .utf8) == "precious")
    }
}

@Suite struct JobsTests {
    @Test(arguments: [2, 3, 8])
    func anyThreadCountGivesTheSameData(jobs: Int) throws {
        let dir = TempDir()
        let source = try SurrogateSource(directory: Repo.surrogate("commerce"))
        // 0.3 scale: 12,150 rows, several batches per table and a ragged last wave.
        _ = try SurrogateGenerator.generate(source, scale: 0.3, to: dir.file("one.sqlite"), jobs: 1)
        _ = try SurrogateGenerator.generate(source, scale: 0.3, to: dir.file("many.sqlite"), jobs: jobs)
        #expect(try SQLiteFingerprint.of(file: dir.file("one.sqlite")) == SQLiteFingerprint.of(file: dir.file("many.sqlite")))
    }
}

@Suite struct CompositeKeyTests {
    func surrogate(_ dir: TempDir, linkRows: Int) -> URL {
        dir.write("s/manifest.yaml", "name: links\nschema: schema.sql\nprofile: profile.yaml\nbirth: birth.sql\nrollback: rollback.sql\n")
        dir.write("s/schema.sql", """
            CREATE TABLE a (id INTEGER PRIMARY KEY);
            CREATE TABLE b (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE);
            CREATE TABLE ab (a_id INTEGER NOT NULL REFERENCES a (id), b_code TEXT NOT NULL REFERENCES b (code), PRIMARY KEY (a_id, b_code));
            """)
        dir.write("s/profile.yaml", "tables:\n  a: { rows: 10 }\n  b: { rows: 20 }\n  ab: { rows: \(linkRows) }\n")
        dir.write("s/birth.sql", "SELECT 1;\n")
        dir.write("s/rollback.sql", "SELECT 1;\n")
        return dir.file("s")
    }

    @Test func aJoinTableKeyIsUniqueByConstruction() throws {
        let dir = TempDir()
        _ = try SurrogateGenerator.generate(SurrogateSource(directory: surrogate(dir, linkRows: 190)), to: dir.file("g.sqlite"))
        let db = try SQLiteConnection(path: dir.file("g.sqlite").path)
        #expect(try db.int("SELECT count(*) FROM ab") == 190)
        #expect(try db.int("SELECT count(*) FROM (SELECT DISTINCT a_id, b_code FROM ab)") == 190)
        #expect(try db.rows("PRAGMA foreign_key_check").isEmpty)
        // The pairs spread over the parents rather than filling one corner.
        #expect(try db.int("SELECT count(DISTINCT a_id) FROM ab") == 10)
    }

    @Test func moreRowsThanCombinationsIsAClearError() throws {
        let dir = TempDir()
        #expect {
            _ = try SurrogateGenerator.generate(SurrogateSource(directory: surrogate(dir, linkRows: 201)), to: dir.file("g.sqlite"))
        } throws: { "\($0)".contains("only 200 distinct combinations, fewer than the 201 rows") }
    }

    @Test func chinooksSchemaGeneratesFromItsOwnRowCounts() throws {
        let dir = TempDir()
        let real = try SQLiteConnection(path: Repo.chinook.path, readOnly: true)
        let ddl = try real.rows("SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY type DESC, name")
            .compactMap(\.first?.textValue).map { $0 + ";\n" }.joined()
        var profile = "tables:\n"
        for name in try real.rows("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").compactMap(\.first?.textValue) {
            profile += "  \(name): { rows: \(try real.int("SELECT count(*) FROM \"\(name)\"")) }\n"
        }
        dir.write("s/manifest.yaml", "name: chinook-shaped\nschema: schema.sql\nprofile: profile.yaml\nbirth: birth.sql\nrollback: rollback.sql\n")
        dir.write("s/schema.sql", ddl)
        dir.write("s/profile.yaml", profile)
        dir.write("s/birth.sql", "SELECT 1;\n")
        dir.write("s/rollback.sql", "SELECT 1;\n")
        _ = try SurrogateGenerator.generate(SurrogateSource(directory: dir.file("s")), to: dir.file("g.sqlite"))
        let db = try SQLiteConnection(path: dir.file("g.sqlite").path)
        #expect(try db.int("SELECT count(*) FROM PlaylistTrack") == 8715)
        #expect(try db.int("SELECT count(*) FROM Track") == 3503)
        #expect(try db.rows("PRAGMA foreign_key_check").isEmpty)
        #expect(try db.scalar("PRAGMA integrity_check") == .text("ok"))
    }
}
