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

/// schemas/blocker-map.schema.json and the parser say the same thing: the
/// same evidence kinds, fields and required fields, and the shipped example
/// parses with every kind it names.
@Suite struct BlockerMapSchemaTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func schemaAndParserAgree() throws {
        let bytes = Array(try Data(contentsOf: Self.root.appendingPathComponent("schemas/blocker-map.schema.json")))
        let schema = try JSONValue.parseStrict(bytes)
        let blocker = try #require(schema["properties"]?["blockers"]?["items"])
        let leg = try #require(blocker["properties"]?["legs"]?["items"])
        let kinds = (leg["properties"]?["evidence"]?["enum"]?.arrayValue ?? []).compactMap(\.stringValue)
        #expect(kinds == BlockerMap.EvidenceKind.allCases.map(\.rawValue))
        #expect(Set(leg["properties"]?.objectValue?.keys.map { $0 } ?? []) == ["name", "evidence", "surrogate", "engine", "birth_sha256", "rollback_sha256", "remaining_actor", "note"])
        #expect(Set((leg["required"]?.arrayValue ?? []).compactMap(\.stringValue)) == ["name", "evidence", "remaining_actor"])
        #expect(Set((blocker["required"]?.arrayValue ?? []).compactMap(\.stringValue)) == ["id", "description", "legs", "lane5_precondition"])
        #expect(schema["properties"]?["format"]?["const"]?.stringValue == BlockerMap.format)
    }

    @Test func theExampleParsesAndUsesEveryKind() throws {
        let map = try BlockerMap.load(file: Self.root.appendingPathComponent("schemas/blocker-map.example.json"))
        #expect(map.blockers.count == 8)
        #expect(Set(map.blockers.flatMap(\.legs).map(\.kind)) == Set(BlockerMap.EvidenceKind.allCases))
        #expect(map.blockers.filter(\.lane5Precondition).count == 7)
        // The pinned surrogate leg names the bundled commerce scripts as they are.
        let pinned = try #require(map.blockers.first?.legs.first { $0.name == "surrogate" })
        #expect(pinned.birthSHA256 == (try Digest.sha256Hex(fileAt: Self.root.appendingPathComponent("surrogates/commerce/birth.sql"))))
        #expect(pinned.rollbackSHA256 == (try Digest.sha256Hex(fileAt: Self.root.appendingPathComponent("surrogates/commerce/rollback.sql"))))
    }
}
