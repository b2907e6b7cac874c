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

@Suite struct SigningTests {
    struct Fixture {
        let dir = TempDir()
        let run: URL
        init() throws { run = try rehearse(Repo.surrogate("commerce"), in: dir, scale: 0.05).runDirectory }
        func key(_ name: String) throws -> (priv: URL, pub: URL) {
            let made = try Signing.generateKeyPair(prefix: dir.file(name).path)
            return (made.privateFile, made.publicFile)
        }
        func trust(_ pubs: [URL], threshold: Int) throws -> TrustPolicy {
            let keys = try pubs.map { try JSONValue.parseStrict([UInt8](Data(contentsOf: $0)).filter { $0 != 0x0a }) }
            let file = dir.file("trust-\(UUID().uuidString.prefix(4)).json")
            try Data(JSONValue.object(["threshold": .integer(Int64(threshold)), "keys": .array(keys)]).canonicalBytes).write(to: file)
            return try TrustPolicy(file: file)
        }
        func findings(_ trust: TrustPolicy?) throws -> [ValidationFinding] {
            try Validator(trust: trust).validate(runDirectory: run).findings
        }
    }

    @Test func thresholdCountsEachDistinctTrustedKeyOnce() throws {
        let f = try Fixture()
        let alice = try f.key("alice"), bob = try f.key("bob")
        let policy = try f.trust([alice.pub, bob.pub], threshold: 2)
        #expect(try f.findings(policy).map(\.message) == ["missing: the trust policy requires 2 signature(s) and the evidence is unsigned"])
        _ = try Signing.sign(runDirectory: f.run, keyFile: alice.priv)
        _ = try Signing.sign(runDirectory: f.run, keyFile: alice.priv)  // signing twice replaces, never double-counts
        let below = try f.findings(policy)
        #expect(below.map(\.rule) == ["R9-signature"])
        #expect(below.first?.message.contains("1 valid signature(s)") == true)
        _ = try Signing.sign(runDirectory: f.run, keyFile: bob.priv)
        #expect(try f.findings(policy).isEmpty)
        #expect(try f.findings(nil).isEmpty, "signed evidence stays valid without a trust policy")
    }

    @Test func aSignatureByAnUntrustedKeyDoesNotCount() throws {
        let f = try Fixture()
        let alice = try f.key("alice"), mallory = try f.key("mallory")
        _ = try Signing.sign(runDirectory: f.run, keyFile: mallory.priv)
        let policy = try f.trust([alice.pub], threshold: 1)
        #expect(try f.findings(policy).map(\.rule) == ["R9-signature"])
    }

    @Test func aDuplicatedSignatureEntryCountsOnce() throws {
        let f = try Fixture()
        let alice = try f.key("alice"), bob = try f.key("bob")
        _ = try Signing.sign(runDirectory: f.run, keyFile: alice.priv)
        // Forge an envelope listing alice's signature twice, and reseal.
        let url = f.run.appendingPathComponent(Signing.envelopeFile)
        let envelope = try JSONValue.parseStrict([UInt8](Data(contentsOf: url)))
        let sig = envelope["signatures"]!.arrayValue![0]
        var members = envelope.objectValue!
        members["signatures"] = [sig, sig]
        try Data(JSONValue.object(members).canonicalBytes).write(to: url)
        try Seal.write(directory: f.run)
        let policy = try f.trust([alice.pub, bob.pub], threshold: 2)
        #expect(try f.findings(policy).first?.message.contains("1 valid signature(s)") == true)
    }

    @Test func anEnvelopeOverOtherBytesIsRejected() throws {
        let f = try Fixture()
        let alice = try f.key("alice")
        _ = try Signing.sign(runDirectory: f.run, keyFile: alice.priv)
        let url = f.run.appendingPathComponent(Signing.envelopeFile)
        var members = try JSONValue.parseStrict([UInt8](Data(contentsOf: url))).objectValue!
        members["payload"] = .string(Data("{}".utf8).base64EncodedString())
        try Data(JSONValue.object(members).canonicalBytes).write(to: url)
        try Seal.write(directory: f.run)
        #expect(try f.findings(nil).map(\.message) == ["does not hold the bytes of evidence.json"])
    }

    @Test func onlyValidEvidenceIsSigned() throws {
        let f = try Fixture()
        let alice = try f.key("alice")
        try "tampered".write(to: f.run.appendingPathComponent("inputs/birth.sql"), atomically: true, encoding: .utf8)
        #expect {
            _ = try Signing.sign(runDirectory: f.run, keyFile: alice.priv)
        } throws: { ($0 as? RehearseError)?.code == .evidenceRejected }
        #expect(!FileManager.default.fileExists(atPath: f.run.appendingPathComponent(Signing.envelopeFile).path))
    }

    @Test func keysAreNeverOverwrittenAndPrivateKeysArePrivate() throws {
        let f = try Fixture()
        let alice = try f.key("alice")
        let mode = try FileManager.default.attributesOfItem(atPath: alice.priv.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(throws: RehearseError.self) { try f.key("alice") }
    }

    @Test func aTrustFileWhoseThresholdCannotBeMetIsRefused() throws {
        let f = try Fixture()
        let alice = try f.key("alice")
        #expect {
            _ = try f.trust([alice.pub, alice.pub], threshold: 2)
        } throws: { "\($0)".contains("more than the 1 distinct keys") }
    }
}
