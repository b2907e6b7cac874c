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
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rehearse a birth and rollback on a scratch database (the default command).",
            discussion: """
                With no source given, rehearses the bundled 'commerce' surrogate. A surrogate is a name \
                (looked up in ../share/rehearse/surrogates beside the binary, then $REHEARSE_SURROGATES_PATH, then ./surrogates) or a \
                directory holding a manifest.yaml.
                """
        )

        @Flag(name: .long, help: "Rehearse on a generated surrogate (the default source).")
        var surrogate = false

        @Argument(help: ArgumentHelp("Surrogate name or directory (default: commerce).", valueName: "NAME|DIR"))
        var target: String?

        @Option(name: .long, help: ArgumentHelp("Rehearse on a restored clone of a real dump (needs lane 2 and a grant; refused under the default lane).", valueName: "PATH"))
        var dump: String?

        @Option(name: .long, help: ArgumentHelp("Lane to run under, by number or name (default: HOLD_REAL_DATA; see 'rehearse lanes'). Lane 5 is never selectable.", valueName: "LANE"))
        var lane: Lane?

        @Option(name: .long, help: ArgumentHelp("Grant for --dump: signed permission for lane 2, bound to the dump's SHA-256 (see 'rehearse grant').", valueName: "FILE"))
        var grant: String?

        @Option(name: .long, help: ArgumentHelp("Trust file whose keys and threshold the grant must satisfy (from 'rehearse keys trust').", valueName: "FILE"))
        var trust: String?

        @Option(name: .long, help: ArgumentHelp("For --dump: file of reviewed secret-scan finding fingerprints to allow (see 'rehearse scan').", valueName: "FILE"))
        var allowlist: String?

        @Option(name: .long, help: "Seed for the surrogate generator (default: the manifest's).")
        var seed: Int64?

        @Option(name: .long, help: "Multiply every table's row count (default: the manifest's).")
        var scale: Double?

        @Option(name: .long, help: "Threads generating the surrogate (default: all cores); the data is the same for any count.")
        var jobs: Int?

        @Option(name: .long, help: "Engine of the scratch database: sqlite (embedded, the default) or postgres (an ephemeral cluster, or --pg-url).")
        var engine: EngineName = .sqlite

        @Option(name: .customLong("pg-url"), help: ArgumentHelp("Use this PostgreSQL server instead of an ephemeral cluster: a libpq URI or key=value string for a Unix socket or loopback address (anything else is refused, exit 3). rehearse creates and drops its own database there.", valueName: "CONNINFO"))
        var pgURL: String?

        @Option(name: .customLong("pg-bindir"), help: ArgumentHelp("Directory with initdb, pg_ctl and postgres (default: PATH, pg_config --bindir, /usr/lib/postgresql/*/bin).", valueName: "DIR"))
        var pgBindir: String?

        @Option(name: .customLong("pg-user"), help: ArgumentHelp("System user the ephemeral server runs as when rehearse runs as root (default: postgres).", valueName: "USER"))
        var pgUser: String?

        @Option(name: .long, help: ArgumentHelp("Folder for evidence (default: rehearsals/<run-id>).", valueName: "DIR"))
        var out: String?

        @Flag(name: .long, help: "Keep the scratch database and print where it is.")
        var keep = false

        @Option(name: .long, help: "Output format: text or json.")
        var format: OutputFormat = .text

        @Flag(name: .shortAndLong, help: "Print only the verdict and the evidence path; no progress.")
        var quiet = false

        func validate() throws {
            if dump != nil && surrogate {
                throw ValidationError("Give either --dump PATH or --surrogate [NAME|DIR], not both. With --dump, NAME|DIR names the change to rehearse (its manifest's birth, rollback and checks).")
            }
            if dump == nil && (grant != nil || trust != nil || allowlist != nil) {
                throw ValidationError("--grant, --trust and --allowlist apply to --dump PATH only.")
            }
            if dump != nil, pgURL != nil {
                throw ValidationError("--dump restores only into an ephemeral cluster rehearse starts itself (no TCP); --pg-url is not accepted with it.")
            }
            if (grant == nil) != (trust == nil) {
                throw ValidationError("--grant FILE and --trust FILE go together: the grant is checked against the trust file's keys and threshold.")
            }
            try OptionBounds.check(seed: seed, scale: scale, jobs: jobs)
            if engine == .sqlite, pgURL != nil || pgBindir != nil || pgUser != nil {
                throw ValidationError("--pg-url, --pg-bindir and --pg-user apply to --engine postgres only.")
            }
            if pgURL != nil, pgBindir != nil || pgUser != nil {
                throw ValidationError("--pg-bindir and --pg-user configure the ephemeral cluster; with --pg-url there is none. Give one or the other.")
            }
        }

        func run() throws {
            if let dump {
                // Lane 2 is reached only through a grant: without one the
                // request is judged under the default lane (or the lane named,
                // so lane 5 is refused as lane 5), and the dump is not opened.
                guard let grant, let trust else {
                    try Governance.authorize(.dumpClone(path: dump), lane: lane == .operatorRealDataCloneHandoff ? .default : (lane ?? .default))
                    return
                }
                try Governance.authorize(.dumpClone(path: dump), lane: lane ?? .operatorRealDataCloneHandoff)
                try runDumpClone(dump: dump, grant: grant, trust: trust)
                return
            }
            try Governance.authorize(.surrogate, lane: lane ?? .default)
            let source = try SurrogateSource.locate(target ?? "commerce", executable: URL(fileURLWithPath: CommandLine.arguments[0]))
            var options = Rehearsal.Options()
            options.seed = seed.map { UInt64($0) }
            options.scale = scale
            options.outputDirectory = out.map { URL(fileURLWithPath: $0) }
            options.keep = keep
            if let jobs { options.jobs = jobs }
            if engine == .postgres {
                options.engine = .postgres(try pgURL.map { .server(try PostgresServerAddress(parsing: $0)) } ?? .ephemeral(bindir: pgBindir, runAs: pgUser))
            }
            let human = format == .text && !quiet
            options.progress = format == .text ? Console.progress(quiet: quiet) : nil
            if human {
                let seedShown = seed.map { UInt64($0) } ?? source.manifest.seed
                Console.out(Console.bold("rehearse") + " surrogate \(source.manifest.name) " + Console.dim("(seed \(seedShown), scale \(describeScale(scale ?? source.manifest.scale)), \(SurrogateTag.generated))"))
                options.onPhase = { Console.out(Self.phaseLine($0)) }
            }
            let result = try Rehearsal(source: source, options: options).run()
            switch format {
            case .json: Console.out(Self.json(result).canonicalString)
            case .text: Self.printSummary(result, quiet: quiet)
            }
            let status = ExitStatus.of(valid: result.validation.isValid, verdict: result.validation.verdict)
            if status != 0 { throw ExitCode(status) }
        }

        enum EngineName: String, ExpressibleByArgument, CaseIterable {
            case sqlite, postgres
        }

        static func phaseLine(_ p: PhaseRecord) -> String {
            let mark = switch p.outcome {
            case .ok: Console.green("✓")
            case .failed: Console.red("✗")
            case .skipped: Console.dim("-")
            }
            let title = p.phase.title.padding(toLength: 30, withPad: " ", startingAt: 0)
            let time = Console.duration(p.durationMicros)
            return "  \(mark) \(title) \(String(repeating: " ", count: max(0, 9 - time.count)))\(time)  \(Console.dim(p.detail))"
        }

        static func printSummary(_ result: RehearsalResult, quiet: Bool) {
            let record = result.record
            if !quiet {
                for (title, observed) in [("birth", record.birthObserved), ("rollback", record.rollbackObserved)] {
                    guard let observed else { continue }
                    Console.out("  " + Console.dim("\(title) observed: ") + observed.summary)
                }
                for check in record.checksAfterBirth + record.checksAfterRollback where !check.passed {
                    Console.out("  " + Console.red("check failed") + ": \(check.name) at \(check.file):\(check.line) returned \(check.returned)")
                }
                if let drift = record.drift, !drift.isEmpty {
                    Console.out()
                    Console.out(Console.bold("Drift") + " (rollback did not restore the pre-birth state):")
                    for change in drift.schema {
                        // A definition's diff lines go one per line under the object.
                        let indent = SchemaChange.diffIndent
                        var lines: [String] = []
                        var inline: [String] = []
                        for d in change.details {
                            if d.hasPrefix(indent) { lines.append(d) }
                            else if d.hasSuffix(":"), change.details.contains(where: { $0.hasPrefix(indent) }) { lines.append("  " + d) }
                            else { inline.append(d) }
                        }
                        let details = inline.isEmpty ? (lines.isEmpty ? "" : ":") : ": " + inline.joined(separator: "; ")
                        Console.out("  schema  \(change.kind) \(change.name) \(change.change.rawValue)\(details)")
                        for line in lines { Console.out("      " + line) }
                    }
                    for change in drift.data {
                        let lines = change.summaryLines
                        var first = "  data    \(lines[0])"
                        if let by = change.matchedBy { first += Console.dim(" (matched by \(by))") }
                        Console.out(first)
                        for line in lines.dropFirst() { Console.out("          \(line)") }
                        if !change.sampleKeys.isEmpty { Console.out(Console.dim("          first differing keys: " + change.sampleKeys.joined(separator: "; "))) }
                    }
                }
                Console.out()
                Console.printUnexercised(result.evidence)
            }
            let mark = Console.mark(result.validation.verdict)
            let validity = result.validation.isValid ? "evidence valid" : "evidence REJECTED by the validator"
            Console.out("Verdict: \(mark) (\(validity))")
            for finding in result.validation.findings { Console.out("  \(finding)") }
            Console.out("Evidence: \(result.evidenceURL.path)")
            if let kept = result.keptAt {
                if kept.isFileURL {
                    Console.out("Scratch database kept at: \(kept.path)")
                    if result.record.engine.name == "postgres" {
                        Console.out(Console.dim("  (a stopped cluster: start it with pg_ctl -D \(kept.appendingPathComponent("data").path) start, socket in \(kept.path))"))
                    }
                } else {
                    Console.out("Scratch database kept: \(kept.absoluteString)")
                }
            }
        }

        static func json(_ result: RehearsalResult) -> JSONValue {
            [
                "verdict": .string(result.validation.verdict.rawValue),
                "evidence_valid": .bool(result.validation.isValid),
                "findings": .array(result.validation.findings.map(\.json)),
                "run_dir": .string(result.runDirectory.path),
                "evidence": result.evidence,
                "kept_at": result.keptAt.map { .string($0.path) } ?? .null,
            ]
        }
    }
}
