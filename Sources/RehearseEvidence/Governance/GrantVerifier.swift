import Crypto
import Foundation
import RehearseCore

/// A grant that passed every check, and what the evidence records of it.
package struct VerifiedGrant: Sendable, Equatable {
    package var statement: GrantStatement
    /// SHA-256 of the grant file's exact bytes.
    package var digest: String
    /// The distinct trusted keys whose signatures verified, sorted.
    package var keyIDs: [String]
    /// The one "now" every time check used.
    package var checkedAt: Int64

    /// The evidence's `grant` member.
    package var evidenceJSON: JSONValue {
        [
            "digest": .string(digest), "nonce": .string(statement.nonce), "lane": .string(statement.lane.rawValue),
            "subject_sha256": .string(statement.subjectSHA256), "issuer": .string(statement.issuer),
            "not_before": .integer(statement.notBefore), "not_after": .integer(statement.notAfter),
            "engine": .string(statement.engine), "signed_by": .array(keyIDs.map { .string($0) }),
        ]
    }
}

/// Checks a grant envelope against a trust policy and one request. Every check
/// uses the single `now` it is given, so a window cannot be passed at one
/// check and failed at another; the subject is compared with the digest of
/// the bytes actually restored, which the caller computed while copying them.
package enum GrantVerifier {
    /// The parsed envelope, before any trust decision.
    package struct Envelope {
        package var statement: GrantStatement
        package var payload: [UInt8]
        package var signatures: [(keyID: String, sig: [UInt8])]
    }

    package static func parseEnvelope(_ bytes: [UInt8]) -> Result<Envelope, GrantProblem> {
        guard let envelope = try? JSONValue.parseStrict(bytes) else { return .failure(.malformed("the file is not strict JSON")) }
        guard envelope.canonicalBytes == bytes else {
            return .failure(.malformed("the file is not canonical JSON (sorted keys, no white space, no trailing newline), as 'rehearse grant create' and 'grant sign' write it; a grant has exactly one byte form"))
        }
        guard envelope.objectValue.map({ Set($0.keys) }) == ["payloadType", "payload", "signatures"],
              envelope["payloadType"]?.stringValue == GrantStatement.payloadType,
              let payload = envelope["payload"]?.stringValue.flatMap(Signing.decodeBase64),
              let entries = envelope["signatures"]?.arrayValue else {
            return .failure(.malformed("it is not a DSSE envelope of type \(GrantStatement.payloadType) with payload and signatures"))
        }
        guard let statementJSON = try? JSONValue.parseStrict(payload), statementJSON.canonicalBytes == payload else {
            return .failure(.malformed("the signed payload is not canonical JSON"))
        }
        let statement: GrantStatement
        switch GrantStatement.parse(statementJSON) {
        case .success(let s): statement = s
        case .failure(let p): return .failure(p)
        }
        var signatures: [(String, [UInt8])] = []
        for (i, entry) in entries.enumerated() {
            guard entry.objectValue.map({ Set($0.keys) }) == ["keyid", "sig"], let id = entry["keyid"]?.stringValue, Digest.isSHA256Hex(id) else {
                return .failure(.signature("signatures[\(i)] is not {\"keyid\": <64 hex>, \"sig\": <base64>}"))
            }
            guard let sig = entry["sig"]?.stringValue.flatMap(Signing.decodeBase64), sig.count == 64 else {
                return .failure(.signature("signatures[\(i)] (keyid \(id)) is not a 64-byte Ed25519 signature in canonical base64 (truncated or altered)"))
            }
            if signatures.contains(where: { $0.0 == id }) {
                return .failure(.signature("keyid \(id) signed more than once; each key signs a grant once and counts once"))
            }
            signatures.append((id, sig))
        }
        return .success(Envelope(statement: statement, payload: payload, signatures: signatures))
    }

    /// Verifies `bytes` (a grant file's content) for a request.
    /// - Parameters:
    ///   - lane: the lane the request needs.
    ///   - subjectSHA256: the digest of the dump actually given, or nil to skip
    ///     that check (`grant verify` without a dump).
    ///   - engine: the engine the run asks for, or nil to skip that check.
    package static func verify(_ bytes: [UInt8], trust: TrustPolicy, now: Int64, lane: Lane?,
                              subjectSHA256: String?, engine: String?) -> Result<VerifiedGrant, GrantProblem> {
        let envelope: Envelope
        switch parseEnvelope(bytes) {
        case .success(let e): envelope = e
        case .failure(let p): return .failure(p)
        }
        let message = Signing.pae(type: GrantStatement.payloadType, body: envelope.payload)
        var trusted: [String] = []
        for (id, sig) in envelope.signatures {
            guard let raw = trust.keys[id], let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else {
                return .failure(.signature("keyid \(id) is not in the trust file; every signature on a grant must be by a trusted key"))
            }
            guard key.isValidSignature(sig, for: message) else {
                return .failure(.signature("the signature by keyid \(id) does not verify over this grant's payload (altered payload or signature)"))
            }
            trusted.append(id)
        }
        guard trusted.count >= trust.threshold else { return .failure(.threshold(have: trusted.count, need: trust.threshold)) }
        let s = envelope.statement
        if now < s.notBefore { return .failure(.notYetValid(notBefore: s.notBefore, now: now)) }
        if now >= s.notAfter { return .failure(.expired(notAfter: s.notAfter, now: now)) }
        if let lane, s.lane != lane { return .failure(.wrongLane(granted: s.lane, needed: lane)) }
        if let subjectSHA256, s.subjectSHA256 != subjectSHA256 { return .failure(.wrongSubject(granted: s.subjectSHA256, actual: subjectSHA256)) }
        if let engine, s.engine != engine { return .failure(.wrongEngine(granted: s.engine, requested: engine)) }
        return .success(VerifiedGrant(statement: s, digest: Digest.sha256Hex(bytes), keyIDs: trusted.sorted(), checkedAt: now))
    }

    /// ``verify`` as a refusal (exit 3) naming the grant file and what failed.
    package static func require(_ bytes: [UInt8], file: String, trust: TrustPolicy, now: Int64, lane: Lane?,
                               subjectSHA256: String?, engine: String?) throws -> VerifiedGrant {
        switch verify(bytes, trust: trust, now: now, lane: lane, subjectSHA256: subjectSHA256, engine: engine) {
        case .success(let g): return g
        case .failure(let p):
            throw RehearseError.refused("Refused: the grant \(RunFolder.display(file)) does not authorize this run: \(p.sentence). Nothing was restored; ask the grant's issuer for a grant that fits, and check it with 'rehearse grant verify'.")
        }
    }

    /// Reads a grant file once, bounded (a grant is small).
    package static func read(_ path: String) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw RehearseError.badInput("Cannot read the grant \(RunFolder.display(path)): the file is missing or not readable. Check the path.")
        }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: 1 << 20 + 1)) ?? Data()
        guard data.count <= 1 << 20 else {
            throw RehearseError.refused("Refused: the grant \(RunFolder.display(path)) is larger than 1 MiB; a grant is a small signed document.")
        }
        return [UInt8](data)
    }
}

