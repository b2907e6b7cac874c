import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// Full replay (`rehearse validate --replay`): the whole rehearsal run again
/// from the sealed inputs, by the same pipeline a rehearsal uses
/// (``Rehearsal/run()``), in a fresh scratch database of the recorded engine,
/// with the recorded seed and scale. Plain validation proves the evidence is
/// intact and consistent; replay proves its claim is true: the fingerprints,
/// the drift, the checks and the verdict must come out as recorded. A forger
/// who rewrote a FAIL into a consistent PASS and resealed it is caught here.
public enum Replay {
    /// The rule ID its findings carry.
    public static let rule = "R16-replay"

    /// Replays the run in `runDirectory`; returns what came out other than recorded, empty when the claim holds.
    /// A folder that is not a readable sealed run, or a dump clone run (its data is not sealed), gets a finding
    /// instead. Throws when a scratch database cannot be provisioned or run.
    public static func check(runDirectory: URL, scratchParent: URL? = nil, postgres: PostgresTarget = .ephemeral()) throws -> [ValidationFinding] {
        try check(RunFolder(directory: runDirectory), scratchParent: scratchParent, postgres: postgres)
    }

    /// `afterRollback`: run on the replay's scratch database after its
    /// rollback, as the original run did (a migrations walk's re-birth and verify).
    package static func check(_ folder: RunFolder, scratchParent: URL? = nil, postgres: PostgresTarget = .ephemeral(),
                              afterRollback: ((ScratchEngine, RehearsalRecord) throws -> Void)? = nil) throws -> [ValidationFinding] {
        if let refusal = DumpCloneReplay.refusal(folder, rule: rule) { return [refusal] }
        return try SealedRun.checking(folder, rule: rule, scratchParent: scratchParent) {
            try check($0, scratchParent: scratchParent, postgres: postgres, afterRollback: afterRollback)
        }
    }

    /// `dumpClone`: the dump the run restored, through the gate again
    /// (``DumpReplay``); nil for a surrogate run, which is regenerated.
    package static func check(_ run: SealedRun, scratchParent: URL?, postgres: PostgresTarget, dumpClone: DumpCloneSource? = nil,
                              afterRollback: ((ScratchEngine, RehearsalRecord) throws -> Void)? = nil) throws -> [ValidationFinding] {
        func finding(_ path: String, _ message: String) -> ValidationFinding {
            ValidationFinding(rule: rule, path: path, message: message)
        }
        // A run folder may come from anyone, and replay runs its scripts. As
        // the scratch database's owner they are confined; as the superuser
        // (`postgres_superuser: true`) they could run programs, read files
        // and reach the network (COPY … FROM PROGRAM), so replay refuses.
        if run.source.manifest.postgresSuperuser {
            return [finding("$.predicate.inputs.manifest", "the sealed manifest sets postgres_superuser: true, so its scripts would run as the superuser, who can run programs and reach the network; replay never runs a run folder's scripts with that power. Replay it by hand in a sandbox you trust, or rehearse without postgres_superuser.")]
        }
        var options = Rehearsal.Options()
        if let dumpClone {
            options.lane = .operatorRealDataCloneHandoff
            options.dumpClone = dumpClone
        } else {
            options.seed = run.seed
            options.scale = run.scale
        }
        options.engine = run.engine(postgres: postgres)
        options.scratchParent = scratchParent
        options.outputDirectory = run.directory.appendingPathComponent("replay")
        options.afterRollback = afterRollback
        // Grantees the run mapped to the scratch owner (a named server lacked
        // them) are mapped again, not created in replay's private cluster.
        options.mappedRoles = Set((run.predicate["source"]?["roles"]?.objectValue ?? [:]).filter { $0.value.stringValue == "scratch owner" }.keys)
        let result: RehearsalResult
        do {
            result = try Rehearsal(source: run.source, options: options).run()
        } catch let error as RehearseError where error.code != .environment {
            // Sealed inputs that cannot be rehearsed are a finding; a machine
            // that cannot run the engine is not (exit 4, from the caller).
            return [finding("$", "the rehearsal could not be run again from the sealed inputs: \(error.message)")]
        }
        let recorded = run.predicate
        let fresh = result.evidence["predicate"] ?? .null
        var out: [ValidationFinding] = []
        let note = Reproduction.versionNote(recorded: run.engineVersion, now: fresh["engine"]?["version"]?.stringValue ?? "?", engine: run.engineName)
        for stage in ["pre", "born", "post"] {
            let a = recorded["fingerprints"]?[stage], b = fresh["fingerprints"]?[stage]
            guard a != b else { continue }
            out.append(finding("$.predicate.fingerprints.\(stage)", describe(stage: stage, recorded: a, replayed: b) + note))
        }
        // What drifted (kinds, names, changes, row counts, columns, keys) must
        // match; the wording of details and notes, derived from the
        // fingerprints compared above, may be phrased anew by a later version.
        for (key, what) in [("drift", "the drift"), ("birth_surface", "the birth surface")] where Self.substance(recorded[key]) != Self.substance(fresh[key]) {
            out.append(finding("$.predicate.\(key)", "\(what) of the replay differs from the recorded one: recorded \(summary(recorded[key])), replayed \(summary(fresh[key]))"))
        }
        let regenerated = dumpClone == nil ? "regenerated surrogate's" : "restored dump's"
        for key in ["spec_digest", "rows", "dump_sha256", "format"] where recorded["source"]?[key] != fresh["source"]?[key] {
            let what = ["rows": "row counts differ", "spec_digest": "spec digest differs", "dump_sha256": "SHA-256 differs", "format": "format differs"][key]!
            out.append(finding("$.predicate.source.\(key)", "the \(regenerated) \(what) from the recorded one"))
        }
        let outcomes = { (p: JSONValue) in (p["phases"]?.arrayValue ?? []).map { "\($0["name"]?.stringValue ?? "?")=\($0["outcome"]?.stringValue ?? "?")" } }
        if outcomes(recorded) != outcomes(fresh) {
            out.append(finding("$.predicate.phases", "the replay's phases ended \(outcomes(fresh).joined(separator: ", ")); the evidence records \(outcomes(recorded).joined(separator: ", "))"))
        }
        for key in ["after_birth", "after_rollback"] {
            let shape = { (p: JSONValue) in (p["checks"]?[key]?.arrayValue ?? []).map { "\($0["name"]?.stringValue ?? "?"): \($0["outcome"]?.stringValue ?? "?")" } }
            if shape(recorded) != shape(fresh) {
                out.append(finding("$.predicate.checks.\(key)", "the replay's checks came out \(shape(fresh).joined(separator: "; ")); the evidence records \(shape(recorded).joined(separator: "; "))"))
            }
        }
        if recorded["failure"]?["phase"] != fresh["failure"]?["phase"] {
            out.append(finding("$.predicate.failure", "the replay \(fresh["failure"]?["phase"]?.stringValue.map { "failed in \($0)" } ?? "had no failure"); the evidence records \(recorded["failure"]?["phase"]?.stringValue.map { "a failure in \($0)" } ?? "none")"))
        }
        let claimed = recorded["verdict"]?.stringValue ?? "?", replayed = fresh["verdict"]?.stringValue ?? "?"
        if claimed != replayed {
            out.append(finding("$.predicate.verdict", "claims \(claimed), but the rehearsal run again from the sealed inputs ends \(replayed)"))
        }
        return out
    }

