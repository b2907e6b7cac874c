import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// Replay of a dump clone (`rehearse validate --replay --dump PATH --trust
/// FILE RUN`). Real data is never sealed into evidence, so the operator gives
/// the dump again, and replay proves the run's claim about it:
///
/// 1. the dump given must hash to the run's `source.dump_sha256` (else exit 3
///    naming both digests: replay never restores another dump);
/// 2. it then passes the whole gate a run passes (``DumpCloneGate``), with the
///    run's sealed grant (grant.dsse.json): every signature against the trust
///    file, lane 2, the recorded engine, the subject against the digest taken
///    while the dump is copied, the member and file-name checks, the secret
///    scan, the hostile-statement checks;
/// 3. the sealed birth, rollback and checks run again on the restored copy in
///    a fresh scratch database, and the fingerprints, drift, checks and
///    verdict must come out as recorded (``Replay``).
///
/// The grant's validity window is judged at the run's recorded start, as
/// `validate --trust` judges it, not at the time of the replay: replay
/// re-checks what that grant already allowed (the same dump, byte for byte,
/// the same engine, the sealed change, in a private ephemeral database that
/// is removed afterwards) rather than a new use of the data, so old evidence
/// stays checkable after its grant expires. A grant that did not cover the
/// run's start, or that was not for this exact dump, refuses as at run time.
/// This opens nothing to anyone new: `--trust` first requires the evidence
/// itself to be signed by trusted keys (R9), and whoever holds those could
/// as well sign a fresh grant.
package enum DumpReplay {
    package struct Request {
        /// The dump, as given on the command line.
        package var dump: String
        /// The trust file the grant must verify against.
        package var trustFile: String
        package var allowlist: SecretAllowlist = .none
        package var bindir: String?
        package var pgUser: String?

        package init(dump: String, trustFile: String, allowlist: SecretAllowlist = .none, bindir: String? = nil, pgUser: String? = nil) {
            self.dump = dump
            self.trustFile = trustFile
            self.allowlist = allowlist
            self.bindir = bindir
            self.pgUser = pgUser
        }
    }

    /// Whether the folder's evidence is a dump clone's.
    package static func isDumpClone(_ folder: RunFolder) -> Bool {
        DumpCloneReplay.refusal(folder, rule: Replay.rule) != nil
    }

    /// The recorded dump digest, for messages.
    package static func recordedDigest(_ folder: RunFolder) -> String? {
        guard let bytes = folder.file(named: EvidenceWriter.evidenceFile), let statement = try? JSONValue.parseStrict(bytes) else { return nil }
        return statement["predicate"]?["source"]?["dump_sha256"]?.stringValue
    }

    /// Said after a replay whose grant has expired since the run: the window
    /// was judged at the run's start, not now.
    package static func expiredGrantNote(_ folder: RunFolder, now: Int64) -> String? {
        guard let bytes = folder.file(named: EvidenceWriter.evidenceFile), let statement = try? JSONValue.parseStrict(bytes),
              let predicate = statement["predicate"], let notAfter = predicate["grant"]?["not_after"]?.integerValue, notAfter < now else { return nil }
        return "the run's grant expired at \(GrantClock.describe(notAfter)); replay judged its window at the run's start (\(predicate["started_at"]?.stringValue ?? "?")), as validate --trust does, and restored only the dump it names."
    }

    /// Findings under ``Replay/rule`` where the replay differs from the
    /// record; throws (exit 3) when the dump or grant does not allow it.
    package static func check(_ folder: RunFolder, shown: String, request: Request, scratchParent: URL? = nil,
                              postgres: PostgresTarget = .ephemeral()) throws -> [ValidationFinding] {
        try SealedRun.checking(folder, rule: Replay.rule, scratchParent: scratchParent, allowDumpClone: true) { run in
            guard run.isDumpClone, let grantCopy = run.grantCopy else {
                throw RehearseError.badInput("--dump is for replaying a dump clone, and \(RunFolder.display(shown)) is a surrogate run: replay it without --dump.")
            }
            if let findings = postgresSuperuser(run) { return findings }
            let recorded = run.predicate["source"]?["dump_sha256"]?.stringValue ?? ""
            let given = try DumpDigest.of(path: request.dump)
            guard given == recorded else {
                throw RehearseError.refused("Refused: the dump \(RunFolder.display(request.dump)) has SHA-256 \(given), and the run \(RunFolder.display(shown)) rehearsed the dump with SHA-256 \(recorded) (source.dump_sha256). Replay restores only the dump the run recorded; nothing was restored.")
            }
            let startedAt = run.predicate["started_at"]?.stringValue.flatMap(GrantClock.parse) ?? 0
            let prepared: DumpCloneGate.Prepared
            do {
                prepared = try DumpCloneGate.prepare(dump: request.dump, grantFile: grantCopy.path, trustFile: request.trustFile, engine: run.engineName,
                                                     allowlist: request.allowlist, bindir: request.bindir, now: startedAt,
                                                     scratchParent: scratchParent, pgUser: request.pgUser)
            } catch let error as RehearseError {
                // Name the run's grant, not the private copy it was read from.
                let sealed = (shown as NSString).appendingPathComponent(DumpCloneEvidence.grantFile)
                throw RehearseError(error.code, error.message.replacingOccurrences(of: grantCopy.path, with: RunFolder.display(sealed))
                    + (error.message.contains("does not authorize") ? " (Replay judges the grant's window at the run's start, \(run.predicate["started_at"]?.stringValue ?? "?").)" : ""))
            }
            defer { prepared.workspace.remove() }
            // The bytes copied (and about to be restored) are the recorded
            // ones, and the grant checked is the one the evidence records.
            guard prepared.digest == recorded else {
                throw RehearseError.refused("Refused: the dump \(RunFolder.display(request.dump)) CHANGED while rehearse read it (SHA-256 \(prepared.digest) when copied, \(recorded) recorded). Nothing was restored.")
            }
            // A directory's digest is that of a text listing: a file holding
            // exactly that text hashes alike. The format recorded decides.
            let recordedFormat = run.predicate["source"]?["format"]?.stringValue ?? "?"
            guard prepared.format.rawValue == recordedFormat else {
                throw RehearseError.refused("Refused: the dump \(RunFolder.display(request.dump)) is a \(prepared.format.rawValue) dump, and the run \(RunFolder.display(shown)) restored a \(RunFolder.display(recordedFormat)) dump (source.format). Replay restores only the dump the run recorded; nothing was restored.")
            }
            guard prepared.grant.digest == run.predicate["grant"]?["digest"]?.stringValue else {
                throw RehearseError.refused("Refused: the run's sealed grant (\(DumpCloneEvidence.grantFile)) is not the grant its evidence records. Nothing was restored.")
            }
            let grantBytes = [UInt8]((try? Data(contentsOf: grantCopy)) ?? Data())
            let findings = try Replay.check(run, scratchParent: scratchParent, postgres: postgres,
                                            dumpClone: DumpCloneSource(prepared: prepared, path: request.dump, grantBytes: grantBytes))
            // As after a run: the source must be exactly as it was.
            let after = try DumpDigest.of(path: request.dump)
            guard after == recorded else {
                throw RehearseError.rehearsalFailed("The dump \(RunFolder.display(request.dump)) CHANGED during the replay (SHA-256 \(recorded) at the start, \(after) now). rehearse only read it; something else wrote it.")
            }
            return findings
        }
    }

    /// As ``Replay`` refuses for surrogates: a run folder's scripts never run
    /// as the superuser.
    static func postgresSuperuser(_ run: SealedRun) -> [ValidationFinding]? {
        guard run.source.manifest.postgresSuperuser else { return nil }
        return [ValidationFinding(rule: Replay.rule, path: "$.predicate.inputs.manifest", message: "the sealed manifest sets postgres_superuser: true, so its scripts would run as the superuser; replay never runs a run folder's scripts with that power.")]
    }
}
