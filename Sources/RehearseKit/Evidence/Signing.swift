import Crypto
import Foundation

/// Authorship of evidence: Ed25519 signatures in a DSSE envelope
/// (`evidence.dsse.json`) over the exact bytes of `evidence.json`. A seal says
/// the bytes were not changed; a signature by a trusted key says who vouched
/// for them.
public enum Signing {
    public static let envelopeFile = "evidence.dsse.json"
    public static let payloadType = "application/vnd.in-toto+json"

    /// DSSE's pre-authentication encoding: what is actually signed.
    package static func pae(type: String, body: [UInt8]) -> [UInt8] {
        Array("DSSEv1 \(type.utf8.count) \(type) \(body.count) ".utf8) + body
    }

    package static func keyID(_ publicKey: Curve25519.Signing.PublicKey) -> String {
        Digest.sha256Hex(publicKey.rawRepresentation)
    }

    /// Strict base64: only the canonical encoding of some bytes is accepted.
    package static func decodeBase64(_ s: String) -> [UInt8]? {
        guard let data = Data(base64Encoded: s), data.base64EncodedString() == s else { return nil }
        return [UInt8](data)
    }

    // MARK: Keys

    /// A new key pair, written as `PREFIX.key` (private, mode 0600) and
    /// `PREFIX.pub`. Existing files are never overwritten.
    public static func generateKeyPair(prefix: String) throws -> (keyID: String, privateFile: URL, publicFile: URL) {
        let key = Curve25519.Signing.PrivateKey()
        let id = keyID(key.publicKey)
        let priv = URL(fileURLWithPath: prefix + ".key"), pub = URL(fileURLWithPath: prefix + ".pub")
        for url in [priv, pub] where FileManager.default.fileExists(atPath: url.path) {
            throw RehearseError.badInput("\(url.path) already exists. Choose another --out prefix; rehearse never overwrites a key.")
        }
        let privateJSON: JSONValue = ["type": "ed25519", "keyid": .string(id), "private_key": .string(key.rawRepresentation.base64EncodedString())]
        let publicJSON: JSONValue = ["type": "ed25519", "keyid": .string(id), "public_key": .string(key.publicKey.rawRepresentation.base64EncodedString())]
        guard FileManager.default.createFile(atPath: priv.path, contents: Data(privateJSON.canonicalBytes + [0x0a]), attributes: [.posixPermissions: 0o600]) else {
            throw RehearseError.environment("Cannot write \(priv.path). Check that its folder exists and is writable.")
        }
        guard FileManager.default.createFile(atPath: pub.path, contents: Data(publicJSON.canonicalBytes + [0x0a])) else {
            throw RehearseError.environment("Cannot write \(pub.path). Check that its folder exists and is writable.")
        }
        return (id, priv, pub)
    }

    package static func readJSON(_ url: URL, what: String) throws -> JSONValue {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw RehearseError.badInput("\(url.path): the \(what) is missing or unreadable.")
        }
        var bytes = [UInt8](data)
        if bytes.last == 0x0a { bytes.removeLast() }
        do {
            return try JSONValue.parseStrict(bytes)
        } catch {
            throw RehearseError.badInput("\(url.path): the \(what) is not strict JSON (\(error)).")
        }
    }

    public static func loadPrivateKey(_ url: URL) throws -> Curve25519.Signing.PrivateKey {
        let json = try readJSON(url, what: "private key")
        guard json["type"]?.stringValue == "ed25519", let b64 = json["private_key"]?.stringValue, let raw = decodeBase64(b64),
              let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw) else {
            throw RehearseError.badInput("\(url.path): not an Ed25519 private key written by 'rehearse keys generate'.")
        }
        return key
    }

    // MARK: Signing

    /// Signs the run folder's evidence (which must validate first), adds the
    /// signature to the envelope, and reseals the folder.
    public static func sign(runDirectory: URL, keyFile: URL) throws -> String {
        let key = try loadPrivateKey(keyFile)
        let report = try Validator().validate(runDirectory: runDirectory)
        guard report.isValid else {
            throw RehearseError(.evidenceRejected, "\(runDirectory.path): the evidence does not validate (\(report.findings.first.map(\.description) ?? "")); rehearse signs only valid evidence.")
        }
        let folder = try RunFolder(directory: runDirectory)
        let payload = folder.file(named: EvidenceWriter.evidenceFile) ?? []
        var signatures: [JSONValue] = []
        if let existing = folder.file(named: envelopeFile) {
            guard let envelope = try? JSONValue.parseStrict(existing), envelope["payload"]?.stringValue.flatMap(decodeBase64) == payload,
                  let sigs = envelope["signatures"]?.arrayValue else {
                throw RehearseError.badInput("\(runDirectory.path)/\(envelopeFile) does not envelope this evidence. Remove it and sign again.")
            }
            signatures = sigs
        }
        let id = keyID(key.publicKey)
        let signature = try key.signature(for: pae(type: payloadType, body: payload))
        signatures.removeAll { $0["keyid"]?.stringValue == id }
        signatures.append(["keyid": .string(id), "sig": .string(signature.base64EncodedString())])
        signatures.sort { ($0["keyid"]?.stringValue ?? "") < ($1["keyid"]?.stringValue ?? "") }
        let envelope: JSONValue = ["payloadType": .string(payloadType), "payload": .string(Data(payload).base64EncodedString()),
                                   "signatures": .array(signatures)]
        do {
            try Data(envelope.canonicalBytes).write(to: runDirectory.appendingPathComponent(envelopeFile), options: .atomic)
        } catch {
            throw RehearseError.environment("Cannot write \(runDirectory.appendingPathComponent(envelopeFile).path): \(SystemErrorText.describe(error)).")
        }
        try Seal.write(directory: runDirectory)
        return id
    }
}