/// Writing grants: `grant create` (unsigned) and `grant sign` (adds one
/// signature, canonical bytes, signatures sorted by keyid).
package enum GrantAuthoring {
    package static func create(_ statement: GrantStatement) throws -> [UInt8] {
        guard statement.lane == .operatorRealDataCloneHandoff else {
            throw RehearseError.refused("Refused: a grant for lane \(statement.lane.number), \(statement.lane.rawValue), cannot be created: this version accepts grants for lane 2 (\(Lane.operatorRealDataCloneHandoff.rawValue)) only. \(statement.lane.needs)")
        }
        let payload = statement.json.canonicalBytes
        let envelope: JSONValue = ["payloadType": .string(GrantStatement.payloadType),
                                   "payload": .string(Data(payload).base64EncodedString()), "signatures": []]
        return envelope.canonicalBytes
    }

    /// Adds `key`'s signature to a grant, replacing an earlier one by the same key.
    package static func sign(_ bytes: [UInt8], file: String, key: Curve25519.Signing.PrivateKey) throws -> (bytes: [UInt8], keyID: String) {
        let envelope: GrantVerifier.Envelope
        switch GrantVerifier.parseEnvelope(bytes) {
        case .success(let e): envelope = e
        case .failure(let p): throw RehearseError.badInput("\(RunFolder.display(file)): \(p.sentence). Create it again with 'rehearse grant create'.")
        }
        let id = Signing.keyID(key.publicKey)
        let sig = try key.signature(for: Signing.pae(type: GrantStatement.payloadType, body: envelope.payload))
        var entries = envelope.signatures.filter { $0.keyID != id }.map { (keyID: $0.keyID, sig: $0.sig) }
        entries.append((id, [UInt8](sig)))
        entries.sort { $0.keyID < $1.keyID }
        let out: JSONValue = [
            "payloadType": .string(GrantStatement.payloadType), "payload": .string(Data(envelope.payload).base64EncodedString()),
            "signatures": .array(entries.map { ["keyid": .string($0.keyID), "sig": .string(Data($0.sig).base64EncodedString())] }),
        ]
        return (out.canonicalBytes, id)
    }
}
