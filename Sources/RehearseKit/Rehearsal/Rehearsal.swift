import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine

/// One rehearsal of a surrogate's birth and rollback: provision, load,
/// fingerprint, birth, checks, fingerprint, rollback on a fresh connection,
/// checks, fingerprint, compare, then sealed evidence that the validator
/// re-checks. The scratch database is removed afterwards unless kept.
public struct Rehearsal {
    /// How to run a rehearsal; every field has a default.
    public struct Options {
        /// The generator's seed; nil takes the manifest's.
        public var seed: UInt64?
        /// The factor on the profile's row counts; nil takes the manifest's.
        public var scale: Double?
        /// Run folder; default `rehearsals/<run-id>` under the current directory.
        public var outputDirectory: URL?
        /// Keep the scratch database after the run (`--keep`); its place is then ``RehearsalResult/keptAt``.
        public var keep = false
        /// The lane the run is under; governance refuses a data source that does not fit it.
        public var lane: Lane = .default
        /// Receives load progress; nil reports nothing.
        public var progress: ProgressHandler?
        /// Called as each phase ends, for live output.
        public var onPhase: ((PhaseRecord) -> Void)?
        /// Where scratch directories go (default: the system temporary directory).
        public var scratchParent: URL?
        /// Threads generating surrogate values (default: all cores).
        public var jobs = ProcessInfo.processInfo.activeProcessorCount
        /// The engine: embedded SQLite (default) or PostgreSQL.
        public var engine: EngineChoice = .sqlite
        /// Runs on the scratch database after the rollback (and compare),
        /// before the evidence is written: `rehearse migrations` re-applies
        /// the birth here and compares it with the first born state.
        package var afterRollback: ((ScratchEngine, RehearsalRecord) throws -> Void)?
        /// Further files sealed into the run folder with the evidence, asked
        /// for once the run is over (`rehearse migrations`: what re-birth and
        /// the verify script found, as a step's own sealed record).
        package var sealedExtras: (() -> [(String, [UInt8])])?
        /// Grantees to map to the scratch owner, not create (`validate
        /// --replay` of a `--pg-url` run that mapped them: ``ProvisionOptions/mappedRoles``).
        package var mappedRoles: Set<String> = []
        /// Where the data comes from instead of the surrogate generator
        /// (whose birth, rollback and checks are still the change rehearsed);
        /// nil generates the surrogate (``GeneratedSurrogate``).
        public var dataSource: (any RehearsalDataSource)?
        /// A granted dump clone as the data source.
        package var dumpClone: DumpCloneSource? {
            get { dataSource as? DumpCloneSource }
            set { dataSource = newValue }
        }

        /// The defaults: the manifest's seed and scale, SQLite, the default lane, the generated surrogate, all cores.
        public init() {}
    }

    /// The surrogate whose birth and rollback are rehearsed.
    public let source: SurrogateSource
    /// How to run it.
    public var options: Options

    /// A rehearsal of `source`; nothing runs until ``run()``.
    public init(source: SurrogateSource, options: Options = Options()) {
        self.source = source
        self.options = options
    }

