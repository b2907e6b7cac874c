import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// Functions whose result differs from one run to the next (chance, the
/// clock): an up that calls one gives a different born state each time it
/// runs, so its re-birth cannot be compared with the first birth.
package enum MigrationChance {
    package static let functions: Set<String> = ["random", "randomblob", "gen_random_uuid", "uuid_generate_v1", "uuid_generate_v1mc",
                                         "uuid_generate_v4", "now", "current_timestamp", "current_date", "current_time",
                                         "clock_timestamp", "statement_timestamp", "transaction_timestamp", "timeofday",
                                         "localtime", "localtimestamp", "setseed", "nextval"]

    /// `name at file:line` for each such function the scripts call (first
    /// place of each, at most three), or nil when they call none.
    package static func firstCall(in scripts: [MigrationScript]) -> String? {
        var found: [(String, String)] = []
        func note(_ name: String, _ at: String) {
            if found.count < 3, !found.contains(where: { $0.0 == name }) { found.append((name, at)) }
        }
        for script in scripts {
            for (i, line) in MigrationLines.split(script.text).enumerated() {
                let code = line.range(of: "--").map { line[..<$0.lowerBound] } ?? line[...]
                let at = "\(script.file):\(script.line + i)"
                if code.lowercased().contains("'now'") { note("'now'", at) }
                for token in SQLNormalizer.tokens(String(code)) where functions.contains(token.lowercased()) {
                    note(token.lowercased(), at)
                }
            }
        }
        return found.isEmpty ? nil : found.map { "\($0.0) at \($0.1)" }.joined(separator: ", ")
    }
}
