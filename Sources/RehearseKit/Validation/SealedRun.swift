import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// What `--reproduce` and `--replay` rebuild a rehearsal from: the inputs a
/// run folder's subjects cover, exactly as sealed, written to a private
/// temporary directory under the names of their copies, with the engine,
/// seed and scale the evidence records. Nothing else of the run folder is
/// read (no dialect variant is looked up beside a subject), and the bytes are
/// the ones read once into memory, not re-read from a folder someone may be
/// changing.
package struct SealedRun {
    package let directory: URL
    package let source: SurrogateSource
    package let engineName: String
    package let engineVersion: String
    package let seed: UInt64
    package let scale: Double
    package let predicate: JSONValue
    /// A dump clone's run (``DumpReplay``): its data comes from the dump, not
    /// the generator, so it has no seed or scale; its sealed grant is copied
    /// beside the inputs (``grantCopy``).
    package let isDumpClone: Bool
    /// The run folder's grant.dsse.json, as read once with the folder; nil for a surrogate run.
    package let grantCopy: URL?

    package enum Problem: Error {
        case finding(path: String, message: String)
    }

    /// Reads the folder; a finding (under the caller's rule) when it cannot be
    /// rebuilt. The caller removes ``directory``.
    package init(folder: RunFolder, scratchParent: URL?, allowDumpClone: Bool = false) throws {
        guard let bytes = folder.file(named: EvidenceWriter.evidenceFile), let statement = try? JSONValue.parseStrict(bytes),
              let predicate = statement["predicate"], let source = predicate["source"] else {
            throw Problem.finding(path: "$", message: "no readable evidence to rebuild the run from")
        }
        self.predicate = predicate
        isDumpClone = allowDumpClone && source["kind"]?.stringValue == "dump_clone"
        guard source["kind"]?.stringValue == "surrogate" || isDumpClone else {
            throw Problem.finding(path: "$.predicate.source.kind", message: "only surrogate runs can be regenerated")
        }
        engineName = predicate["engine"]?["name"]?.stringValue ?? ""
        engineVersion = predicate["engine"]?["version"]?.stringValue ?? "?"
        guard EvidenceRules.engineNames.contains(engineName) else {
            throw Problem.finding(path: "$.predicate.engine.name", message: "no engine named '\(RunFolder.display(engineName))' to rebuild the run on")
        }
        var grantBytes: [UInt8]?
        // A dump clone's data is restored, not generated: the current generator.
        var generator = SurrogatePlan.generatorVersion
        if isDumpClone {
            // Restored from the dump, not generated: no seed or scale to check.
            self.seed = 0
            self.scale = 1
            guard let bytes = folder.file(named: DumpCloneEvidence.grantFile) else {
                throw Problem.finding(path: DumpCloneEvidence.grantFile, message: "missing: a dump clone's run folder holds the exact grant it ran under, which replay checks again")
            }
            grantBytes = bytes
        } else {
            // The domains are checked here again, not assumed: a forged scale of
            // "inf" or 1e300 must be a finding, never a trap in the generator.
            guard let seed = source["seed"]?.integerValue, seed >= 0 else {
                throw Problem.finding(path: "$.predicate.source.seed", message: "the seed is missing or negative, so the surrogate cannot be regenerated")
            }
            guard let scale = EvidenceRules.parseScale(source["scale"]?.stringValue ?? ""), scale <= Self.maxScale else {
                throw Problem.finding(path: "$.predicate.source.scale",
                                      message: "'\(RunFolder.display(source["scale"]?.stringValue ?? ""))' is not a scale the surrogate can be regenerated at (a plain decimal greater than zero, at most \(Int(Self.maxScale)))")
            }
            self.seed = UInt64(seed)
            self.scale = scale
            generator = source["generator"]?.stringValue ?? ""
            guard Self.generators.contains(generator) else {
                throw Problem.finding(path: "$.predicate.source.generator",
                                      message: "'\(RunFolder.display(generator))' is not a generator version this build can regenerate (it knows \(Self.generators.sorted().joined(separator: ", ")))")
            }
        }
        let manifestPath = EvidenceWriter.inputsFolder + "/" + SurrogateManifest.fileName
        guard let manifestBytes = folder.file(named: manifestPath), let manifestText = String(validating: manifestBytes, as: UTF8.self),
              let sealed = try? SurrogateManifest(parsing: manifestText, file: manifestPath) else {
            throw Problem.finding(path: "$.predicate.inputs.manifest", message: "\(manifestPath) is missing or not a valid manifest")
        }
        let inputs = predicate["inputs"]
        var copies: [(role: String, name: String, bytes: [UInt8])] = []
        for (role, _) in EvidenceRules.roles(of: sealed) where role != "manifest" {
            let subject = inputs?[role]?["subject"]?.stringValue ?? ""
            let prefix = EvidenceWriter.inputsFolder + "/"
            let name = String(subject.dropFirst(prefix.count))
            guard subject.hasPrefix(prefix), RunFolder.isPortable(subject), !name.contains("/"),
                  (statement["subject"]?.arrayValue ?? []).contains(where: { ($0["name"]?.stringValue ?? "").utf8.elementsEqual(subject.utf8) }),
                  let bytes = folder.file(named: subject) else {
                throw Problem.finding(path: "$.predicate.inputs.\(role).subject", message: "the \(role) input is not a subject of the statement in inputs/")
            }
            copies.append((role, name, bytes))
        }
        let fm = FileManager.default
        let parent = scratchParent ?? fm.temporaryDirectory
        // mkdtemp: a new directory, mode 0700, that nobody else created
        // first, so no other user can plant links or swap the scripts the
        // rebuild is about to run.
        var template = Array(parent.appendingPathComponent("rehearse-sealed-XXXXXXXX").path.utf8CString)
        guard let made = mkdtemp(&template) else {
            throw RehearseError.environment("Cannot create a private directory for the sealed inputs under \(parent.path): \(String(cString: strerror(errno))). Check that the temporary directory is writable.")
        }
        let directory = URL(fileURLWithPath: String(cString: made))
        do {
            for copy in copies {
                try Data(copy.bytes).write(to: directory.appendingPathComponent(copy.name))
            }
            try Data(manifestBytes).write(to: directory.appendingPathComponent(SurrogateManifest.fileName))
            if let grantBytes {
                // A name no sealed input can take (inputs are named by their subjects).
                let grant = directory.appendingPathComponent("grant-\(UUID().uuidString).dsse.json")
                try Data(grantBytes).write(to: grant)
                grantCopy = grant
            } else {
                grantCopy = nil
            }
        } catch {
            try? fm.removeItem(at: directory)
            throw RehearseError.environment("Cannot write the sealed inputs to \(directory.path): \(SystemErrorText.describe(error)). Check that the temporary directory is writable.")
        }
        self.directory = directory
        func named(_ role: String) -> String? { copies.first { $0.role == role }?.name }
        var manifest = sealed
        manifest.schema = named("schema")!
        manifest.profile = named("profile")!
        manifest.birth = named("birth")!
        manifest.rollback = named("rollback")!
        manifest.checksAfterBirth = named("checks_after_birth")
        manifest.checksAfterRollback = named("checks_after_rollback")
        var surrogate = SurrogateSource(directory: directory, manifest: manifest)
        surrogate.resolvesDialectVariants = false
        // Regenerated as it was made: older generator versions keep their values.
        surrogate.generator = generator
        self.source = surrogate
    }

    /// Generator versions whose data this build regenerates.
    package static let generators: Set<String> = ["rehearse-surrogate/1", "rehearse-surrogate/2", "rehearse-surrogate/3", SurrogatePlan.generatorVersion]

    /// A forged scale may not make the validator generate without bound.
    package static let maxScale = 1000.0

    /// The engine the run recorded; PostgreSQL is rebuilt in a private
    /// ephemeral cluster unless the caller names another target.
    package func engine(postgres: PostgresTarget) -> EngineChoice {
        engineName == "sqlite" ? .sqlite : .postgres(postgres)
    }

    package func remove() {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Rebuilds the run for a check under `rule` (`--reproduce`, `--replay`),
    /// hands it to `body`, and removes it afterwards; a folder that cannot be
    /// rebuilt is one finding of that rule.
    package static func checking(_ folder: RunFolder, rule: String, scratchParent: URL?, allowDumpClone: Bool = false,
                         _ body: (SealedRun) throws -> [ValidationFinding]) throws -> [ValidationFinding] {
        let run: SealedRun
        do {
            run = try SealedRun(folder: folder, scratchParent: scratchParent, allowDumpClone: allowDumpClone)
        } catch Problem.finding(let path, let message) {
            return [ValidationFinding(rule: rule, path: path, message: message)]
        }
        defer { run.remove() }
        return try body(run)
    }
}
