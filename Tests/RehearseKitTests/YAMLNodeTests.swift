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

/// `YAMLNode`, under every manifest, profile and nightly file: typed scalars,
/// nesting with key paths, and refusals that name the file, the line and the
/// key path, so a user can go straight to the mistake.
@Suite struct YAMLNodeTests {
    static func load(_ text: String) throws -> YAMLNode { try YAMLNode.load(text: text, file: "f.yaml") }

    /// The message of the error `body` throws (a RehearseError, bad input).
    static func refusal(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        do {
            try body()
            Issue.record("no error", sourceLocation: sourceLocation)
        } catch let error as RehearseError {
            #expect(error.code == .badInput, "\(error)", sourceLocation: sourceLocation)
            return error.message
        } catch {
            Issue.record("not a RehearseError: \(error)", sourceLocation: sourceLocation)
        }
        return ""
    }

    @Test func scalarsHaveTheirTypes() throws {
        let m = try Self.load("""
            name: commerce
            quoted: "0042"
            rows: 1_000
            negative: -7
            ratio: 0.25
            exp: 1e3
            enabled: true
            disabled: false
            """).members(allowed: ["name", "quoted", "rows", "negative", "ratio", "exp", "enabled", "disabled"])
        #expect(try m["name"]?.string() == "commerce")
        #expect(try m["quoted"]?.string() == "0042")
        #expect(try m["rows"]?.int() == 1000)
        #expect(try m["negative"]?.int() == -7)
        #expect(try m["ratio"]?.double() == 0.25)
        #expect(try m["exp"]?.double() == 1000)
        #expect(try m["rows"]?.double() == 1000)
        #expect(try m["enabled"]?.bool() == true)
        #expect(try m["disabled"]?.bool() == false)
        #expect(m["name"]?.isScalar == true)
        // A number is text too, as written.
        #expect(try m["rows"]?.string() == "1_000")
    }

    @Test func wrongScalarsAreRefusedWithLineAndPath() throws {
        let root = try Self.load("""
            a: 1
            b:
              c: not a number
              d: 1.5
              e: maybe
              f: .inf
              g: 99999999999999999999
            """)
        let b = try #require(try root.members(allowed: ["a", "b"])["b"])
        let m = try b.members(allowed: ["c", "d", "e", "f", "g"])
        #expect(Self.refusal { _ = try m["c"]!.int() } == "f.yaml:3 (b.c): expected a whole number, found 'not a number'.")
        #expect(Self.refusal { _ = try m["d"]!.int() } == "f.yaml:4 (b.d): expected a whole number, found '1.5'.")
        #expect(Self.refusal { _ = try m["e"]!.bool() } == "f.yaml:5 (b.e): expected true or false.")
        #expect(Self.refusal { _ = try m["f"]!.double() }.hasPrefix("f.yaml:6 (b.f): expected a number"))
        #expect(Self.refusal { _ = try m["g"]!.int() }.hasPrefix("f.yaml:7 (b.g): expected a whole number"))
        #expect(Self.refusal { _ = try b.string() } == "f.yaml:3 (b): expected a text value.")
        #expect(Self.refusal { _ = try b.sequence() } == "f.yaml:3 (b): expected a list.")
        #expect(Self.refusal { _ = try m["c"]!.mapping() } == "f.yaml:3 (b.c): expected a mapping of keys to values.")
    }

    @Test func nestingKeepsKeyPathsThroughListsAndMappings() throws {
        let root = try Self.load("""
            tables:
              users:
                rows: 10
                columns:
                  - name: id
                  - name: email
                    nulls: lots
            """)
        let tables = try #require(try root.members(allowed: ["tables"])["tables"])
        let users = try #require(try tables.mapping().first)
        #expect(users.key == "users")
        let columns = try #require(try users.value.members(allowed: ["rows", "columns"])["columns"]).sequence()
        #expect(columns.count == 2)
        #expect(columns.map(\.path) == ["tables.users.columns[0]", "tables.users.columns[1]"])
        let second = try columns[1].members(allowed: ["name", "nulls"])
        #expect(try second["name"]?.string() == "email")
        #expect(Self.refusal { _ = try second["nulls"]!.double() } == "f.yaml:7 (tables.users.columns[1].nulls): expected a number, found 'lots'.")
        // Mapping order is the file's order.
        let ordered = try Self.load("z: 1\na: 2\nm: 3\n").mapping().map(\.key)
        #expect(ordered == ["z", "a", "m"])
    }

