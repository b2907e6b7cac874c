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

/// What `packet` and `precheck` both read: the blocker map and the evidence,
/// each folder validated (against a trust file when given) before it counts.
struct GovernanceInputs: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Blocker map JSON (schemas/blocker-map.schema.json).", valueName: "MAP"))
    var blockers: String

    @Option(name: .long, parsing: .upToNextOption, help: ArgumentHelp("Run folders (or walk folders) offered as evidence.", valueName: "DIR"))
    var evidence: [String] = []

    @Option(name: .long, help: ArgumentHelp("Trust file: evidence discharges a leg only when signed by enough of its keys (see 'rehearse keys trust').", valueName: "FILE"))
    var trust: String?

    func load() throws -> (BlockerMap, [ValidatedRun]) {
        let map = try BlockerMap.load(file: URL(fileURLWithPath: blockers))
        let validator = Validator(trust: try trust.map { try TrustPolicy(file: URL(fileURLWithPath: $0)) })
        return (map, ValidatedRun.loadAll(evidence, validator: validator))
    }
}

extension Rehearse {
    /// `rehearse packet`: the decision packet, in Markdown, from a blocker
    /// map and validated evidence. It selects nothing.
    struct Packet: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Render the decision packet (Markdown) from a blocker map and validated evidence; it selects nothing.",
            discussion: """
                Lists the five options with HOLD_REAL_DATA the default and lane 5 not selectable, and a preconditions \
                table: which legs validated evidence discharges (by its digest) and what remains, with whom. Evidence \
                that does not validate discharges nothing; a surrogate run never discharges a real-dump leg. \
                Exit 0 when the packet was written; 2 for a bad blocker map or output path.
                """
        )

        @OptionGroup var inputs: GovernanceInputs

        @Option(name: .long, help: ArgumentHelp("Write the packet here instead of standard output.", valueName: "FILE"))
        var out: String?

        func run() throws {
            let (map, runs) = try inputs.load()
            let text = DecisionPacket.render(map, runs: runs, mapPath: inputs.blockers)
            if let out {
                try ReportFile.write(text, to: out, option: "--out")
            } else {
                print(text, terminator: "")
            }
        }
    }

    /// `rehearse precheck`: lane 4, for each lane-5 precondition, met or not and why.
    struct Precheck: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Lane 4: report, for each lane-5 precondition of a blocker map, whether validated evidence meets it and why.",
            discussion: """
                Reads the blocker map and the evidence folders only: it executes nothing and contacts nothing. \
                Exit 0: every lane-5 precondition is met (lane 5 stays not selectable by this tool). \
                Exit 1: not all are met. Exit 2: bad blocker map.
                """
        )

        @OptionGroup var inputs: GovernanceInputs

        @Option(name: .long, help: "Output format: text or json.")
        var format: OutputFormat = .text

        func run() throws {
            let (map, runs) = try inputs.load()
            let result = RehearseKit.Precheck(map, runs: runs)
            switch format {
            case .json: Console.out(result.json.canonicalString)
            case .text: for line in result.lines { Console.out(line) }
            }
            if result.exitStatus != 0 { throw ExitCode(result.exitStatus) }
        }
    }
}
