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
