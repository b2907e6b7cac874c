import Foundation

/// Functions whose result differs from one run to the next (chance, the
/// clock): an up that calls one gives a different born state each time it
/// runs, so its re-birth cannot be compared with the first birth.
enum MigrationChance {
    static let functions: Set<String> = ["random", "randomblob", "gen_random_uuid", "uuid_generate_v1", "uuid_generate_v1mc",
                                         "uuid_generate_v4", "now", "current_timestamp", "current_date", "current_time",
                                         "clock_timestamp", "statement_timestamp", "transaction_timestamp", "timeofday",
                                         "localtime", "localtimestamp", "setseed", "nextval"]

    /// `name at file:line` for the first such call in the scripts, or nil.
    static func firstCall(in scripts: [MigrationScript]) -> String? {
        for script in scripts {
            for (i, line) in script.text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let code = line.range(of: "--").map { line[..<$0.lowerBound] } ?? line[...]
                let lowered = code.lowercased()
                if lowered.contains("'now'") { return "'now' at \(script.file):\(script.line + i)" }
                for token in SQLNormalizer.tokens(String(code)) where functions.contains(token.lowercased()) {
                    return "\(token.lowercased()) at \(script.file):\(script.line + i)"
                }
            }
        }
        return nil
    }
}
