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
    /// `rehearse lanes`: the five decision options, which one is active and why,
    /// and what each would need. It selects nothing.
    struct Lanes: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the five lanes, the active lane and why it is active.",
            discussion: "The default lane is HOLD_REAL_DATA. Only a verified grant selects lane 2 (rehearse --dump PATH --grant FILE --trust FILE); lanes 3 and 4 are not available in this version; lane 5 is never selectable."
        )

        @Option(name: .long, help: "Output format: text or json.")
        var format: OutputFormat = .text

        func run() throws {
            let active = ActiveLane.byDefault
            switch format {
            case .json:
                Console.out(Self.json(active).canonicalString)
            case .text:
                Console.out("Active lane: \(active.lane.number) \(active.lane.rawValue) (\(active.reason))")
                Console.out()
                for lane in Lane.allCases {
                    let mark = lane == active.lane ? "*" : " "
                    let state = lane.isSelectable ? "" : Console.dim(" [not selectable in this version]")
                    Console.out("\(mark) \(lane.number) \(lane.rawValue)\(state)")
                    Console.out("      does:  \(lane.allows)")
                    Console.out("      needs: \(lane.needs)")
                }
            }
        }

        static func json(_ active: ActiveLane) -> JSONValue {
            [
                "active": .string(active.lane.rawValue),
                "active_reason": .string(active.reason),
                "lanes": .array(Lane.allCases.map { lane in
                    [
                        "number": .integer(Int64(lane.number)),
                        "name": .string(lane.rawValue),
                        "default": .bool(lane == .default),
                        "selectable": .bool(lane.isSelectable),
                        "does": .string(lane.allows),
                        "needs": .string(lane.needs),
                    ]
                }),
            ]
        }
    }
}

/// A lane named on the command line by number or name.
extension Lane: ExpressibleByArgument {
    /// The lane numbered `argument` (1 to 5) or named by its exact raw value (`HOLD_REAL_DATA`); nil for anything else.
    public init?(argument: String) {
        self.init(selection: argument)
    }
}
