import Crypto
import Foundation
import RehearseCore

/// A grant: the operator's signed permission to run under a lane other than the
/// default, for one exact dump. It is a DSSE envelope (the form evidence
/// signatures already use) around a canonical JSON statement:
///
///     {"engine":"postgres","issuer":"…","lane":"AUTHORIZE_OPERATOR_REAL_DATA_CLONE_HANDOFF",
///      "nonce":"<64 hex>","not_after":<unix seconds>,"not_before":<unix seconds>,
///      "subject":{"sha256":"<dump SHA-256>"},"type":"rehearse-grant/v1"}
///
/// Both the envelope and the statement must be exactly their canonical bytes,
/// so one grant has one digest, and nothing but the signed fields can change
/// what it means. Schema: schemas/grant.schema.json.
package struct GrantStatement: Sendable, Equatable {
    package static let type = "rehearse-grant/v1"
    package static let payloadType = "application/vnd.rehearse.grant+json"
    package static let engines = ["postgres", "sqlite"]

    package var lane: Lane
    package var subjectSHA256: String
    package var issuer: String
    package var notBefore: Int64
    package var notAfter: Int64
    package var nonce: String
    package var engine: String

    package init(lane: Lane, subjectSHA256: String, issuer: String, notBefore: Int64, notAfter: Int64, nonce: String, engine: String) {
        self.lane = lane
        self.subjectSHA256 = subjectSHA256
        self.issuer = issuer
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.nonce = nonce
        self.engine = engine
    }

    package var json: JSONValue {
        [
            "type": .string(Self.type), "lane": .string(lane.rawValue), "subject": ["sha256": .string(subjectSHA256)],
            "issuer": .string(issuer), "not_before": .integer(notBefore), "not_after": .integer(notAfter),
            "nonce": .string(nonce), "engine": .string(engine),
        ]
    }

    /// A fresh 256-bit nonce, so two grants for the same dump and window
    /// still have different digests and the evidence says which one was used.
    package static func freshNonce() -> String {
        Digest.hex(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })
    }

    /// Reads a statement, accepting only the exact field set with checked
    /// domains. `problem` says what is wrong, for a refusal sentence.
    package static func parse(_ value: JSONValue) -> Result<GrantStatement, GrantProblem> {
        let expected: Set<String> = ["type", "lane", "subject", "issuer", "not_before", "not_after", "nonce", "engine"]
        guard let members = value.objectValue else { return .failure(.malformed("the signed statement is not a JSON object")) }
        let keys = Set(members.keys)
        guard keys == expected else {
            let extra = keys.subtracting(expected).sorted(), missing = expected.subtracting(keys).sorted()
            return .failure(.malformed("the signed statement's fields are wrong (missing: \(missing.isEmpty ? "none" : missing.joined(separator: ", ")); unknown: \(extra.isEmpty ? "none" : extra.map(RunFolder.display).joined(separator: ", ")))"))
        }
        guard value["type"]?.stringValue == type else { return .failure(.malformed("\"type\" is not \(type)")) }
        guard let laneName = value["lane"]?.stringValue, let lane = Lane(rawValue: laneName) else {
            return .failure(.malformed("\"lane\" is not one of the five lane names"))
        }
        guard value["subject"]?.objectValue.map({ Set($0.keys) }) == ["sha256"], let subject = value["subject"]?["sha256"]?.stringValue,
              Digest.isSHA256Hex(subject) else {
            return .failure(.malformed("\"subject\" is not {\"sha256\": <64 lowercase hex digits>}"))
        }
        guard let issuer = value["issuer"]?.stringValue, !issuer.isEmpty, issuer.utf8.count <= 200,
              !issuer.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            return .failure(.malformed("\"issuer\" is not a name of 1 to 200 bytes without control characters"))
        }
        guard let notBefore = value["not_before"]?.integerValue, let notAfter = value["not_after"]?.integerValue, notBefore >= 0, notBefore < notAfter else {
            return .failure(.malformed("\"not_before\" and \"not_after\" are not Unix seconds with not_before < not_after"))
        }
        guard let nonce = value["nonce"]?.stringValue, Digest.isSHA256Hex(nonce) else {
            return .failure(.malformed("\"nonce\" is not 64 lowercase hex digits"))
        }
        guard let engine = value["engine"]?.stringValue, engines.contains(engine) else {
            return .failure(.malformed("\"engine\" is not postgres or sqlite"))
        }
        return .success(GrantStatement(lane: lane, subjectSHA256: subject, issuer: issuer, notBefore: notBefore, notAfter: notAfter, nonce: nonce, engine: engine))
    }
}

/// Why a grant was refused: each case is one sentence naming what failed.
package enum GrantProblem: Error, Equatable, Sendable {
    case malformed(String)
    case signature(String)
    case threshold(have: Int, need: Int)
    case notYetValid(notBefore: Int64, now: Int64)
    case expired(notAfter: Int64, now: Int64)
    case wrongLane(granted: Lane, needed: Lane)
    case wrongSubject(granted: String, actual: String)
    case wrongEngine(granted: String, requested: String)

    package var sentence: String {
        switch self {
        case .malformed(let what): "it is not a well-formed grant: \(what)"
        case .signature(let what): "a signature does not verify: \(what)"
        case .threshold(let have, let need):
            "it carries \(have) valid signature(s) by distinct trusted keys; the trust file requires \(need)"
        case .notYetValid(let notBefore, let now):
            "it is not valid yet: not_before is \(GrantClock.describe(notBefore)), now is \(GrantClock.describe(now))"
        case .expired(let notAfter, let now):
            "it has expired: not_after was \(GrantClock.describe(notAfter)), now is \(GrantClock.describe(now))"
        case .wrongLane(let granted, let needed):
            "it grants lane \(granted.number) \(granted.rawValue), and this request needs lane \(needed.number) \(needed.rawValue)"
        case .wrongSubject(let granted, let actual):
            "it is bound to the dump with SHA-256 \(granted), and the dump given has SHA-256 \(actual); a grant is for one exact dump"
        case .wrongEngine(let granted, let requested):
            "it grants the \(granted) engine, and this run asks for \(requested)"
        }
    }
}

/// UTC times for refusal sentences, in one fixed form.
package enum GrantClock {
    package static func describe(_ seconds: Int64) -> String {
        let f = ISO8601DateFormatter()
        f.timeZone = TimeZone(identifier: "UTC")
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }

    /// Accepts `2026-11-30T18:00:00Z` or Unix seconds.
    package static func parse(_ text: String) -> Int64? {
        if let n = Int64(text), n >= 0 { return n }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: text).map { Int64($0.timeIntervalSince1970) }
    }
}
