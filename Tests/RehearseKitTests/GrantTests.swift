import Crypto
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

/// Hostile grants: every way a grant could validate for the wrong thing is
/// refused, each with the sentence that names it.
@Suite struct GrantTests {
    static let now: Int64 = 1_800_000_000
    static let dump = String(repeating: "ab", count: 32)
    let alice = Curve25519.Signing.PrivateKey()
    let bob = Curve25519.Signing.PrivateKey()
    let mallory = Curve25519.Signing.PrivateKey()

    func trust(_ keys: [Curve25519.Signing.PrivateKey], threshold: Int) -> TrustPolicy {
        TrustPolicy(keys: Dictionary(uniqueKeysWithValues: keys.map { (Signing.keyID($0.publicKey), [UInt8]($0.publicKey.rawRepresentation)) }), threshold: threshold)
    }

    func statement(lane: Lane = .operatorRealDataCloneHandoff, subject: String = dump, notBefore: Int64 = now - 60, notAfter: Int64 = now + 3600,
                   engine: String = "postgres") -> GrantStatement {
        GrantStatement(lane: lane, subjectSHA256: subject, issuer: "ops@example", notBefore: notBefore, notAfter: notAfter,
                       nonce: GrantStatement.freshNonce(), engine: engine)
    }

    /// An envelope around any statement JSON, signed by `keys` (bypassing
    /// `create`'s lane check, as a forger would).
    func envelope(_ json: JSONValue, signedBy keys: [Curve25519.Signing.PrivateKey]) throws -> [UInt8] {
        let payload = json.canonicalBytes
        let sigs: [JSONValue] = try keys.map { key in
            let sig = try key.signature(for: Signing.pae(type: GrantStatement.payloadType, body: payload))
            return ["keyid": .string(Signing.keyID(key.publicKey)), "sig": .string(sig.base64EncodedString())]
        }
        return JSONValue.object(["payloadType": .string(GrantStatement.payloadType),
                                 "payload": .string(Data(payload).base64EncodedString()), "signatures": .array(sigs)]).canonicalBytes
    }

    func grant(_ s: GrantStatement, signedBy keys: [Curve25519.Signing.PrivateKey]) throws -> [UInt8] {
        var bytes = try GrantAuthoring.create(s)
        for key in keys { bytes = try GrantAuthoring.sign(bytes, file: "g", key: key).bytes }
        return bytes
    }

    func verify(_ bytes: [UInt8], _ policy: TrustPolicy, subject: String? = dump, engine: String? = "postgres",
                lane: Lane = .operatorRealDataCloneHandoff, at now: Int64 = now) -> Result<VerifiedGrant, GrantProblem> {
        GrantVerifier.verify(bytes, trust: policy, now: now, lane: lane, subjectSHA256: subject, engine: engine)
    }

    func problem(_ r: Result<VerifiedGrant, GrantProblem>) -> GrantProblem? {
        if case .failure(let p) = r { return p }
        return nil
    }

    @Test func aGrantSignedByTwoTrustedKeysVerifiesAndRecordsDigestAndNonce() throws {
        let s = statement()
        let bytes = try grant(s, signedBy: [alice, bob])
        let v = try verify(bytes, trust([alice, bob], threshold: 2)).get()
        #expect(v.digest == Digest.sha256Hex(bytes))
        #expect(v.statement == s)
        #expect(v.keyIDs == [Signing.keyID(alice.publicKey), Signing.keyID(bob.publicKey)].sorted())
        #expect(v.evidenceJSON["nonce"]?.stringValue == s.nonce)
        #expect(v.evidenceJSON["digest"]?.stringValue == v.digest)
        // signing twice with the same key replaces, never duplicates
        let again = try GrantAuthoring.sign(bytes, file: "g", key: alice).bytes
        #expect(try JSONValue.parseStrict(again)["signatures"]?.arrayValue?.count == 2)
    }

