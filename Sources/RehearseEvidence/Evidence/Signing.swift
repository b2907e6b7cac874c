import Crypto
import Foundation
import RehearseCore

/// Authorship of evidence: Ed25519 signatures in a DSSE envelope
/// (`evidence.dsse.json`) over the exact bytes of `evidence.json`. A seal says
/// the bytes were not changed; a signature by a trusted key says who vouched
/// for them.
package enum Signing {
    package static let envelopeFile = "evidence.dsse.json"
    package static let payloadType = "application/vnd.in-toto+json"

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
    package static func generateKeyPair(prefix: String) throws -> (keyID: String, privateFile: URL, publicFile: URL) {
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

    package static func loadPrivateKey(_ url: URL) throws -> Curve25519.Signing.PrivateKey {
        let json = try readJSON(url, what: "private key")
        guard json["type"]?.stringValue == "ed25519", let b64 = json["private_key"]?.stringValue, let raw = decodeBase64(b64),
              let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw) else {
            throw RehearseError.badInput("\(url.path): not an Ed25519 private key written by 'rehearse keys generate'.")
        }
        return key
    }
}

/// Which keys are trusted, and how many of them must have signed.
public struct TrustPolicy: Sendable {
    /// A trust file (`rehearse keys trust`): the public key files' contents
    /// and the threshold. Each file must be a public key `rehearse keys
    /// generate` wrote, else bad input naming it.
    package static func file(publicKeyFiles: [String], threshold: Int) throws -> JSONValue {
        var keys: [JSONValue] = []
        for path in publicKeyFiles {
            guard let data = FileManager.default.contents(atPath: path),
                  let value = try? JSONValue.parseStrict([UInt8](data).filter { $0 != 0x0a }), value["public_key"] != nil else {
                throw RehearseError(.badInput, "\(path): not a public key file written by 'rehearse keys generate'.")
            }
            keys.append(value)
        }
        return ["threshold": .integer(Int64(threshold)), "keys": .array(keys)]
    }

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