    /// Runs every phase, writes the sealed evidence into the run folder and validates it.
    /// A failed birth, rollback or check, or drift, is recorded (verdict FAIL), not thrown. Throws a ``RehearseError`` when
    /// governance refuses the request, an input is missing or wrong, the run folder already holds files, or the engine fails
    /// outside the scripts.
    public func run() throws -> RehearsalResult {
        let manifest = source.manifest
        let seed = options.seed ?? manifest.seed
        let scale = options.scale ?? manifest.scale
        try Governance.authorize((options.dataSource ?? GeneratedSurrogate(source: source, seed: seed, scale: scale)).governanceRequest, lane: options.lane)
        let dialect = options.engine.dialect
        // Every input is read and digested before anything is provisioned, so a
        // missing file is bad input, not a half-run rehearsal.
        let inputs = try RehearsalInputs(source: source, dialect: dialect)
        // From here on the surrogate's files come from the bytes read above.
        let source = inputs.source
        let data = options.dataSource ?? GeneratedSurrogate(source: source, seed: seed, scale: scale)
        let startedAt = Int64(Date().timeIntervalSince1970)
        let runID = Self.runID(name: manifest.name, at: startedAt)
        let runDirectory = options.outputDirectory
            ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("rehearsals").appendingPathComponent(runID)
        try EvidenceWriter.checkAvailable(runDirectory)

        var record = RehearsalRecord(runID: runID, startedAt: startedAt, lane: options.lane, surrogateName: manifest.name,
                                     seed: seed, scale: scale, inputs: inputs)
        var clock = ContinuousClock.now
        func finish(_ phase: Phase, _ outcome: PhaseRecord.Outcome, _ detail: String) {
            let p = PhaseRecord(phase: phase, outcome: outcome, durationMicros: (ContinuousClock.now - clock).microseconds, detail: detail)
            record.phases.append(p)
            options.onPhase?(p)
            clock = ContinuousClock.now
        }
        func skipRest() {
            for phase in Phase.allCases where !record.phases.contains(where: { $0.phase == phase }) {
                record.phases.append(PhaseRecord(phase: phase, outcome: .skipped, durationMicros: 0, detail: "not run: an earlier phase failed"))
                options.onPhase?(record.phases.last!)
            }
        }

        var provisioning = ProvisionOptions(keep: options.keep, parent: options.scratchParent, jobs: options.jobs,
                                            scriptsAsSuperuser: manifest.postgresSuperuser)
        provisioning.mappedRoles = options.mappedRoles
        let scratch = try options.engine.provision(provisioning)
        defer { scratch.tearDown(keep: options.keep) }
        record.engine = (scratch.dialect.rawValue, scratch.engineVersion)
        record.isolation = scratch.isolation.json
        finish(.provision, .ok, scratch.provisionSummary)

        let load = try data.load(into: scratch, progress: options.progress)
        record.load = load
        record.sourceEvidence = data.evidence(name: manifest.name, load: load)
        finish(.load, .ok, "\(load.totalRows) rows in \(load.rowsPerTable.count) tables, " + data.loadDetail(load))

        let pre = try scratch.fingerprint()
        record.pre = pre
        finish(.fingerprintPre, .ok, "\(pre.objects.count) schema objects, \(pre.tables.count) tables")

        phases: do {
            do {
                let run = try scratch.apply(inputs.birth, transactional: manifest.transactional)
                record.birthStatements = run.statements
                record.birthObserved = run.observed
                finish(.birth, .ok, "\(record.birthStatements.count) statements, \(record.birthStatements.reduce(0) { $0 + $1.rowsChanged }) rows changed")
            } catch {
                // The server stopped under an interrupt: not the birth's failure.
                try Interruption.stopIfInterrupted()
                record.failure = (.birth, error.description)
                finish(.birth, .failed, error.description)
                break phases
            }
            record.checksAfterBirth = try inputs.checksAfterBirth.map(scratch.runChecks) ?? []
            finish(.checksAfterBirth, record.checksAfterBirth.allSatisfy(\.passed) ? .ok : .failed, Self.describe(record.checksAfterBirth))

            let born = try scratch.fingerprint()
            record.born = born
            record.birthSurface = Drift(from: pre, to: born)
            finish(.fingerprintBorn, .ok, "birth surface: \(record.birthSurface!.schema.count) schema objects, \(record.birthSurface!.data.count) tables changed")

            do {
                let run = try scratch.apply(inputs.rollback, transactional: manifest.transactional)
                record.rollbackStatements = run.statements
                record.rollbackObserved = run.observed
                finish(.rollback, .ok, "\(record.rollbackStatements.count) statements, \(record.rollbackStatements.reduce(0) { $0 + $1.rowsChanged }) rows changed")
            } catch {
                try Interruption.stopIfInterrupted()
                record.failure = (.rollback, error.description)
                finish(.rollback, .failed, error.description)
                break phases
            }
            record.checksAfterRollback = try inputs.checksAfterRollback.map(scratch.runChecks) ?? []
            finish(.checksAfterRollback, record.checksAfterRollback.allSatisfy(\.passed) ? .ok : .failed, Self.describe(record.checksAfterRollback))

            let post = try scratch.fingerprint()
            record.post = post
            finish(.fingerprintPost, .ok, "\(post.objects.count) schema objects, \(post.tables.count) tables")

            var drift = Drift(from: pre, to: post)
            if !drift.isEmpty {
                drift = try scratch.localize(drift, pre: pre) { reference in _ = try data.load(into: reference, progress: nil) }
            }
            // Real data's keys are real values: they stay out of the evidence.
            if !data.mayRecordKeyValues {
                for i in drift.data.indices where !drift.data[i].sampleKeys.isEmpty || drift.data[i].note != nil {
                    drift.data[i].sampleKeys = []
                    drift.data[i].note = "key values are not recorded for a dump clone (real data)"
                }
            }
            record.drift = drift
            finish(.compare, drift.isEmpty ? .ok : .failed,
                   drift.isEmpty ? "post equals pre: schema and data restored exactly" : "drift in \(drift.schema.count) schema objects and \(drift.data.count) tables")
            try options.afterRollback?(scratch, record)
        }
        skipRest()

        // An interrupt may have stopped the server under a phase (a birth that
        // "failed", a check that erred, a fingerprint of a half-gone
        // database): what was recorded since is not the change's doing, and
        // no evidence may claim a verdict from it. The folder being written
        // is the interrupt's to remove until the seal is on it.
        try Interruption.stopIfInterrupted()
        let evidence = record.evidence
        let created = !FileManager.default.fileExists(atPath: runDirectory.path)
        if created { Interruption.register(runDirectory, keep: false) }
        defer { if created { Interruption.unregister(runDirectory) } }
        try Interruption.stopIfInterrupted()
        try EvidenceWriter.write(evidence: evidence, inputs: inputs.files.map { ($0.role, $0.path, $0.bytes) }, to: runDirectory,
                                 extra: data.sealedFiles + (options.sealedExtras?() ?? []))
        let validation = try Validator().validate(runDirectory: runDirectory)
        let keptAt = options.keep ? scratch.location : nil
        return RehearsalResult(runDirectory: runDirectory, record: record, evidence: evidence, validation: validation, keptAt: keptAt)
    }

