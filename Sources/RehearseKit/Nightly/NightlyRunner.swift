import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// Runs the jobs of one shard with the `rehearse` binary itself (each job a
/// child process, exactly the commands a person would type), validates each
/// run with `rehearse validate` (with --replay when configured), then reads
/// every run folder back through the validator for the judgement and the
/// reports. Output: `runs/` (the sealed run folders), `logs/` (each child's
/// output), and the summary and reports written by ``NightlySummary``.
package struct NightlyRunner {
    package var binary: String
    package var config: NightlyConfig
    package var output: URL
    package var environment: [String: String]

    package init(binary: String, config: NightlyConfig, output: URL, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.binary = binary
        self.config = config
        self.output = output
        self.environment = environment
    }

    /// Whether the binary has a `migrations` subcommand (asked, not assumed:
    /// it exits 0 for `migrations --help` only when it does).
    package static func supportsMigrations(binary: String) -> Bool {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("rehearse-nightly-probe-\(getpid()).log")
        defer { try? FileManager.default.removeItem(at: log) }
        guard let outcome = try? ChildProcess.run(binary, ["migrations", "--help"], environment: ProcessInfo.processInfo.environment, output: log) else { return false }
        return outcome.status == 0 && outcome.output.lowercased().contains("migration")
    }

    /// Runs one job to its outcome. `report` is called with it when done.
    package func run(_ job: NightlyPlan.Job) throws -> NightlyOutcome {
        let fm = FileManager.default
        let runs = output.appendingPathComponent("runs"), logs = output.appendingPathComponent("logs")
        try fm.createDirectory(at: runs, withIntermediateDirectories: true)
        try fm.createDirectory(at: logs, withIntermediateDirectories: true)
        let runDir = runs.appendingPathComponent(job.slug)
        let start = DispatchTime.now().uptimeNanoseconds
        var args: [String]
        switch job.kind {
        case .surrogate:
            args = ["--surrogate", job.path, "--engine", job.engine, "--out", runDir.path, "--quiet"]
            if let scale = config.scale { args += ["--scale", scale] }
        case .migrations:
            // A walk sizes its rows with its own options (--rows, --profile), given as the entry's args.
            args = ["migrations", job.path, "--engine", job.engine, "--out", runDir.path] + job.arguments
        }
        // coreutils' timeout sends SIGTERM, which rehearse answers by
        // cleaning up (clusters, scratch files) and exiting 143; 124 is the
        // timeout's own word that the limit was reached.
        let limiter = ["/usr/bin/timeout", "/bin/timeout"].first { FileManager.default.isExecutableFile(atPath: $0) }
        let rehearsal = try limiter.map {
            try ChildProcess.run($0, ["--kill-after=60", "\(config.jobTimeoutSeconds)s", binary] + args, environment: environment,
                                 output: logs.appendingPathComponent(job.slug + ".log"))
        } ?? ChildProcess.run(binary, args, environment: environment, output: logs.appendingPathComponent(job.slug + ".log"))
        // A walk is validated whole (`rehearse validate` knows walk.json);
        // with replay, each step is run again on its own as well.
        let validated = ValidatedRun.loadAll([runDir.path])
        var validateStatus: Int32?
        var targets: [(args: [String], log: String)] = []
        if fm.fileExists(atPath: runDir.path) {
            targets.append((["validate", runDir.path], ".validate.log"))
        }
        if config.replay {
            // (A walk's steps not rehearsed have no run folder to replay.)
            let steps = validated.compactMap { $0.step == nil || $0.step == ValidatedRun.walkEntry || $0.evidence == nil && $0.walkStep != nil ? nil : $0.directory }
            if job.kind == .surrogate {
                targets = [(["validate", "--replay", runDir.path], ".validate.log")]
            } else {
                for (i, step) in steps.enumerated() { targets.append((["validate", "--replay", step], ".replay-\(i + 1).log")) }
            }
        }
        for target in targets {
            let status = try ChildProcess.run(binary, target.args, environment: environment, output: logs.appendingPathComponent(job.slug + target.log)).status
            // The worst status counts: anything but 0, 1 or 6 is a problem.
            if validateStatus == nil || ![0, 1, 6].contains(status) { validateStatus = status }
        }
        var sealFindings: [String] = []
        if job.kind == .surrogate, fm.fileExists(atPath: URL(fileURLWithPath: job.path).appendingPathComponent(Seal.fileName).path) {
            sealFindings = (try? Seal.verify(directory: URL(fileURLWithPath: job.path)).map { "\($0)" }) ?? ["the seal could not be checked"]
        }
        let tail = rehearsal.status == 124 && limiter != nil
            ? "stopped after \(config.jobTimeoutSeconds) seconds (job_timeout_seconds)"
            : rehearsal.output.split(separator: "\n").last.map { String($0.prefix(300)) } ?? "no output"
        let micros = Int64((DispatchTime.now().uptimeNanoseconds - start) / 1000)
        return NightlyOutcome(job: job, runDirectory: runDir.path, runStatus: rehearsal.status, validateStatus: validateStatus, runs: validated,
                              sealFindings: sealFindings, logTail: tail, micros: micros)
    }
}
