import RehearseCore
import RehearseEngine
import RehearseEvidence
import RehearseKit
import RehearsePostgres
import RehearseSQLite
import RehearseSurrogate
import RehearseValidator

/// How a verdict reads on a terminal, one place for `run` and `validate`
/// (the exit status it ends with is `ExitStatus.of(valid:verdict:)`'s).
extension Console {
    static func yellow(_ s: String) -> String { paint(s, "33") }

    static func mark(_ verdict: Verdict) -> String {
        switch verdict {
        case .pass: green(verdict.rawValue)
        case .fail: red(verdict.rawValue)
        case .inconclusive: yellow(verdict.rawValue)
        }
    }

    /// The statements that made a rehearsal INCONCLUSIVE, one per line,
    /// each with its file:line and what data would exercise it.
    static func printUnexercised(_ evidence: JSONValue) {
        let items = evidence["predicate"]?["unexercised"]?.arrayValue ?? []
        guard !items.isEmpty else { return }
        let file = evidence["predicate"]?["inputs"]?["birth"]?["source_path"]?.stringValue ?? "birth"
        out(bold("Not exercised") + " (the birth's data changes found nothing to change, so nothing shows the rollback restores data):")
        for item in items {
            let at = item["line"]?.integerValue.map { "\(file):\($0)" } ?? file
            let statement = item["statement"]?.stringValue ?? ""
            out("  \(at)" + (statement.isEmpty ? "" : dim("  `\(statement)`")))
            out("      \(item["reason"]?.stringValue ?? "")")
        }
        out()
    }
}