    package static func describe(stage: String, recorded: JSONValue?, replayed: JSONValue?) -> String {
        guard let r = recorded, r != .null, let p = replayed, p != .null else {
            return "the replay \(replayed == nil || replayed == .null ? "has no" : "has a") \(stage) fingerprint; the evidence records \(recorded == nil || recorded == .null ? "none" : "one")"
        }
        let tables = Set((r["tables"]?.objectValue ?? [:]).keys).union((p["tables"]?.objectValue ?? [:]).keys)
        let differing = tables.filter { r["tables"]?[$0] != p["tables"]?[$0] }.sorted()
        let objects = Set((r["objects"]?.objectValue ?? [:]).keys).union((p["objects"]?.objectValue ?? [:]).keys)
        let changed = objects.filter { r["objects"]?[$0] != p["objects"]?[$0] }.sorted()
        var parts: [String] = []
        if !changed.isEmpty { parts.append("schema objects \(changed.prefix(8).joined(separator: ", "))") }
        if !differing.isEmpty { parts.append("tables \(differing.prefix(8).joined(separator: ", "))") }
        if parts.isEmpty { parts.append("its digests or residue") }
        return "the \(stage) fingerprint of the replay differs from the recorded one in \(parts.joined(separator: " and "))"
    }

    /// A drift report without its prose: `details` of schema changes and
    /// `note` of table changes.
    package static func substance(_ drift: JSONValue?) -> JSONValue? {
        guard case .object(var o)? = drift else { return drift }
        for (key, prose) in [("schema", "details"), ("data", "note")] {
            if let items = o[key]?.arrayValue {
                o[key] = .array(items.map { item in
                    guard case .object(var i) = item else { return item }
                    i[prose] = nil
                    return .object(i)
                })
            }
        }
        return .object(o)
    }

    package static func summary(_ v: JSONValue?) -> String {
        guard let v, v != .null else { return "none" }
        let schema = v["schema"]?.arrayValue?.count ?? 0, data = (v["data"]?.arrayValue ?? []).compactMap { $0["table"]?.stringValue }
        if schema == 0 && data.isEmpty { return "none" }
        return "\(schema) schema objects and \(data.count) tables\(data.isEmpty ? "" : " (" + data.prefix(8).joined(separator: ", ") + ")")"
    }
}
