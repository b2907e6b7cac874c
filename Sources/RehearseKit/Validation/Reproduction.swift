import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// Independent reproduction (`rehearse validate --reproduce`): regenerate the
/// surrogate from the schema and profile copied into the run folder, with the
/// seed and scale the evidence claims, fingerprint it afresh, and compare with
/// the pre-birth fingerprint the evidence records. Nothing the rehearsal
/// computed is reused, and only files the subjects cover are read.
public enum Reproduction {
    public static let rule = "R10-reproduce"

    public static func check(runDirectory: URL, scratchParent: URL? = nil, postgres: PostgresTarget = .ephemeral()) throws -> [ValidationFinding] {
        try check(RunFolder(directory: runDirectory), scratchParent: scratchParent, postgres: postgres)
    }

    package static func check(_ folder: RunFolder, scratchParent: URL? = nil, postgres: PostgresTarget = .ephemeral()) throws -> [ValidationFinding] {
        if let refusal = DumpCloneReplay.refusal(folder, rule: rule) { return [refusal] }
        return try SealedRun.checking(folder, rule: rule, scratchParent: scratchParent) { try check($0, scratchParent: scratchParent, postgres: postgres) }
    }

    package static func check(_ run: SealedRun, scratchParent: URL?, postgres: PostgresTarget) throws -> [ValidationFinding] {
        func finding(_ path: String, _ message: String) -> ValidationFinding {
            ValidationFinding(rule: rule, path: path, message: message)
        }
        let predicate = run.predicate
        let engine = run.engine(postgres: postgres)
        var out: [ValidationFinding] = []
        if try run.source.specDigest(dialect: engine.dialect) != predicate["source"]?["spec_digest"]?.stringValue {
            out.append(finding("$.predicate.source.spec_digest", "does not recompute from the schema and profile in inputs/"))
        }
        let scratch = try engine.provision(ProvisionOptions(parent: scratchParent))
        defer { scratch.tearDown(keep: false) }
        _ = try scratch.loadSurrogate(run.source, seed: run.seed, scale: run.scale, progress: nil)
        let fresh = try scratch.fingerprint().json
        let claimed = predicate["fingerprints"]?["pre"]
        if fresh["objects"] != claimed?["objects"] {
            out.append(finding("$.predicate.fingerprints.pre.objects", "the regenerated surrogate's schema differs from the one recorded"
                               + versionNote(recorded: run.engineVersion, now: scratch.engineVersion, engine: run.engineName)))
        }
        if fresh["tables"] != claimed?["tables"] {
            let tables = Set((fresh["tables"]?.objectValue ?? [:]).keys).union((claimed?["tables"]?.objectValue ?? [:]).keys)
            let differing = tables.filter { fresh["tables"]?[$0] != claimed?["tables"]?[$0] }.sorted()
            out.append(finding("$.predicate.fingerprints.pre.tables", "the regenerated surrogate's data differs in \(differing.joined(separator: ", "))"))
        }
        return out
    }

    /// Catalog text can differ between server major versions: say so when
    /// the versions differ, so the reader reruns on the recorded one.
    package static func versionNote(recorded: String, now: String, engine: String) -> String {
        let major: (String) -> Substring = { $0.split(separator: ".").first ?? "" }
        return major(recorded) == major(now) ? ""
            : " (recorded on \(engine) \(recorded), rebuilt on \(now): rerun on the same major version)"
    }
}
