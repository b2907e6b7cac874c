import RehearseCore
import RehearseEvidence

/// The structure evidence must have, checked field by field. It mirrors
/// `schemas/evidence.schema.json`; a test keeps the two in step.
package indirect enum EvidenceShape: Sendable {
    case string, integer, bool, null, sha256
    case enumeration([String])
    case nullable(EvidenceShape)
    case array(EvidenceShape)
    /// Closed object: required and optional members; anything else is refused.
    case object(required: [String: EvidenceShape], optional: [String: EvidenceShape] = [:])
    /// Object with free keys, all values of one shape.
    case map(EvidenceShape)

    package func check(_ value: JSONValue, at path: String, into findings: inout [ValidationFinding]) {
        func fail(_ message: String) { findings.append(ValidationFinding(rule: "R1-schema", path: path, message: message)) }
        switch (self, value) {
        case (.string, .string), (.integer, .integer), (.bool, .bool), (.null, .null): return
        case (.sha256, .string(let s)):
            if !Digest.isSHA256Hex(s) { fail("expected 64 lowercase hex digits") }
        case (.enumeration(let allowed), .string(let s)):
            if !allowed.contains(s) { fail("'\(s)' is not one of \(allowed.joined(separator: ", "))") }
        case (.nullable, .null): return
        case (.nullable(let inner), _): inner.check(value, at: path, into: &findings)
        case (.array(let item), .array(let items)):
            for (i, v) in items.enumerated() { item.check(v, at: "\(path)[\(i)]", into: &findings) }
        case (.object(let required, let optional), .object(let members)):
            for key in required.keys.sorted() where members[key] == nil { fail("required field '\(key)' is missing") }
            for key in members.keys.sorted() {
                guard let shape = required[key] ?? optional[key] else { fail("unknown field '\(key)'"); continue }
                shape.check(members[key]!, at: "\(path).\(key)", into: &findings)
            }
        case (.map(let inner), .object(let members)):
            for key in members.keys.sorted() { inner.check(members[key]!, at: "\(path).\(key)", into: &findings) }
        default:
            fail("expected \(name), found \(Self.describe(value))")
        }
    }

    package var name: String {
        switch self {
        case .string: "a string"
        case .integer: "an integer"
        case .bool: "true or false"
        case .null: "null"
        case .sha256: "a SHA-256 hex digest"
        case .enumeration(let v): "one of \(v.joined(separator: ", "))"
        case .nullable(let s): "\(s.name) or null"
        case .array: "an array"
        case .object, .map: "an object"
        }
    }

    package static func describe(_ v: JSONValue) -> String {
        switch v {
        case .null: "null"
        case .bool: "a boolean"
        case .integer: "an integer"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    package static let statement = EvidenceShape.object(required: ["line": .integer, "duration_us": .integer, "rows_changed": .integer],
                                                  optional: ["effect": .enumeration(StatementEffect.Kind.allCases.map(\.rawValue)), "matched_rows": .nullable(.integer)])
    package static let unexercised = EvidenceShape.object(required: ["line": .nullable(.integer), "statement": .string, "reason": .string])
    package static let check = EvidenceShape.object(required: ["name": .string, "file": .string, "line": .integer,
                                                       "outcome": .enumeration(["pass", "fail"]), "returned": .string])
    package static let fingerprint = EvidenceShape.object(required: [
        "schema_digest": .sha256, "data_digest": .sha256, "objects": .map(.sha256),
        "tables": .map(.object(required: ["rows": .integer, "digest": .sha256])),
    ], optional: ["residue": .array(.string)])
    /// What the engine saw a script do (PostgreSQL): tables rewritten, the
    /// strongest lock per relation, rows per table.
    package static let observed = EvidenceShape.object(required: [
        "transactional": .bool,
        "rewritten": .array(.string),
        "locks": .map(.string),
        "rows": .map(.object(required: ["inserted": .integer, "updated": .integer, "deleted": .integer])),
    ])
    package static let drift = EvidenceShape.object(required: [
        "schema": .array(.object(required: ["kind": .string, "name": .string, "change": .enumeration(["added", "removed", "changed"]),
                                            "details": .array(.string)])),
        "data": .array(.object(required: [
            "table": .string, "rows_before": .nullable(.integer), "rows_after": .nullable(.integer),
            "added": .nullable(.integer), "removed": .nullable(.integer), "changed": .nullable(.integer),
            "columns": .map(.integer), "sample_keys": .array(.string), "matched_by": .nullable(.string), "note": .nullable(.string),
        ])),
    ])

    /// The rehearsal record. Unknown fields anywhere in it are refused.
    package static let predicate = EvidenceShape.object(required: [
        "tool": .object(required: ["name": .enumeration(["rehearse"]), "version": .string]),
        "run_id": .string,
        "started_at": .string,
        "lane": .enumeration(Lane.allCases.map(\.rawValue)),
        // Which source fields a kind must and must not have is R18's.
        "grant": .nullable(.object(required: [
            "digest": .sha256, "nonce": .sha256, "lane": .enumeration(Lane.allCases.map(\.rawValue)), "subject_sha256": .sha256,
            "issuer": .string, "not_before": .integer, "not_after": .integer, "engine": .string, "signed_by": .array(.sha256),
        ])),
        "source": .object(required: [
            "kind": .enumeration(["surrogate", "dump_clone"]), "tag": .string, "name": .string, "rows": .map(.integer),
        ], optional: [
            "generator": .string, "spec_digest": .sha256, "seed": .integer, "scale": .string,
            "roles": .map(.enumeration(["scratch owner", "created NOLOGIN", "existing"])),
            "dump_name": .string, "dump_sha256": .sha256, "format": .enumeration(["plain", "custom", "directory", "tar", "sqlite"]), "restore_tool": .string,
            "secret_scan": .object(required: ["scanner_version": .string, "rules_digest": .sha256, "finding_count": .integer,
                                              "suppressed_count": .integer, "allowlist_digest": .nullable(.sha256), "bytes_scanned": .integer]),
        ]),
        "engine": .object(required: ["name": .string, "version": .string]),
        "target": .object(required: ["kind": .string, "network": .string],
                          optional: ["private_temporary_directory": .bool, "listen_addresses": .string, "settings": .map(.string),
                                     "run_as": .string, "host": .string, "database": .string,
                                     "server_address": .nullable(.string), "socket_directory": .string, "address": .string, "port": .string]),
        "inputs": .map(.object(required: ["subject": .string, "source_path": .string])),
        "phases": .array(.object(required: ["name": .enumeration(Phase.allCases.map(\.rawValue)),
                                            "outcome": .enumeration(["ok", "failed", "skipped"]),
                                            "duration_us": .integer, "detail": .string])),
        "statements": .object(required: ["birth": .array(statement), "rollback": .array(statement)]),
        "checks": .object(required: ["after_birth": .array(check), "after_rollback": .array(check)]),
        "fingerprints": .object(required: ["pre": .nullable(fingerprint), "born": .nullable(fingerprint), "post": .nullable(fingerprint)]),
        "birth_surface": .nullable(drift),
        "drift": .nullable(drift),
        "failure": .nullable(.object(required: ["phase": .enumeration(Phase.allCases.map(\.rawValue)), "message": .string])),
        "verdict": .enumeration(Verdict.allCases.map(\.rawValue)),
    ], optional: [
        "observed": .object(required: ["birth": .nullable(observed), "rollback": .nullable(observed)]),
        "unexercised": .array(unexercised),
    ])

    /// The in-toto Statement v1 envelope around it. Subjects carry a SHA-256
    /// and nothing else: a digest set without SHA-256 (md5 alone, say) is refused.
    package static let evidence = EvidenceShape.object(required: [
        "_type": .enumeration([EvidenceFormat.statementType]),
        "subject": .array(.object(required: ["name": .string, "digest": .object(required: ["sha256": .sha256])])),
        "predicateType": .enumeration([EvidenceFormat.predicateType]),
        "predicate": predicate,
    ])
}
