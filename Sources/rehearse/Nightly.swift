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
    /// `rehearse nightly`: the CI rehearsal job (scripts/nightly-rehearsal.sh
    /// and `make nightly` call it). The logic is in RehearseKit/Nightly.
    struct Nightly: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rehearse every configured surrogate and migration directory, validate each run, and write a summary and reports.",
            discussion: """
                Reads the configuration (rehearse.nightly.yaml), runs this shard's jobs one by one with this binary \
                (SQLite, and PostgreSQL when server binaries exist), validates every run (--replay when configured), \
                checks the seal of every rehearsed surrogate, and writes summary.md, summary.json, report.xml (JUnit), \
                report.md and report.html into OUT. Jobs are sorted by ID; job k goes to shard (k mod N) + 1. \
                Exit 0: every job ok. Exit 1: drift, a failing check, a rehearsal error, or a known-lossy surrogate \
                that passed. Exit 5: a validation failure or seal mismatch. Exit 6: only INCONCLUSIVE runs. \
                Exit 2: bad configuration or options.
                """
        )

        @Option(name: .long, help: ArgumentHelp("The nightly configuration; relative paths in it start from its folder.", valueName: "FILE"))
        var config: String = "rehearse.nightly.yaml"

        @Option(name: .long, help: ArgumentHelp("Output folder (new or empty): runs/, logs/, the summary and the reports.", valueName: "DIR"))
        var out: String

        @Option(name: .long, help: ArgumentHelp("Run only shard I of N (1-based), e.g. 2/4.", valueName: "I/N"))
        var shard: String = "1/1"

        @Option(name: .long, help: ArgumentHelp("Row-count multiplier for every job, instead of the configuration's (e.g. 0.1 for a quick run).", valueName: "SCALE"))
        var scale: String?

        @Flag(name: .long, help: "List this shard's jobs and exit without running them.")
        var list = false

        func run() throws {
            let start = DispatchTime.now().uptimeNanoseconds
            let shard = try NightlyPlan.Shard.parse(self.shard)
            let configURL = URL(fileURLWithPath: config)
            var settings = try NightlyConfig.load(file: configURL)
            if let scale {
                guard scale.range(of: #"^(0|[1-9][0-9]*)(\.[0-9]*[1-9])?$"#, options: .regularExpression) != nil, scale != "0" else {
                    throw RehearseError(.badInput, "--scale \(scale): give a plain decimal greater than zero, like 0.1 or 2.")
                }
                settings.scale = scale
            }
            let binary = Self.ownBinary()
            let plan = try NightlyPlan.make(settings, root: configURL.deletingLastPathComponent(),
                                            migrationsSupported: !settings.migrations.isEmpty && NightlyRunner.supportsMigrations(binary: binary))
            // A night that rehearses nothing must not pass: no work at all is
            // bad configuration, and a shard whose jobs all need what this
            // machine lacks is an environment problem. (An empty shard of a
            // wider matrix is fine: the other shards hold the work.)
            guard !plan.jobs.isEmpty else {
                throw RehearseError(.badInput, "\(config): the configuration selects no work (no surrogates and no migration directories that this build can walk). List surrogates or check surrogate_dir.")
            }
            let (jobs, skipped) = plan.runnable(in: shard, postgresAvailable: (try? PostgresCluster.locateBinaries()) != nil)
            if jobs.isEmpty && !plan.jobs(in: shard).isEmpty {
                throw RehearseError(.environment, "None of shard \(shard)'s \(plan.jobs(in: shard).count) jobs can run on this machine: \(skipped.joined(separator: "; ")). Install the PostgreSQL server package or add sqlite to engines.")
            }
            if list {
                for job in jobs { Console.out(job.id) }
                return
            }
            let output = URL(fileURLWithPath: out)
            try OutputLocation.check(output)
            if let existing = try? FileManager.default.contentsOfDirectory(atPath: output.path), !existing.isEmpty {
                throw RehearseError(.badInput, "--out \(out) is not empty. Give the nightly a new or empty folder, so no earlier run is reported as tonight's.")
            }
            Console.out("nightly shard \(shard): \(jobs.count) of \(plan.jobs.count) jobs" + (settings.replay ? ", validated with --replay" : ""))
            let runner = NightlyRunner(binary: binary, config: settings, output: output)
            var outcomes: [NightlyOutcome] = []
            for (i, job) in jobs.enumerated() {
                if Console.stdoutIsTerminal { Console.out(Console.dim("[\(i + 1)/\(jobs.count)] \(job.id) …")) }
                outcomes.append(try runner.run(job))
            }
            let micros = Int64((DispatchTime.now().uptimeNanoseconds - start) / 1000)
            let summary = NightlySummary(outcomes: outcomes, shard: shard, skipped: skipped, totalMicros: micros)
            try summary.write(to: output)
            for line in summary.consoleLines { Console.out(line) }
            Console.out("Summary: \(output.appendingPathComponent("summary.md").path)")
            if summary.exitStatus != 0 { throw ExitCode(summary.exitStatus) }
        }

        /// This process's own executable, so the jobs run the same build.
        static func ownBinary() -> String {
            if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
            return URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
        }
    }
}
