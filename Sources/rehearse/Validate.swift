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
    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-check a run folder: seal, strict JSON, schema, inputs, phases, verdict, tag, isolation.",
            discussion: """
                Plain validation proves the evidence is intact and consistent with its sealed inputs; --replay \
                proves its claim is true by running the rehearsal again; --trust proves who made it. \
                A dump clone replays only with its dump and the trust file its grant verifies under: \
                --replay --dump PATH --trust FILE (the dump must hash to the recorded SHA-256). \
                Exit 0: valid evidence of a PASS. Exit 1: valid evidence of a FAIL. Exit 5: evidence rejected. \
                Exit 3: replay refused (another dump, a grant that does not verify, a dump the gate refuses).
                """
        )

        @Argument(help: ArgumentHelp("A run folder written by a rehearsal.", valueName: "RUN_DIR"))
        var runDirectory: String

        @Option(name: .long, help: ArgumentHelp("Trust file: require signatures by enough of its keys (see 'rehearse keys trust').", valueName: "FILE"))
        var trust: String?

        @Flag(name: .long, help: "Also regenerate the surrogate from the run's inputs, seed and scale, and confirm its pre-birth fingerprint.")
        var reproduce = false

        @Flag(name: .long, help: "Also run the whole rehearsal again from the sealed inputs in a fresh scratch database of the recorded engine (PostgreSQL: a private ephemeral cluster) and require the fingerprints, drift, checks and verdict to come out as recorded.")
        var replay = false

        @Option(name: .long, help: ArgumentHelp("With --replay of a dump clone (and --trust): the dump the run restored. It must hash to the recorded source.dump_sha256 and pass the run's gate again under its sealed grant (the grant's window judged at the run's start).", valueName: "PATH"))
        var dump: String?

        @Option(name: .long, help: ArgumentHelp("With --replay --dump: the reviewed secret-scan allowlist the run used, if any.", valueName: "FILE"))
        var allowlist: String?

        @Option(name: .customLong("pg-bindir"), help: ArgumentHelp("With --reproduce or --replay of a PostgreSQL run: directory with initdb, pg_ctl and postgres.", valueName: "DIR"))
        var pgBindir: String?

        @Option(name: .long, help: ArgumentHelp("With a migrations walk: also require the walk's inventory to be this migrations directory as it is now (every file, its kind and SHA-256).", valueName: "DIR"))
        var against: String?

        @Option(name: .customLong("pg-user"), help: ArgumentHelp("With --replay --dump as root: the system user the scratch server runs as and reads the dump as (default postgres).", valueName: "USER"))
        var pgUser: String?

        @Option(name: .long, help: "Output format: text or json.")
        var format: OutputFormat = .text

        func run() throws {
            if MigrationWalkValidator.isWalk(URL(fileURLWithPath: runDirectory)) { return try validateWalk() }
            if against != nil { throw RehearseError.badInput("--against compares a migrations walk's inventory with a directory; \(runDirectory) is not a walk folder (it holds no walk.json).") }
            let policy = try trust.map { try TrustPolicy(file: URL(fileURLWithPath: $0)) }
            // One snapshot of the folder: every mode checks the same bytes.
            let folder = try RunFolder(directory: URL(fileURLWithPath: runDirectory))
            var report = Validator(trust: policy).validate(folder)
            // Rebuilding needs evidence that is intact and consistent; rejected
            // evidence is not run again.
            if report.isValid && reproduce {
                report.findings += try Reproduction.check(folder, postgres: .ephemeral(bindir: pgBindir))
            }
            if (dump != nil || allowlist != nil) && !replay {
                throw RehearseError(.badInput, "--dump and --allowlist go with --replay (replaying a dump clone): add --replay, or leave them out.")
            }
            if report.isValid && replay {
                report.findings += try replayFindings(folder)
            }
            let notes = [DumpCloneNotes.unverifiedGrant(folder, trustGiven: policy != nil),
                         replay && dump != nil && report.isValid ? DumpReplay.expiredGrantNote(folder, now: Int64(Date().timeIntervalSince1970)) : nil].compactMap { $0 }
            switch format {
            case .json:
                var fields: [String: JSONValue] = [
                    "valid": .bool(report.isValid),
                    "verdict": .string(report.verdict.rawValue),
                    "claimed_verdict": report.claimedVerdict.map { .string($0.rawValue) } ?? .null,
                    "findings": .array(report.findings.map(\.json)),
                ]
                if !notes.isEmpty { fields["notes"] = .array(notes.map { .string($0) }) }
                Console.out(JSONValue.object(fields).canonicalString)
            case .text:
                if report.isValid {
                    let v = Console.mark(report.verdict)
                    Console.out("\(runDirectory): evidence valid; verdict \(v)")
                } else {
                    Console.out("\(runDirectory): evidence " + Console.red("REJECTED") + " (\(report.findings.count) findings)")
                    for f in report.findings { Console.out("  \(f)") }
                }
                for n in notes { Console.out("  note: " + n) }
            }
            let status = ExitStatus.of(valid: report.isValid, verdict: report.verdict)
            if status != 0 { throw ExitCode(status) }
        }

        /// --replay: a surrogate run is regenerated; a dump clone needs the
        /// dump (--dump) and the trust file its grant must verify under.
        func replayFindings(_ folder: RunFolder) throws -> [ValidationFinding] {
            let postgres = PostgresTarget.ephemeral(bindir: pgBindir, runAs: pgUser)
            guard DumpReplay.isDumpClone(folder) else {
                if dump != nil {
                    throw RehearseError(.badInput, "--dump is for replaying a dump clone, and \(runDirectory) is a surrogate run: replay it without --dump.")
                }
                return try Replay.check(folder, postgres: postgres)
            }
            guard let dump, let trust else {
                let digest = DumpReplay.recordedDigest(folder) ?? "?"
                throw RehearseError(.badInput, "\(runDirectory) is a dump clone: real data is never sealed into evidence, so replaying it needs the dump itself and the trust file its grant must verify under. Give --dump PATH (the dump with SHA-256 \(digest)) and --trust FILE: rehearse validate --replay --dump PATH --trust FILE \(runDirectory)")
            }
            let list = try allowlist.map(SecretAllowlist.init(file:)) ?? .none
            return try DumpReplay.check(folder, shown: runDirectory, request: .init(dump: dump, trustFile: trust, allowlist: list, bindir: pgBindir, pgUser: pgUser),
                                        postgres: postgres)
        }

        /// A `rehearse migrations` walk folder: its seal, walk.json and every step's run folder.
        func validateWalk() throws {
            if dump != nil || allowlist != nil {
                throw RehearseError(.badInput, "\(runDirectory) is a migrations walk, whose steps are surrogate runs; --dump and --allowlist are for replaying a dump clone. Leave them out.")
            }
            let policy = try trust.map { try TrustPolicy(file: URL(fileURLWithPath: $0)) }
            var (findings, status) = try MigrationWalkValidator.validate(URL(fileURLWithPath: runDirectory), trust: policy)
            if findings.isEmpty, let against {
                findings += try MigrationWalkAgainst.check(walk: URL(fileURLWithPath: runDirectory), directory: URL(fileURLWithPath: against))
                if !findings.isEmpty { status = RehearseError.Code.evidenceRejected.exitStatus }
            }
            // --reproduce and --replay check every step's run folder, once the walk itself is valid.
            if findings.isEmpty && (reproduce || replay) {
                findings += try MigrationWalkValidator.checkSteps(URL(fileURLWithPath: runDirectory), reproduce: reproduce, replay: replay,
                                                                  postgres: .ephemeral(bindir: pgBindir))
                if !findings.isEmpty { status = RehearseError.Code.evidenceRejected.exitStatus }
            }
            switch format {
            case .json:
                // What the walk covers (checked fields only), when it is valid.
                let coverage = findings.isEmpty ? MigrationWalkValidator.coverage(URL(fileURLWithPath: runDirectory), trusted: policy != nil)?.json : nil
                Console.out(JSONValue.object(["valid": .bool(findings.isEmpty), "walk_exit_status": .integer(Int64(status)),
                                              "findings": .array(findings.map(\.json)), "walk": coverage ?? .null]).canonicalString)
            case .text:
                if findings.isEmpty {
                    Console.out("\(runDirectory): walk evidence valid; walk exit status \(status)")
                    // What the walk covers, so a walk of a narrower range is seen as one.
                    if let coverage = MigrationWalkValidator.coverage(URL(fileURLWithPath: runDirectory), trusted: policy != nil) { Console.out("  " + coverage.text) }
                } else {
                    Console.out("\(runDirectory): walk evidence " + Console.red("REJECTED") + " (\(findings.count) findings)")
                    for f in findings { Console.out("  \(f)") }
                }
            }
            if status != 0 { throw ExitCode(status) }
        }
    }
}
