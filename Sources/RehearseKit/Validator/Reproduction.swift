import Foundation

/// Independent reproduction (`rehearse validate --reproduce`): regenerate the
/// surrogate from the schema and profile copied into the run folder, with the
/// seed and scale the evidence claims, fingerprint it afresh, and compare with
/// the pre-birth fingerprint the evidence records. Nothing the rehearsal
/// computed is reused.
public enum Reproduction {
    public static let rule = "R10-reproduce"

    public static func check(runDirectory: URL, scratchParent: URL? = nil) throws -> [ValidationFinding] {
        let folder = try RunFolder(directory: runDirectory)
        func finding(_ path: String, _ message: String) -> ValidationFinding {
            ValidationFinding(rule: rule, path: path, message: message)
        }
        guard let bytes = folder.files[EvidenceWriter.evidenceFile], let statement = try? JSONValue.parseStrict(bytes),
              let predicate = statement["predicate"], let source = predicate["source"] else {
            return [finding("$", "no readable evidence to reproduce")]
        }
        guard source["kind"]?.stringValue == "surrogate" else {
            return [finding("$.predicate.source.kind", "only surrogate runs can be regenerated")]
        }
        let engineName = predicate["engine"]?["name"]?.stringValue ?? ""
        let engine: EngineChoice
        switch engineName {
        case "sqlite": engine = .sqlite
        // A PostgreSQL run is regenerated in a private ephemeral cluster.
        case PostgresSurrogateLoader.dialect: engine = .postgres(.ephemeral())
        default: return [finding("$.predicate.engine.name", "no engine named '\(engineName)' to reproduce on")]
        }
        guard let seed = source["seed"]?.integerValue, seed >= 0, let scaleText = source["scale"]?.stringValue,
              let scale = Double(scaleText), scale > 0, let name = source["name"]?.stringValue,
              let schemaPath = predicate["inputs"]?["schema"]?["subject"]?.stringValue, folder.files[schemaPath] != nil,
              let profilePath = predicate["inputs"]?["profile"]?["subject"]?.stringValue, folder.files[profilePath] != nil else {
            return [finding("$.predicate.source", "the seed, scale, name or the schema and profile inputs are missing")]
        }
        let inputs = runDirectory.appendingPathComponent(EvidenceWriter.inputsFolder)
        let manifest = SurrogateManifest(name: name, schema: (schemaPath as NSString).lastPathComponent,
                                         profile: (profilePath as NSString).lastPathComponent, birth: "", rollback: "",
                                         seed: UInt64(seed), scale: scale)
        let surrogate = SurrogateSource(directory: inputs, manifest: manifest)
        var out: [ValidationFinding] = []
        if try surrogate.specDigest(dialect: engine.dialect) != source["spec_digest"]?.stringValue {
            out.append(finding("$.predicate.source.spec_digest", "does not recompute from the schema and profile in inputs/"))
        }
        let scratch = try engine.provision(keep: false, parent: scratchParent, jobs: ProcessInfo.processInfo.activeProcessorCount)
        defer { scratch.tearDown(keep: false) }
        _ = try scratch.loadSurrogate(surrogate, seed: UInt64(seed), scale: scale, jobs: ProcessInfo.processInfo.activeProcessorCount, progress: nil)
        let fresh = try scratch.fingerprint().json
        let claimed = predicate["fingerprints"]?["pre"]
        if fresh["objects"] != claimed?["objects"] {
            // Catalog text can differ between server major versions.
            let recorded = predicate["engine"]?["version"]?.stringValue ?? "?"
            let major: (String) -> Substring = { $0.split(separator: ".").first ?? "" }
            let note = major(recorded) == major(scratch.engineVersion) ? ""
                : " (recorded on \(engineName) \(recorded), reproduced on \(scratch.engineVersion): reproduce on the same major version)"
            out.append(finding("$.predicate.fingerprints.pre.objects", "the regenerated surrogate's schema differs from the one recorded" + note))
        }
        if fresh["tables"] != claimed?["tables"] {
            let tables = Set((fresh["tables"]?.objectValue ?? [:]).keys).union((claimed?["tables"]?.objectValue ?? [:]).keys)
            let differing = tables.filter { fresh["tables"]?[$0] != claimed?["tables"]?[$0] }.sorted()
            out.append(finding("$.predicate.fingerprints.pre.tables", "the regenerated surrogate's data differs in \(differing.joined(separator: ", "))"))
        }
        return out
    }
}
