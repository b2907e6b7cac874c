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
    /// `rehearse scan DUMP`: the secret-free gate on its own, so an operator
    /// can clean a dump before asking for a grant.
    struct Scan: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Scan a dump for secrets (exit 0 clean, 3 with findings); prints its SHA-256 for a grant.",
            discussion: "Findings name the rule and the table.column or line and byte offset, and a fingerprint that includes a hash of the value; the value itself is never printed. List reviewed false positives' fingerprints in an --allowlist file."
        )

        @Argument(help: ArgumentHelp("The dump: plain, custom, directory or tar pg_dump, or an SQLite database file.", valueName: "DUMP"))
        var dump: String

        @Option(name: .long, help: ArgumentHelp("File of reviewed finding fingerprints to suppress, one per line.", valueName: "FILE"))
        var allowlist: String?

        @Option(name: .customLong("pg-bindir"), help: ArgumentHelp("Directory with pg_restore (for archive dumps).", valueName: "DIR"))
        var pgBindir: String?

        @Option(name: .long, help: "Output format: text or json.")
        var format: OutputFormat = .text

        func run() throws {
            let list = try allowlist.map(SecretAllowlist.init(file:)) ?? .none
            let outcome = try DumpScanCommand.run(dump: dump, allowlist: list, bindir: pgBindir)
            let r = outcome.report
            switch format {
            case .json:
                let json: JSONValue = ["dump_sha256": .string(outcome.digest), "format": .string(outcome.format.rawValue), "clean": .bool(r.isClean),
                                       "scan": r.evidenceJSON, "findings": .array(r.findings.map(\.json))]
                Console.out(json.canonicalString)
            case .text:
                Console.out("dump \(dump): \(outcome.format.rawValue), sha256 \(outcome.digest)")
                Console.out("scanned \(r.bytesScanned) bytes with \(SecretRules.scannerVersion) (rules \(SecretRules.digest.prefix(16))…): \(r.findingCount) finding(s), \(r.suppressedCount) allowlisted")
                for f in r.findings { Console.out("  \(f.rule) at \(f.location) fingerprint \(f.fingerprint)") }
                if r.findingCount > r.findings.count { Console.out("  … and \(r.findingCount - r.findings.count) more") }
                Console.out(r.isClean ? "secret-free: a grant may name sha256 \(outcome.digest)" : "NOT secret-free: remove the secrets, or allowlist reviewed false positives by fingerprint")
            }
            if !r.isClean { throw ExitCode(RehearseError.Code.refused.exitStatus) }
        }
    }
}