/// Which keys are trusted, and how many of them must have signed.
public struct TrustPolicy: Sendable {
    /// Raw Ed25519 public keys by keyid (the SHA-256 of the raw key).
    public var keys: [String: [UInt8]]
    public var threshold: Int

    public init(keys: [String: [UInt8]], threshold: Int) {
        self.keys = keys
        self.threshold = threshold
    }

    /// Reads a trust file: `{"threshold": N, "keys": [<public key files' contents>]}`.
    public init(file: URL) throws {
        let json = try Signing.readJSON(file, what: "trust file")
        guard let entries = json["keys"]?.arrayValue, let threshold = json["threshold"]?.integerValue, threshold >= 1 else {
            throw RehearseError.badInput("\(file.path): a trust file needs \"keys\" (a list of public keys) and \"threshold\" (1 or more).")
        }
        var keys: [String: [UInt8]] = [:]
        for (i, entry) in entries.enumerated() {
            guard entry["type"]?.stringValue == "ed25519", let b64 = entry["public_key"]?.stringValue, let raw = Signing.decodeBase64(b64),
                  let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else {
                throw RehearseError.badInput("\(file.path): keys[\(i)] is not an Ed25519 public key written by 'rehearse keys generate'.")
            }
            let id = Signing.keyID(key)
            if let claimed = entry["keyid"]?.stringValue, claimed != id {
                throw RehearseError.badInput("\(file.path): keys[\(i)] claims keyid \(claimed) but its key hashes to \(id).")
            }
            keys[id] = raw
        }
        guard Int(threshold) <= keys.count else {
            throw RehearseError.badInput("\(file.path): the threshold \(threshold) is more than the \(keys.count) distinct keys listed; no evidence could ever meet it.")
        }
        self.init(keys: keys, threshold: Int(threshold))
    }
}

extension Validator {
    /// R9: an envelope, when present, wraps exactly evidence.json; with a
    /// trust policy, at least `threshold` distinct trusted keys signed it.
    package static func signatureFindings(_ folder: RunFolder, trust: TrustPolicy?) -> [ValidationFinding] {
        func finding(_ path: String, _ message: String) -> ValidationFinding {
            ValidationFinding(rule: "R9-signature", path: path, message: message)
        }
        guard let bytes = folder.file(named: Signing.envelopeFile) else {
            guard let trust else { return [] }
            return [finding(Signing.envelopeFile, "missing: the trust policy requires \(trust.threshold) signature(s) and the evidence is unsigned")]
        }
        guard let envelope = try? JSONValue.parseStrict(bytes), envelope.canonicalBytes == bytes else {
            return [finding(Signing.envelopeFile, "not strict canonical JSON")]
        }
        guard envelope.objectValue.map({ Set($0.keys) }) == ["payloadType", "payload", "signatures"],
              envelope["payloadType"]?.stringValue == Signing.payloadType,
              let payload = envelope["payload"]?.stringValue.flatMap(Signing.decodeBase64),
              let signatures = envelope["signatures"]?.arrayValue else {
            return [finding(Signing.envelopeFile, "not a DSSE envelope of type \(Signing.payloadType) with payload and signatures")]
        }
        guard payload == folder.file(named: EvidenceWriter.evidenceFile) else {
            return [finding("\(Signing.envelopeFile).payload", "does not hold the bytes of evidence.json")]
        }
        guard let trust else { return [] }
        let message = Signing.pae(type: Signing.payloadType, body: payload)
        var trusted = Set<String>()
        for s in signatures {
            guard let id = s["keyid"]?.stringValue, let raw = trust.keys[id],
                  let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw),
                  let sig = s["sig"]?.stringValue.flatMap(Signing.decodeBase64),
                  key.isValidSignature(sig, for: message) else { continue }
            trusted.insert(id)  // a key counts once, however often it signed
        }
        if trusted.count < trust.threshold {
            return [finding("\(Signing.envelopeFile).signatures", "\(trusted.count) valid signature(s) by distinct trusted keys; the trust policy requires \(trust.threshold)")]
        }
        return []
    }
}
