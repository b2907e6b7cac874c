import Crypto
import Foundation
import RehearseCore
import RehearseEvidence

extension Validator {
    /// R9: an envelope, when present, wraps exactly evidence.json; with a
    /// trust policy, at least `threshold` distinct trusted keys signed it.
    package static func signatureFindings(_ folder: RunFolder, trust: TrustPolicy?) -> [ValidationFinding] {
        signatureFindings(folder, trust: trust, payloadFile: EvidenceWriter.evidenceFile, envelopeFile: Signing.envelopeFile,
                          payloadType: Signing.payloadType)
    }

    /// R9 for any signed file of a folder: `envelopeFile`, when present, is a
    /// DSSE envelope of `payloadType` over exactly `payloadFile`'s bytes; with
    /// a trust policy, enough distinct trusted keys signed it.
    package static func signatureFindings(_ folder: RunFolder, trust: TrustPolicy?, payloadFile: String, envelopeFile: String,
                                          payloadType: String) -> [ValidationFinding] {
        func finding(_ path: String, _ message: String) -> ValidationFinding {
            ValidationFinding(rule: "R9-signature", path: path, message: message)
        }
        guard let bytes = folder.file(named: envelopeFile) else {
            guard let trust else { return [] }
            return [finding(envelopeFile, "missing: the trust policy requires \(trust.threshold) signature(s) and \(payloadFile == EvidenceWriter.evidenceFile ? "the evidence" : payloadFile) is unsigned")]
        }
        guard let envelope = try? JSONValue.parseStrict(bytes), envelope.canonicalBytes == bytes else {
            return [finding(envelopeFile, "not strict canonical JSON")]
        }
        guard envelope.objectValue.map({ Set($0.keys) }) == ["payloadType", "payload", "signatures"],
              envelope["payloadType"]?.stringValue == payloadType,
              let payload = envelope["payload"]?.stringValue.flatMap(Signing.decodeBase64),
              let signatures = envelope["signatures"]?.arrayValue else {
            return [finding(envelopeFile, "not a DSSE envelope of type \(payloadType) with payload and signatures")]
        }
        guard payload == folder.file(named: payloadFile) else {
            return [finding("\(envelopeFile).payload", "does not hold the bytes of \(payloadFile)")]
        }
        guard let trust else { return [] }
        let message = Signing.pae(type: payloadType, body: payload)
        var trusted = Set<String>()
        for s in signatures {
            guard let id = s["keyid"]?.stringValue, let raw = trust.keys[id],
                  let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw),
                  let sig = s["sig"]?.stringValue.flatMap(Signing.decodeBase64),
                  key.isValidSignature(sig, for: message) else { continue }
            trusted.insert(id)  // a key counts once, however often it signed
        }
        if trusted.count < trust.threshold {
            return [finding("\(envelopeFile).signatures", "\(trusted.count) valid signature(s) by distinct trusted keys; the trust policy requires \(trust.threshold)")]
        }
        return []
    }
}

extension Signing {
    // MARK: Signing

    /// Signs the run folder's evidence (which must validate first), adds the
    /// signature to the envelope, and reseals the folder.
    package static func sign(runDirectory: URL, keyFile: URL) throws -> String {
        let key = try loadPrivateKey(keyFile)
        let report = try Validator().validate(runDirectory: runDirectory)
        guard report.isValid else {
            throw RehearseError(.evidenceRejected, "\(runDirectory.path): the evidence does not validate (\(report.findings.first.map(\.description) ?? "")); rehearse signs only valid evidence.")
        }
        return try addSignature(directory: runDirectory, key: key, payloadFile: EvidenceWriter.evidenceFile, envelopeFile: envelopeFile,
                                payloadType: payloadType)
    }

    /// Adds `key`'s signature over `payloadFile` to the folder's envelope
    /// (creating it), then reseals the folder. The caller has validated it.
    package static func addSignature(directory runDirectory: URL, key: Curve25519.Signing.PrivateKey, payloadFile: String,
                                     envelopeFile: String, payloadType: String) throws -> String {
        let folder = try RunFolder(directory: runDirectory)
        let payload = folder.file(named: payloadFile) ?? []
        var signatures: [JSONValue] = []
        if let existing = folder.file(named: envelopeFile) {
            guard let envelope = try? JSONValue.parseStrict(existing), envelope["payload"]?.stringValue.flatMap(decodeBase64) == payload,
                  let sigs = envelope["signatures"]?.arrayValue else {
                throw RehearseError.badInput("\(runDirectory.path)/\(envelopeFile) does not envelope this \(payloadFile). Remove it and sign again.")
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