    @Test func unknownKeysAreRefusedAtTheirLineWithTheAllowedOnes() throws {
        let root = try Self.load("name: x\n\nshcema: s.sql\n")
        let message = Self.refusal { _ = try root.mapping(allowed: ["name", "schema"]) }
        #expect(message == "f.yaml:3: unknown key 'shcema'. Allowed keys: name, schema.")
    }

    @Test func duplicateKeysAreRefusedNamingTheKeyAndLine() throws {
        let text = "name: a\nrows: 1\nname: b\n"
        let message = Self.refusal { _ = try Self.load(text).mapping() }
        #expect(message.hasPrefix("f.yaml: not valid YAML: "), "\(message)")
        #expect(message.contains("'name'"), "\(message)")
        // Nested duplicates too.
        let nested = Self.refusal { _ = try Self.load("t:\n  a: 1\n  a: 2\n").members(allowed: ["t"])["t"]!.mapping() }
        #expect(nested.contains("'a'"), "\(nested)")
        // Yams refuses duplicates while parsing, before YAMLNode's own check,
        // and its message carries no line, though ours ends "Fix the syntax
        // at that line." (and doubles the full stop).
        withKnownIssue("a duplicate key's refusal names no line (Yams' message has none)") {
            #expect(message.hasPrefix("f.yaml:3"), "\(message)")
            #expect(nested.hasPrefix("f.yaml:3"), "\(nested)")
            #expect(!message.contains(".."), "\(message)")
        }
    }

    @Test func syntaxErrorsAndEmptyFilesAreBadInput() throws {
        let broken = Self.refusal { _ = try Self.load("a: [1, 2\nb: 3\n") }
        // Yams' line:column of the error, then its words.
        #expect(broken.hasPrefix("f.yaml: not valid YAML: 2:2: error: parser:"), "\(broken)")
        #expect(broken.hasPrefix("f.yaml: not valid YAML: "), "\(broken)")
        #expect(broken.hasSuffix("Fix the syntax at that line."))
        let tabs = Self.refusal { _ = try Self.load("a:\n\t- 1\n") }
        #expect(tabs.hasPrefix("f.yaml: not valid YAML: 2:1: error: scanner:"), "\(tabs)")
        #expect(tabs.hasPrefix("f.yaml: not valid YAML: "), "\(tabs)")
        for empty in ["", "\n\n", "# only a comment\n"] {
            #expect(Self.refusal { _ = try Self.load(empty) } == "f.yaml: the file is empty. It must be a YAML mapping; see schemas/ for its fields.")
        }
    }

    @Test func boundedNumbersSayWhichBoundAndTheLimit() throws {
        let m = try Self.load("low: -1\nhigh: 2_000_000_000_000\nok: 5\nhuge: 1e300\n").members(allowed: ["low", "high", "ok", "huge"])
        #expect(try m["ok"]!.int(in: 0...10, "rows") == 5)
        #expect(Self.refusal { _ = try m["low"]!.int(in: 0...10, "rows") } == "f.yaml:1 (low): rows must be zero or more.")
        #expect(Self.refusal { _ = try m["high"]!.int(in: 1...10, "rows") }.hasPrefix("f.yaml:2 (high): rows must be at most 10 (rehearse's limit), not "))
        #expect(Self.refusal { _ = try m["huge"]!.boundedDouble("scale") }.hasPrefix("f.yaml:4 (huge): scale must be between -"))
        #expect(try m["ok"]!.boundedDouble("scale") == 5)
    }

    @Test func nonTextKeysAreRefused() throws {
        let message = Self.refusal { _ = try Self.load("[a, b]: 1\n").mapping() }
        #expect(message.hasSuffix("keys must be strings."), "\(message)")
    }
}
