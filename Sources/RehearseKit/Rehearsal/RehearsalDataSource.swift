import Foundation
import RehearseCore
import RehearseEngine
import RehearseEvidence
import RehearseSurrogate

/// Where the rows of a rehearsal's scratch database come from: the source
/// seam. Rows generated from the surrogate's schema and profile
/// (``GeneratedSurrogate``) are the default; a granted dump clone
/// (``DumpCloneSource``) is the second. A new source implements this
/// protocol; the rehearsal (``Rehearsal/run()``) and the evidence writer stay
/// as they are.
public protocol RehearsalDataSource {
    /// What governance must allow before anything is provisioned.
    var governanceRequest: Governance.Request { get }
    /// Loads a scratch database: the rehearsal's, and a fresh reference one
    /// when drift is localized. Returns what was loaded.
    func load(into scratch: ScratchEngine, progress: ProgressHandler?) throws -> LoadRecord
    /// The load phase's detail after the row counts (`seed 42`).
    func loadDetail(_ load: LoadRecord) -> String
    /// The evidence's `source` and `grant` for what was loaded; `name` is the
    /// manifest's (the change rehearsed).
    func evidence(name: String, load: LoadRecord) -> (source: JSONValue, grant: JSONValue)
    /// False for real data: key values then stay out of the drift evidence.
    var mayRecordKeyValues: Bool { get }
    /// Further files sealed with the run (name, bytes), such as a grant.
    var sealedFiles: [(String, [UInt8])] { get }
}

/// The default source: a surrogate generated from the sealed schema and
/// profile with a seed and scale, tagged as generated.
public struct GeneratedSurrogate: RehearsalDataSource {
    /// The surrogate whose schema and profile are generated.
    public let source: SurrogateSource
    /// The generator's seed.
    public let seed: UInt64
    /// The factor on the profile's row counts.
    public let scale: Double

    /// A generated surrogate of `source` with `seed` and `scale`.
    public init(source: SurrogateSource, seed: UInt64, scale: Double) {
        self.source = source
        self.seed = seed
        self.scale = scale
    }

    /// A surrogate: allowed under the default lane.
    public var governanceRequest: Governance.Request { .surrogate }

    /// Generates the surrogate into `scratch` with the provisioned jobs.
    public func load(into scratch: ScratchEngine, progress: ProgressHandler?) throws -> LoadRecord {
        try scratch.loadSurrogate(source, seed: seed, scale: scale, progress: progress)
    }

    /// `seed N`.
    public func loadDetail(_ load: LoadRecord) -> String { "seed \(seed)" }

    /// A `surrogate` source tagged generated, with generator version, spec digest, seed, scale, rows and any roles; no grant.
    public func evidence(name: String, load: LoadRecord) -> (source: JSONValue, grant: JSONValue) {
        var source: [String: JSONValue] = [
            "kind": "surrogate",
            "tag": .string(SurrogateTag.generated),
            "name": .string(name),
            "generator": .string(source.generator),
            "spec_digest": .string(load.specDigest),
            "seed": .integer(Int64(clamping: seed)),
            "scale": .string(describeScale(scale)),
            "rows": .object(load.rowsPerTable.mapValues { .integer($0) }),
        ]
        // Roles the schema file named, mapped to the scratch owner (PgDumpSchemaPlan).
        if !load.roles.isEmpty { source["roles"] = .object(load.roles.mapValues { .string($0) }) }
        return (.object(source), .null)
    }

    /// True: generated keys are not real values.
    public var mayRecordKeyValues: Bool { true }
    /// None: a generated surrogate seals only the surrogate's own files.
    public var sealedFiles: [(String, [UInt8])] { [] }
}

extension DumpCloneSource: RehearsalDataSource {
    package var governanceRequest: Governance.Request { .dumpClone(path: path) }

    package func load(into scratch: ScratchEngine, progress: ProgressHandler?) throws -> LoadRecord {
        try load(into: scratch)
    }

    package func loadDetail(_ load: LoadRecord) -> String { "dump sha256 \(prepared.digest)" }

    package func evidence(name: String, load: LoadRecord) -> (source: JSONValue, grant: JSONValue) {
        (sourceJSON(name: name, rows: load.rowsPerTable), prepared.grant.evidenceJSON)
    }

    package var mayRecordKeyValues: Bool { false }
    package var sealedFiles: [(String, [UInt8])] { [(Self.grantFile, grantBytes)] }
}
