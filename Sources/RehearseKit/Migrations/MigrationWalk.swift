import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// `rehearse migrations DIR`: reads a migrations directory by its layout
/// and rehearses each step (or one range) with the ordinary rehearsal
/// pipeline. Each step is a surrogate of its own, written to a private
/// temporary folder: its schema is the prelude and every earlier up (see
/// ``MigrationHistory``), its rows come from the generator (the profile
/// given, or `default_rows`), its birth is the up, its rollback the down.
/// After the rollback and compare, the up runs again on the same database
/// and its state is compared with the first born state (re-birth), then the
/// step's verify script (Sqitch) runs. Every step's run folder is a normal
/// sealed run folder under `steps/`; `walk.json` lists the steps, and the
/// walk folder's own seal covers all of it (``MigrationWalkValidator``).
///
/// Each step starts from a fresh database holding the earlier ups and fresh
/// generated rows, so a step that fails does not hide the next: the walk
/// carries on from the state "up k applied" by building it again.
package struct MigrationWalk {
    package enum Mode: String, Sendable { case step, range }

    package struct Options {
        package var layout: MigrationLayout?
        package var from: String?
        package var to: String?
        package var mode: Mode = .step
        /// A profile for the schema; default: every table gets `rows` rows.
        package var profile: URL?
        package var rows: Int64 = 20
        /// A script applied before the first migration (schemas, settings, roles).
        package var prelude: URL?
        /// The schema before --from as a file, instead of the earlier ups.
        package var baseline: URL?
        package var seed: UInt64 = 1
        package var engine: EngineChoice = .sqlite
        package var postgresSuperuser = false
        package var outputDirectory: URL?
        package var scratchParent: URL?
        package var jobs = 1
        /// Called as each step ends.
        package var onStep: ((MigrationStepResult) -> Void)?
        package init() {}
    }

    package static let indexFile = "walk.json"
    package static let stepsFolder = "steps"
    package static let verifyFolder = "verify"

    package let directory: URL
    package var options: Options

    package init(directory: URL, options: Options = Options()) {
        self.directory = directory
        self.options = options
    }

    /// The steps selected by `--from`/`--to`, as indexes into the set.
    package static func select(_ set: MigrationSet, from: String?, to: String?) throws -> ClosedRange<Int>? {
        func find(_ v: String, _ option: String) throws -> Int {
            let matches = set.steps.indices.filter { set.steps[$0].version == v || set.steps[$0].name == v }
            if matches.count == 1 { return matches[0] }
            // A name several migrations share (a Sqitch change reworked) names none of them.
            if matches.count > 1 {
                let candidates = matches.map { i in "\(spec(i)) (step \(i + 1), version \(set.steps[i].version))" }
                throw RehearseError.badInput("\(option) \(v): \(matches.count) migrations of \(set.directory.path) answer to \(v): \(candidates.joined(separator: ", ")). Name one of them as listed.")
            }
            // Sqitch's change@tag: the instance of a reworked change as of a tag (its scripts are named so), @HEAD the latest.
            if set.layout == .sqitch, let at = v.lastIndex(of: "@") {
                let name = String(v[..<at]), tag = v[v.index(after: at)...]
                let instances = set.steps.indices.filter { set.steps[$0].name == name }
                if tag == "HEAD", let last = instances.last { return last }
                if let i = instances.first(where: { spec($0) == v }) { return i }
            }
            if v.allSatisfy(\.isNumber), let i = set.steps.firstIndex(where: { $0.version.allSatisfy(\.isNumber) && !MigrationFiles.numericLess(Substring($0.version), Substring(v)) && !MigrationFiles.numericLess(Substring(v), Substring($0.version)) }) { return i }
            throw RehearseError.badInput("\(option) \(v): no migration of \(set.directory.path) has that version or name. The first is \(set.steps.first.map { $0.version } ?? "none"), the last \(set.steps.last.map { $0.version } ?? "none").")
        }
        /// How a step is named unambiguously: a reworked Sqitch change as `name@tag` (its scripts' name) or `name@HEAD`.
        func spec(_ i: Int) -> String {
            let step = set.steps[i]
            guard set.layout == .sqitch, set.steps.filter({ $0.name == step.name }).count > 1 else { return step.version }
            if let deploy = step.up.first?.file, deploy.hasPrefix("deploy/\(step.name)@"), deploy.hasSuffix(".sql") {
                return String(deploy.dropFirst("deploy/".count).dropLast(".sql".count))
            }
            return set.steps[(i + 1)...].contains { $0.name == step.name } ? step.version : step.name + "@HEAD"
        }
        guard !set.steps.isEmpty else { return nil }
        let lo = try from.map { try find($0, "--from") } ?? 0
        let hi = try to.map { try find($0, "--to") } ?? set.steps.count - 1
        guard lo <= hi else { throw RehearseError.badInput("--from \(from ?? "") comes after --to \(to ?? ""): give --from at or before --to.") }
        return lo...hi
    }

    /// Whether SQL text declares a foreign-key action other than the default.
    static func hasReferentialActions(_ text: String) -> Bool {
        let t = SQLNormalizer.tokens(text).map { $0.lowercased() }
        for i in t.indices.dropLast(2) where t[i] == "on" && (t[i + 1] == "delete" || t[i + 1] == "update") && t[i + 2] != "no" {
            return true
        }
        return false
    }

    package func run() throws -> MigrationWalkResult {
        let dialect = options.engine.dialect
        let layout = try options.layout ?? MigrationLayout.detect(directory)
        // Every file the reader reads is recorded: the walk folder seals the
        // directory's inventory and those bytes, and the validator reads them
        // again by the layout's rules to derive the steps the walk must list.
        let log = MigrationFileLog()
        let set = try MigrationFiles.$source.withValue(.disk(log)) { try layout.read(directory, dialect: dialect) }
        // A walk of nothing proves nothing: never exit 0 for it (W-F19).
        guard !set.steps.isEmpty else {
            throw RehearseError.badInput("\(directory.path): no migration found by the \(layout.rawValue) rules (\(set.notes.isEmpty ? "the directory holds none" : set.notes.prefix(3).joined(separator: "; "))). A walk of no migration proves nothing; point at the folder holding the migrations, or give --layout.")
        }
        let inventory = try MigrationInventory.take(directory, log: log)
        let prelude = try options.prelude.map { url -> MigrationScript in
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw RehearseError.badInput("--prelude \(url.path): the file cannot be read. Check that it exists and is readable.")
            }
            return MigrationScript(file: url.lastPathComponent, text: try InputText.decode(data, file: url.path))
        }
        let baseline = try options.baseline.map { url -> MigrationScript in
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw RehearseError.badInput("--baseline \(url.path): the file cannot be read. Check that it exists and is readable.")
            }
            return MigrationScript(file: url.lastPathComponent, text: try InputText.decode(data, file: url.path))
        }
        let profileText = try options.profile.map { url -> String in
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw RehearseError.badInput("--profile \(url.path): the file cannot be read. Check that it exists and is readable.")
            }
            return try InputText.decode(data, file: url.path)
        } ?? "# Every table of the schema before the step gets the same number of generated rows.\ndefault_rows: \(options.rows)\n"
        let selected = try Self.select(set, from: options.from, to: options.to)
        let walkFolder = options.outputDirectory
            ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("rehearsals")
                .appendingPathComponent(Rehearsal.runID(name: "migrations-" + directory.lastPathComponent, at: Int64(Date().timeIntervalSince1970)))
        try OutputLocation.check(walkFolder)
        if let existing = try? FileManager.default.contentsOfDirectory(atPath: walkFolder.path), !existing.isEmpty {
            throw RehearseError.badInput("--out \(walkFolder.path) is not empty. Give a new or empty folder for the walk.")
        }
        try FileManager.default.createDirectory(at: walkFolder.appendingPathComponent(Self.stepsFolder), withIntermediateDirectories: true)
        let work = try MigrationWorkFolder(parent: options.scratchParent)
        defer { work.remove() }

        var units: [MigrationUnit] = []
        if let range = selected {
            switch options.mode {
            case .step: units = range.map { MigrationUnit.step(set.steps[$0], at: $0, dialect: dialect) }
            case .range: units = [MigrationUnit.range(set.steps, range, dialect: dialect)]
            }
        }
        var results: [MigrationStepResult] = []
        let history = try MigrationHistoryDatabase(engine: options.engine, superuser: options.postgresSuperuser, parent: options.scratchParent, work: work.url)
        defer { history.tearDown() }
        history.begin(prelude: prelude, baseline: baseline, range: selected)
        for unit in units {
            if Interruption.isInterrupted { break }
            history.advance(set, to: unit.historyEnd)
            let schema = try history.stepSchema()
            var result = try rehearse(unit, schema: schema, broken: history.broken, profile: profileText, dialect: dialect, work: work, walkFolder: walkFolder)
            result.notes = unit.notes + result.notes
            results.append(result)
            options.onStep?(result)
        }
        // The last selected ups too, so the walk says whether the whole range
        // applies in order (for IRREVERSIBLE steps that is all it can say).
        var notes = set.notes
        if let range = selected, !Interruption.isInterrupted {
            history.advance(set, to: range.upperBound + 1)
            notes.append(history.broken.map { "history: \($0)" }
                ?? "history: every up up to \(set.steps[range.upperBound].version) applied in order on \(dialect) \(history.scratch.engineVersion)")
        }
        if dialect == .sqlite {
            // Which foreign-key setting the steps ran with (W-F13).
            notes.append("foreign keys: every script ran with PRAGMA foreign_keys = OFF (SQLite's default for a new connection), and PRAGMA foreign_key_check after it; a runner that turns foreign keys on (a DSN with _foreign_keys=on or _fk=1) fires ON DELETE and ON UPDATE actions that this walk did not")
        }
        let walk = MigrationWalkResult(layout: layout, directory: directory.path, dialect: dialect, mode: options.mode.rawValue,
                                       steps: results, notes: notes, walkFolder: walkFolder)
        try MigrationInventory.writeSources(log, to: walkFolder)
        try MigrationWalkIndex.write(walk, inventory: inventory, prelude: prelude, baseline: baseline, profile: profileText, options: options, to: walkFolder)
        return walk
    }

    private func rehearse(_ unit: MigrationUnit, schema: String?, broken: String?, profile: String, dialect: Dialect,
                          work: MigrationWorkFolder, walkFolder: URL) throws -> MigrationStepResult {
        var result = MigrationStepResult(index: unit.index, version: unit.version, name: unit.name, files: unit.files, status: "")
        if let skip = unit.skip {
            result.status = skip.status
            result.detail = [skip.reason]
            result.exitStatus = skip == .empty(skip.reason) ? 0 : 6
            return result
        }
        let started = ContinuousClock.now
        defer { result.durationMicros = (ContinuousClock.now - started).microseconds }
        guard let schema else {
            result.status = "ERROR"
            result.detail = ["not rehearsed: " + (broken ?? "the schema before the step could not be built")] + Self.hint(broken ?? "")
            result.exitStatus = RehearseError.Code.rehearsalFailed.exitStatus
            return result
        }
        let birth = Self.composed(unit.up), rollback = Self.composed(unit.down)
        let verify = unit.verify.isEmpty ? nil : Self.composed(unit.verify)
        let stepProfile = MigrationProfile.filter(profile, schema: schema)
        if !stepProfile.leftOut.isEmpty {
            result.notes.append("profile: \(stepProfile.leftOut.count) tables the schema before this step does not create are left out (\(stepProfile.leftOut.prefix(5).joined(separator: ", "))\(stepProfile.leftOut.count > 5 ? ", …" : ""))")
        }
        if dialect == .sqlite, Self.hasReferentialActions(schema + "\n" + birth.text + "\n" + rollback.text) {
            result.notes.append("foreign keys OFF while the up and down ran (SQLite's default): the schema has ON DELETE / ON UPDATE actions, which a runner with foreign keys on would fire (a table rebuild can cascade away child rows)")
        }
        let surrogate = try work.surrogate(label: unit.label, schema: schema, profile: stepProfile.text, birth: birth.text,
                                           rollback: rollback.text, seed: options.seed, transactional: unit.transactional,
                                           superuser: options.postgresSuperuser)
        func relocate(_ m: String) -> String {
            rollback.relocate(birth.relocate(m, name: "birth.sql"), name: "rollback.sql")
        }
        var rehearsal = Rehearsal(source: try SurrogateSource(directory: surrogate))
        rehearsal.options.seed = options.seed
        rehearsal.options.engine = options.engine
        rehearsal.options.jobs = options.jobs
        rehearsal.options.scratchParent = options.scratchParent
        let runFolder = Self.stepsFolder + "/" + unit.label
        rehearsal.options.outputDirectory = walkFolder.appendingPathComponent(runFolder)
        let verifyScript = try verify.map { v -> SQLScript in
            let path = Self.verifyFolder + "/" + unit.label + ".sql"
            let url = walkFolder.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(v.text.utf8).write(to: url)
            return SQLScript(displayPath: path, url: url, text: v.text, sha256: Digest.sha256Hex(Data(v.text.utf8)))
        }
        let followUp = MigrationStepFollowUp(unit: unit, verifyScript: verifyScript, verify: verify, relocate: relocate)
        rehearsal.options.afterRollback = { try followUp.run($0, $1) }
        // Re-birth and verify as the step's own sealed record: walk.json
        // repeats them, and the validator holds the two to each other.
        rehearsal.options.sealedExtras = {
            let record: JSONValue = ["format": .string(MigrationWalkIndex.stepRecordFormat), "rebirth": followUp.rebirth, "verify": followUp.verify]
            return [(MigrationWalkIndex.stepRecordFile, record.canonicalBytes)]
        }
        let outcome: RehearsalResult
        do {
            outcome = try rehearsal.run()
        } catch let error as RehearseError {
            result.status = "ERROR"
            result.detail = [relocate(error.message)] + Self.hint(error.message)
            result.exitStatus = error.code.exitStatus
            if FileManager.default.fileExists(atPath: walkFolder.appendingPathComponent(runFolder).path) { result.runFolder = runFolder }
            return result
        }
        result.runFolder = runFolder
        let runURL = walkFolder.appendingPathComponent(runFolder)
        result.evidenceSHA256 = FileManager.default.contents(atPath: runURL.appendingPathComponent(EvidenceWriter.evidenceFile).path).map { Digest.sha256Hex($0) }
        result.sealSHA256 = FileManager.default.contents(atPath: runURL.appendingPathComponent(Seal.fileName).path).map { Digest.sha256Hex($0) }
        result.evidenceValid = outcome.validation.isValid
        result.verdict = outcome.evidence["predicate"]?["verdict"]?.stringValue
        result.rebirth = followUp.rebirth
        result.verify = followUp.verify
        let rebirthLines = followUp.rebirthLines, verifyLines = followUp.verifyLines, chanceLine = followUp.chanceLine
        var lines: [String] = []
        if let failure = outcome.record.failure {
            lines.append("\(failure.phase.rawValue) failed: " + relocate(failure.message))
            lines += Self.hint(failure.message)
        }
        for c in outcome.record.checksAfterBirth + outcome.record.checksAfterRollback where !c.passed {
            lines.append("check \(c.name) at \(relocate("\(c.file):\(c.line)")) returned \(c.returned)")
        }
        if let drift = outcome.record.drift, !drift.isEmpty {
            lines.append("drift: the down did not restore the state before the up (\(unit.down.map(\.file).joined(separator: ", ")))")
            lines += MigrationDriftText.lines(drift)
        }
        lines += rebirthLines + verifyLines
        result.detail = lines
        if !outcome.validation.isValid {
            result.status = "REJECTED"
            result.detail = outcome.validation.findings.map(\.description) + lines
            result.exitStatus = RehearseError.Code.evidenceRejected.exitStatus
        } else if result.verdict == Verdict.pass.rawValue && rebirthLines.isEmpty && verifyLines.isEmpty, let chanceLine {
            result.status = "INCONCLUSIVE"
            result.detail = [chanceLine]
            result.exitStatus = 6
        } else if result.verdict == Verdict.pass.rawValue && rebirthLines.isEmpty && verifyLines.isEmpty {
            result.status = "PASS"
            result.detail = ["birth, rollback and re-birth as expected" + (verifyScript == nil ? "" : "; verify passed")]
        } else if result.verdict == Verdict.pass.rawValue || result.verdict == Verdict.fail.rawValue {
            result.status = "FAIL"
            result.exitStatus = RehearseError.Code.rehearsalFailed.exitStatus
        } else {
            // Any other verdict (INCONCLUSIVE, ...) is not a pass: reported as recorded.
            result.status = result.verdict ?? "FAIL"
            result.exitStatus = result.verdict == "INCONCLUSIVE" ? 6 : RehearseError.Code.rehearsalFailed.exitStatus
            if !rebirthLines.isEmpty || !verifyLines.isEmpty {
                result.status = "FAIL"
                result.exitStatus = RehearseError.Code.rehearsalFailed.exitStatus
            }
        }
        return result
    }

    /// Scripts one after the other, each headed by its file and line.
    package static func composed(_ scripts: [MigrationScript]) -> ComposedScript {
        var c = ComposedScript()
        scripts.forEach { c.append($0) }
        return c
    }

    /// The fix for an engine error that says a statement cannot run in a transaction.
    package static func hint(_ message: String) -> [String] {
        guard message.contains("cannot run inside a transaction block") || message.contains("cannot be executed inside a transaction") else { return [] }
        return ["hint: this statement cannot run inside a transaction. Mark the migration as your runner does (dbmate: `-- migrate:up transaction:false`; pop: a `.autocommit.up.sql` file; Flyway: `executeInTransaction=false` in V…sql.conf); rehearse then runs it statement by statement on PostgreSQL."]
    }
}

/// Drift as report lines: one per schema object and per table.
package enum MigrationDriftText {
    package static func lines(_ drift: Drift) -> [String] {
        var out: [String] = []
        for c in drift.schema {
            out.append("  schema \(c.kind) \(c.name) \(c.change.rawValue)" + (c.details.isEmpty ? "" : ": " + c.details.joined(separator: "; ")))
        }
        for t in drift.data { out.append("  data   " + t.summaryLines.joined(separator: "; ")) }
        return out
    }
}
