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
    /// `rehearse report RUN_DIR… --junit F --markdown F --html F`: reports
    /// people and CI read, rendered only from evidence the validator accepts.
    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Render JUnit XML, Markdown and HTML reports from validated run folders.",
            discussion: """
                Each RUN_DIR is a run folder, or a walk folder whose subfolders are run folders (one entry per step, \
                in name order). Every folder is validated first; rejected evidence is reported as REJECTED and none \
                of its claims are shown. Exit 0: every run is valid evidence of a PASS. Exit 1: a valid run failed. \
                Exit 6: a valid run is INCONCLUSIVE (and none failed). Exit 5: evidence rejected. \
                Exit 2: bad input (an unusable report path). The reports are written in every case.
                """
        )

        @Argument(help: ArgumentHelp("Run folders or walk folders.", valueName: "RUN_DIR"))
        var runDirectories: [String]

        @Option(name: .long, help: ArgumentHelp("Write JUnit XML here: one test case per phase and per check.", valueName: "FILE"))
        var junit: String?

        @Option(name: .long, help: ArgumentHelp("Write a Markdown summary here (for a pull-request comment or CI step summary).", valueName: "FILE"))
        var markdown: String?

        @Option(name: .long, help: ArgumentHelp("Write a self-contained HTML page here.", valueName: "FILE"))
        var html: String?

        @Option(name: .long, help: ArgumentHelp("Trust file: evidence not signed by enough of its keys is rejected (see 'rehearse keys trust').", valueName: "FILE"))
        var trust: String?

        @Option(name: .long, help: ArgumentHelp("Title of the Markdown and HTML reports.", valueName: "TEXT"))
        var title: String = "rehearse report"

        func validate() throws {
            if runDirectories.isEmpty { throw ValidationError("Give at least one run folder.") }
        }

        func run() throws {
            let runs = ValidatedRun.loadAll(runDirectories, validator: Validator(trust: try trust.map { try TrustPolicy(file: URL(fileURLWithPath: $0)) }))
            if let junit { try ReportFile.write(JUnitReport.render(runs), to: junit, option: "--junit") }
            if let markdown { try ReportFile.write(MarkdownReport.render(runs, title: title), to: markdown, option: "--markdown") }
            if let html { try ReportFile.write(HTMLReport.render(runs, title: title), to: html, option: "--html") }
            for run in runs {
                let name = run.step.map { "\(run.directory) (step \($0))" } ?? run.directory
                let word = run.passed ? Console.green(run.verdict) : Console.red(run.verdict)
                Console.out("\(name): \(word)" + (run.isValid ? "" : " (\(run.findings.count) findings; see the reports)"))
            }
            throw ExitCode(Self.exitStatus(runs))
        }

        /// The worst outcome decides: rejected evidence (5), then a valid
        /// FAIL (1), then INCONCLUSIVE (6); any other verdict that is not
        /// PASS counts as a failure (1).
        static func exitStatus(_ runs: [ValidatedRun]) -> Int32 {
            // A walk's step counts with the walk's exit status for it (a step
            // not rehearsed: 6, as the walk exits).
            if runs.contains(where: { !$0.isValid }) { return RehearseError.Code.evidenceRejected.exitStatus }
            let exits = runs.map(\.exitStatus)
            if let other = exits.first(where: { $0 != 0 && $0 != 6 }) { return other == 5 ? 5 : RehearseError.Code.rehearsalFailed.exitStatus }
            if exits.contains(6) { return 6 }
            return 0
        }
    }
}
