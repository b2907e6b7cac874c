import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseEngine
import RehearsePostgres

/// `validate WALK --replay`, the part before each step: the history is
/// built again in a fresh scratch database of the walk's engine from the
/// sealed prelude, baseline and ups (the same code the walk ran), and each
/// rehearsed step's sealed `inputs/schema.sql` must be the schema it gives
/// before that step. A step folder rehearsed against another schema, or a
/// prelude swapped for another (attack-13 F11), is a finding.
enum MigrationWalkHistoryReplay {
    static let rule = "R16-replay"

    static func check(index: JSONValue, folder: RunFolder, set: MigrationSet, range: ClosedRange<Int>?, units: [MigrationUnit],
                      postgres: PostgresTarget) throws -> [ValidationFinding] {
        guard let steps = index["steps"]?.arrayValue, let dialect = index["dialect"]?.stringValue.flatMap(Dialect.init(rawValue:)) else { return [] }
        var findings: [ValidationFinding] = []
        func finding(_ path: String, _ message: String) { findings.append(ValidationFinding(rule: rule, path: path, message: message)) }
        // Scripts that ran as the superuser are never run again (as Replay refuses them).
        for step in steps {
            guard let run = step["run"]?.stringValue,
                  let manifest = folder.file(named: run + "/" + EvidenceWriter.inputPath(role: "manifest", of: "manifest.yaml")) else { continue }
            if String(decoding: manifest, as: UTF8.self).contains("postgres_superuser: true") {
                finding(MigrationWalk.indexFile, "the walk ran its scripts as the PostgreSQL superuser; replay never runs them with that power, so the history before each step is not rebuilt")
                return findings
            }
        }
        func script(_ key: String, _ file: String) -> MigrationScript? {
            guard let name = index[key]?["file"]?.stringValue, let bytes = folder.file(named: file) else { return nil }
            return MigrationScript(file: name, text: String(decoding: bytes, as: UTF8.self))
        }
        let work = try MigrationWorkFolder(parent: nil)
        defer { work.remove() }
        let history = try MigrationHistoryDatabase(engine: dialect == .sqlite ? .sqlite : .postgres(postgres), superuser: false, parent: nil,
                                                   work: work.url)
        defer { history.tearDown() }
        history.begin(prelude: script("prelude", MigrationWalkIndex.preludeFile), baseline: script("baseline", MigrationWalkIndex.baselineFile),
                      range: range)
        for (i, unit) in units.enumerated() where steps.indices.contains(i) {
            history.advance(set, to: unit.historyEnd)
            guard let run = steps[i]["run"]?.stringValue, RunFolder.isPortable(run) else { continue }
            let path = run + "/" + EvidenceWriter.inputPath(role: "schema", of: "schema.sql")
            guard let schema = try history.stepSchema() else {
                finding(path, "the history before this step does not build again from the sealed migrations: \(history.broken ?? "")")
                continue
            }
            if folder.file(named: path).map({ normal(String(decoding: $0, as: UTF8.self)) }) != normal(schema) {
                finding(path, "is not the schema the sealed prelude\(index["baseline"] == .null ? "" : ", baseline") and earlier ups build before this step (built again in the replay)")
            }
        }
        return findings
    }

    /// A schema dump without pg_dump's `\restrict KEY` / `\unrestrict KEY`
    /// lines, whose key is random in every dump (they only guard psql).
    static func normal(_ schema: String) -> String {
        schema.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("\\restrict ") && !$0.hasPrefix("\\unrestrict ") }.joined(separator: "\n")
    }
}
