import Testing
@testable import RehearseCore
@testable import RehearseEngine
@testable import RehearseEvidence
@testable import RehearseKit
@testable import RehearsePostgres
@testable import RehearseSQLite
@testable import RehearseSurrogate
@testable import RehearseValidator

@Suite struct CanonicalJSONTests {
    @Test func serializesWithSortedKeysAndNoWhiteSpace() {
        let value: JSONValue = ["b": 1, "a": ["z": true, "y": nil], "c": ["x", -5]]
        #expect(value.canonicalString == #"{"a":{"y":null,"z":true},"b":1,"c":["x",-5]}"#)
    }

    @Test func escapesOnlyWhatJSONRequires() {
        let value: JSONValue = .string("quote\" back\\ nl\n tab\t bell\u{07} é /")
        #expect(value.canonicalString == #""quote\" back\\ nl\n tab\t bell\u0007 é /""#)
    }

    @Test func sortsKeysByUTF8Bytes() {
        let value: JSONValue = ["é": 1, "z": 2, "A": 3]
        #expect(value.canonicalString == #"{"A":3,"z":2,"é":1}"#)
    }

    @Test func parsingCanonicalBytesRoundTrips() throws {
        let value: JSONValue = ["n": .integer(Int64.min), "s": "ü\u{0}", "a": [[], [:], false]]
        let parsed = try JSONValue.parseStrict(value.canonicalBytes)
        #expect(parsed == value)
        #expect(parsed.canonicalBytes == value.canonicalBytes)
    }

    @Test(arguments: [
        ("\u{FEFF}{}", "byte-order mark"),
        (#"{"a":1,"a":2}"#, "duplicate key"),
        (#"{"a":1,}"#, "trailing comma"),
        (#"[1,]"#, "trailing comma"),
        (#"{"a":1.5}"#, "floating-point"),
        (#"{"a":1e3}"#, "floating-point"),
        (#"{"a":01}"#, "leading zero"),
        (#"{"a":99999999999999999999}"#, "64 bits"),
        ("{\"a\":\"x\ny\"}", "control character"),
        (#"{"a":1} x"#, "trailing bytes"),
        (#"{"a":"\ud800"}"#, "surrogate"),
    ])
    func strictParserRefuses(input: String, reason: String) {
        #expect {
            try JSONValue.parseStrict(Array(input.utf8))
        } throws: { error in
            (error as? StrictJSONError)?.reason.contains(reason) == true
        }
    }

    @Test func strictParserRefusesInvalidUTF8AndDeepNesting() {
        #expect(throws: StrictJSONError.self) { try JSONValue.parseStrict([0x22, 0xC3, 0x28, 0x22]) }
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: StrictJSONError.self) { try JSONValue.parseStrict(Array(deep.utf8)) }
    }

    @Test func nonCanonicalButValidJSONParsesToADifferentByteForm() throws {
        let loose = Array(#"{ "b": 1, "a": 2 }"#.utf8)
        let parsed = try JSONValue.parseStrict(loose)
        #expect(parsed.canonicalBytes != loose)
        #expect(parsed.canonicalString == #"{"a":2,"b":1}"#)
    }
}