    @Test func aGrantReplayedForAnotherDumpIsRefused() throws {
        let bytes = try grant(statement(), signedBy: [alice])
        let other = String(repeating: "cd", count: 32)
        #expect(problem(verify(bytes, trust([alice], threshold: 1), subject: other)) == .wrongSubject(granted: Self.dump, actual: other))
        let e = #expect(throws: RehearseError.self) {
            try GrantVerifier.require(bytes, file: "grant.json", trust: trust([alice], threshold: 1), now: Self.now,
                                      lane: .operatorRealDataCloneHandoff, subjectSHA256: other, engine: "postgres")
        }
        #expect(e?.code == .refused)
        #expect(e?.message.contains("the grant grant.json does not authorize this run: it is bound to the dump with SHA-256 \(Self.dump), and the dump given has SHA-256 \(other)") == true)
    }

    @Test func aSignatureByAnUntrustedKeyIsRefused() throws {
        let bytes = try grant(statement(), signedBy: [mallory])
        #expect(problem(verify(bytes, trust([alice], threshold: 1)))?.sentence.contains("keyid \(Signing.keyID(mallory.publicKey)) is not in the trust file") == true)
        // a trusted signature does not launder an untrusted one beside it
        let mixed = try grant(statement(), signedBy: [alice, mallory])
        #expect(problem(verify(mixed, trust([alice], threshold: 1)))?.sentence.contains("is not in the trust file") == true)
    }

    @Test func theSameKeyTwiceCountsOnceAndADuplicatedEntryIsRefused() throws {
        let bytes = try grant(statement(), signedBy: [alice])
        var env = try JSONValue.parseStrict(bytes).objectValue!
        let sig = env["signatures"]!.arrayValue![0]
        env["signatures"] = [sig, sig]
        let doubled = JSONValue.object(env).canonicalBytes
        #expect(problem(verify(doubled, trust([alice, bob], threshold: 2)))?.sentence.contains("signed more than once") == true)
        #expect(problem(verify(doubled, trust([alice], threshold: 1)))?.sentence.contains("signed more than once") == true)
        #expect(problem(verify(bytes, trust([alice, bob], threshold: 2))) == .threshold(have: 1, need: 2))
    }

    @Test func theValidityWindowIsCheckedAgainstOneNowWithExclusiveEnd() throws {
        let s = statement(notBefore: Self.now, notAfter: Self.now + 10)
        let bytes = try grant(s, signedBy: [alice])
        let policy = trust([alice], threshold: 1)
        #expect(throws: Never.self) { try verify(bytes, policy, at: Self.now).get() }
        #expect(problem(verify(bytes, policy, at: Self.now - 1)) == .notYetValid(notBefore: Self.now, now: Self.now - 1))
        #expect(problem(verify(bytes, policy, at: Self.now + 10)) == .expired(notAfter: Self.now + 10, now: Self.now + 10))
        #expect(problem(verify(bytes, policy, at: Self.now + 10))?.sentence.contains("it has expired: not_after was") == true)
    }

    @Test func theWrongLaneOrEngineIsRefused() throws {
        let lane3 = try envelope(statement(lane: .productionDryRunOnly).json, signedBy: [alice])
        #expect(problem(verify(lane3, trust([alice], threshold: 1))) == .wrongLane(granted: .productionDryRunOnly, needed: .operatorRealDataCloneHandoff))
        #expect(throws: RehearseError.self) { try GrantAuthoring.create(statement(lane: .productionExecution)) }
        let sqlite = try grant(statement(engine: "sqlite"), signedBy: [alice])
        #expect(problem(verify(sqlite, trust([alice], threshold: 1), engine: "postgres")) == .wrongEngine(granted: "sqlite", requested: "postgres"))
    }

    @Test func aTruncatedOrAlteredSignatureIsRefused() throws {
        let bytes = try grant(statement(), signedBy: [alice])
        var env = try JSONValue.parseStrict(bytes).objectValue!
        let entry = env["signatures"]!.arrayValue![0]
        let sig = entry["sig"]!.stringValue!
        let truncated = Data(Data(base64Encoded: sig)!.prefix(63)).base64EncodedString()
        env["signatures"] = [["keyid": entry["keyid"]!, "sig": .string(truncated)]]
        #expect(problem(verify(JSONValue.object(env).canonicalBytes, trust([alice], threshold: 1)))?.sentence.contains("not a 64-byte Ed25519 signature") == true)
        var flipped = [UInt8](Data(base64Encoded: sig)!)
        flipped[10] ^= 1
        env["signatures"] = [["keyid": entry["keyid"]!, "sig": .string(Data(flipped).base64EncodedString())]]
        #expect(problem(verify(JSONValue.object(env).canonicalBytes, trust([alice], threshold: 1)))?.sentence.contains("does not verify") == true)
    }

    @Test func aPayloadChangedAfterSigningIsRefused() throws {
        let s = statement()
        let bytes = try grant(s, signedBy: [alice])
        var env = try JSONValue.parseStrict(bytes).objectValue!
        var other = s
        other.subjectSHA256 = String(repeating: "cd", count: 32)
        env["payload"] = .string(Data(other.json.canonicalBytes).base64EncodedString())
        #expect(problem(verify(JSONValue.object(env).canonicalBytes, trust([alice], threshold: 1), subject: other.subjectSHA256))?.sentence.contains("does not verify") == true)
    }

    @Test func nonCanonicalOrUnknownFieldsAreRefused() throws {
        let bytes = try grant(statement(), signedBy: [alice])
        let policy = trust([alice], threshold: 1)
        #expect(problem(verify(bytes + [0x0a], policy))?.sentence.contains("not canonical JSON") == true)
        let pretty = try JSONSerialization.data(withJSONObject: JSONSerialization.jsonObject(with: Data(bytes)), options: [.prettyPrinted])
        #expect(problem(verify([UInt8](pretty), policy))?.sentence.contains("not canonical JSON") == true)
        var json = statement().json.objectValue!
        json["scope"] = "everything"
        #expect(problem(verify(try envelope(.object(json), signedBy: [alice]), policy))?.sentence.contains("unknown: scope") == true)
        // a signed payload that is not canonical (white space) is refused even though it verifies
        let spaced = Array(" ".utf8) + statement().json.canonicalBytes
        let env: JSONValue = ["payloadType": .string(GrantStatement.payloadType), "payload": .string(Data(spaced).base64EncodedString()), "signatures": []]
        #expect(problem(verify(env.canonicalBytes, policy))?.sentence.contains("payload is not canonical JSON") == true)
        #expect(problem(verify(Array("{}".utf8), policy))?.sentence.contains("not a DSSE envelope") == true)
    }

    @Test func anUnsignedGrantIsBelowAnyThreshold() throws {
        let bytes = try GrantAuthoring.create(statement())
        #expect(problem(verify(bytes, trust([alice], threshold: 1))) == .threshold(have: 0, need: 1))
    }
}