    package static func describe(_ checks: [CheckResult]) -> String {
        if checks.isEmpty { return "no checks given" }
        let failed = checks.filter { !$0.passed }
        if failed.isEmpty { return "\(checks.count) of \(checks.count) passed" }
        return "\(failed.count) of \(checks.count) failed: " + failed.map { "\($0.name) (\($0.file):\($0.line), returned \($0.returned))" }.joined(separator: "; ")
    }

    package static func runID(name: String, at seconds: Int64) -> String {
        let stamp = CivilTime.rfc3339(seconds).replacingOccurrences(of: "-", with: "").replacingOccurrences(of: ":", with: "")
        // ASCII only: the validator accepts run IDs in [A-Za-z0-9._-] (R15).
        let safe = String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") ? $0 : "-" })
        return "\(stamp)-\(safe)-\(UUID().uuidString.lowercased().prefix(6))"
    }
}

/// What a finished rehearsal produced.
public struct RehearsalResult {
    /// The run folder the evidence was written to.
    public var runDirectory: URL
    /// Everything the rehearsal observed; its ``RehearsalRecord/verdict`` is the outcome.
    public var record: RehearsalRecord
    /// The evidence written, as JSON.
    public var evidence: JSONValue
    /// The validator's report on the evidence just written: its verdict counts.
    public var validation: ValidationReport
    /// Where the scratch database was kept; nil unless ``Rehearsal/Options/keep`` was set.
    public var keptAt: URL?

    /// The evidence file (`evidence.json`) in the run folder.
    public var evidenceURL: URL { runDirectory.appendingPathComponent(EvidenceWriter.evidenceFile) }
}
