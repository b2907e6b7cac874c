import ArgumentParser
import Foundation
import RehearseCore
import RehearseEngine
import RehearseEvidence
import RehearseKit
import RehearsePostgres
import RehearseSQLite
import RehearseSurrogate
import RehearseValidator

extension Rehearse {
    /// `rehearse grant create | sign | verify`: the operator's side of lane 2.
    struct GrantCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "grant",
            abstract: "Create, sign and verify grants: signed permission to rehearse on one exact dump under lane 2.",
            discussion: "A grant binds lane, dump SHA-256, issuer, validity window, engine and a nonce; it is a DSSE envelope signed with keys from 'rehearse keys generate'. Schema: schemas/grant.schema.json.",
            subcommands: [Create.self, SignGrant.self, Verify.self]
        )

        struct Create: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Write an unsigned grant for one dump (sign it with 'rehearse grant sign').")

            @Option(name: .long, help: ArgumentHelp("The dump the grant is for; its SHA-256 becomes the subject.", valueName: "PATH"))
            var dump: String?

            @Option(name: .long, help: ArgumentHelp("The dump's SHA-256, when the dump is not at hand.", valueName: "SHA256"))
            var subject: String?

            @Option(name: .long, help: "Who grants: a name or role, recorded in the evidence.")
            var issuer: String

            @Option(name: .long, help: ArgumentHelp("The lane granted, by number or name (only lane 2 in this version).", valueName: "LANE"))
            var lane: Lane = .operatorRealDataCloneHandoff

            @Option(name: .long, help: "Engine the dump may be restored into: postgres or sqlite.")
            var engine: Rehearse.Run.EngineName

            @Option(name: .customLong("not-before"), help: ArgumentHelp("Start of validity, RFC 3339 UTC (2026-11-30T18:00:00Z) or Unix seconds (default: now).", valueName: "TIME"))
            var notBefore: String?

            @Option(name: .customLong("not-after"), help: ArgumentHelp("End of validity (exclusive), RFC 3339 UTC or Unix seconds.", valueName: "TIME"))
            var notAfter: String?

            @Option(name: .customLong("valid-hours"), help: "Hours of validity from not-before, when --not-after is not given (default: 24).")
            var validHours: Int?

            @Option(name: .long, help: ArgumentHelp("File to write (never overwritten).", valueName: "FILE"))
            var out: String

            func validate() throws {
                if (dump == nil) == (subject == nil) { throw ValidationError("Give exactly one of --dump PATH or --subject SHA256.") }
                if notAfter != nil && validHours != nil { throw ValidationError("Give --not-after or --valid-hours, not both.") }
                if let validHours, !(1...8784).contains(validHours) { throw ValidationError("--valid-hours must be between 1 and 8784 (a year).") }
            }

            func run() throws {
                try Governance.requireGrantable(lane)
                let now = Int64(Date().timeIntervalSince1970)
                let digest: String
                if let dump {
                    digest = try DumpDigest.of(path: dump)
                } else {
                    guard let subject, subject.count == 64, subject.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else {
                        throw RehearseError(.badInput, "--subject must be a SHA-256 in 64 lowercase hex digits, as 'rehearse scan' and sha256sum print it.")
                    }
                    digest = subject
                }
                guard let start = notBefore.map(GrantClock.parse) ?? now else {
                    throw RehearseError(.badInput, "--not-before '\(notBefore ?? "")' is not an RFC 3339 UTC time (2026-11-30T18:00:00Z) or Unix seconds.")
                }
                let end: Int64
                if let notAfter {
                    guard let parsed = GrantClock.parse(notAfter) else {
                        throw RehearseError(.badInput, "--not-after '\(notAfter)' is not an RFC 3339 UTC time (2026-11-30T18:00:00Z) or Unix seconds.")
                    }
                    end = parsed
                } else {
                    end = start + Int64(validHours ?? 24) * 3600
                }
                guard start < end else { throw RehearseError(.badInput, "The validity window is empty: not-before \(GrantClock.describe(start)) is not before not-after \(GrantClock.describe(end)).") }
                let statement = GrantStatement(lane: lane, subjectSHA256: digest, issuer: issuer, notBefore: start, notAfter: end,
                                               nonce: GrantStatement.freshNonce(), engine: engine.rawValue)
                let bytes = try GrantAuthoring.create(statement)
                try OutputLocation.createNew(out, bytes, what: "a grant")
                Console.out("grant \(out): lane \(lane.number) for dump sha256 \(digest), engine \(engine.rawValue), valid \(GrantClock.describe(start)) to \(GrantClock.describe(end)); unsigned: sign it with 'rehearse grant sign \(out) --key FILE'")
            }
        }

        struct SignGrant: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "sign", abstract: "Add an Ed25519 signature to a grant (rewritten in place).")

            @Argument(help: ArgumentHelp("The grant file.", valueName: "GRANT"))
            var grant: String

            @Option(name: .long, help: ArgumentHelp("Private key file (PREFIX.key).", valueName: "FILE"))
            var key: String

            func run() throws {
                let bytes = try GrantVerifier.read(grant)
                let key = try Signing.loadPrivateKey(URL(fileURLWithPath: self.key))
                let signed = try GrantAuthoring.sign(bytes, file: grant, key: key)
                do {
                    try Data(signed.bytes).write(to: URL(fileURLWithPath: grant), options: .atomic)
                } catch {
                    throw RehearseError(.environment, "Cannot rewrite \(grant): \(SystemErrorText.describe(error)).")
                }
                Console.out("\(grant): signed by \(signed.keyID)")
            }
        }

        struct Verify: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Check a grant against a trust file, now, and optionally the dump it is for (exit 0 valid, 3 refused).")

            @Argument(help: ArgumentHelp("The grant file.", valueName: "GRANT"))
            var grant: String

            @Option(name: .long, help: ArgumentHelp("Trust file (from 'rehearse keys trust').", valueName: "FILE"))
            var trust: String

            @Option(name: .long, help: ArgumentHelp("The dump: its SHA-256 must be the grant's subject.", valueName: "PATH"))
            var dump: String?

            @Option(name: .long, help: "The engine the run will use: it must be the granted one.")
            var engine: Rehearse.Run.EngineName?

            @Option(name: .long, help: "Output format: text or json.")
            var format: OutputFormat = .text

            func run() throws {
                let now = Int64(Date().timeIntervalSince1970)
                let policy = try TrustPolicy(file: URL(fileURLWithPath: trust))
                let bytes = try GrantVerifier.read(grant)
                let digest = try dump.map(DumpDigest.of(path:))
                let verified = try GrantVerifier.require(bytes, file: grant, trust: policy, now: now, lane: .operatorRealDataCloneHandoff,
                                                         subjectSHA256: digest, engine: engine?.rawValue)
                switch format {
                case .json:
                    var json = verified.evidenceJSON.objectValue ?? [:]
                    json["valid"] = .bool(true)
                    json["checked_at"] = .integer(now)
                    json["subject_checked"] = .bool(digest != nil)
                    Console.out(JSONValue.object(json).canonicalString)
                case .text:
                    let s = verified.statement
                    Console.out("grant valid: lane \(s.lane.number) \(s.lane.rawValue), issuer \(RunFolder.display(s.issuer)), engine \(s.engine)")
                    Console.out("  subject sha256 \(s.subjectSHA256)" + (digest == nil ? " (not compared: give --dump PATH to check it)" : " (matches the dump given)"))
                    Console.out("  valid \(GrantClock.describe(s.notBefore)) to \(GrantClock.describe(s.notAfter)); checked at \(GrantClock.describe(now))")
                    Console.out("  signed by \(verified.keyIDs.count) trusted key(s), threshold \(policy.threshold): \(verified.keyIDs.joined(separator: ", "))")
                    Console.out("  grant digest \(verified.digest), nonce \(s.nonce)")
                }
            }
        }
    }
}
