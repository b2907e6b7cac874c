import ArgumentParser
import Foundation
import RehearseCore
import RehearseEngine
import RehearseEvidence
import RehearseKit
import RehearsePostgres
import RehearseSQLite
import RehearseSurrogate
import RehearseValidator

extension Rehearse.Run {
    /// `--dump PATH --grant FILE --trust FILE DIR`: the gate (grant, digest,
    /// format, hostile content, secrets, source unchanged), then the same
    /// rehearsal as for a surrogate, on the restored private copy, with DIR's
    /// birth, rollback and checks. The source is hashed again at the end.
    func runDumpClone(dump: String, grant: String, trust: String) throws {
        let now = Int64(Date().timeIntervalSince1970)
        guard let target else {
            throw RehearseError(.badInput, "--dump \(dump) needs the change to rehearse: give a directory (or bundled name) whose manifest.yaml names the birth, rollback and checks, e.g. rehearse --dump \(dump) --grant \(grant) --trust \(trust) ./my-change. The dump was not opened or read.")
        }
        let source = try SurrogateSource.locate(target, executable: URL(fileURLWithPath: CommandLine.arguments[0]))
        let list = try allowlist.map(SecretAllowlist.init(file:)) ?? .none
        let grantBytes = try GrantVerifier.read(grant)
        let prepared = try DumpCloneGate.prepare(dump: dump, grantFile: grant, trustFile: trust, engine: engine.rawValue, allowlist: list,
                                                 bindir: pgBindir, now: now, pgUser: pgUser)
        defer { prepared.workspace.remove() }
        guard Digest.sha256Hex(grantBytes) == prepared.grant.digest else {
            throw RehearseError(.refused, "Refused: the grant \(grant) changed while rehearse read it. Nothing was restored.")
        }
        // Restoring archives into PostgreSQL comes with the source seam; the
        // refusal comes before a cluster is started for nothing.
        let human = format == .text && !quiet
        if human {
            Console.out(Console.bold("rehearse") + " dump \(dump) " + Console.dim("(\(prepared.format.rawValue), sha256 \(prepared.digest), \(DumpCloneSource.tag))"))
            Console.out("  grant \(prepared.grant.digest.prefix(16))… lane 2 by \(prepared.grant.keyIDs.count) trusted key(s), nonce \(prepared.grant.statement.nonce.prefix(16))…")
            Console.out("  secret scan \(SecretRules.scannerVersion): \(prepared.scan.findingCount) finding(s), \(prepared.scan.suppressedCount) allowlisted")
        }
        var options = Rehearsal.Options()
        options.lane = .operatorRealDataCloneHandoff
        options.dumpClone = DumpCloneSource(prepared: prepared, path: dump, grantBytes: grantBytes)
        options.outputDirectory = out.map { URL(fileURLWithPath: $0) }
        options.keep = keep
        if engine == .postgres { options.engine = .postgres(.ephemeral(bindir: pgBindir, runAs: pgUser)) }
        options.progress = format == .text ? Console.progress(quiet: quiet) : nil
        if human { options.onPhase = { Console.out(Self.phaseLine($0)) } }
        let result = try Rehearsal(source: source, options: options).run()
        // The source must be exactly as it was: a change is a loud failure.
        let after = try DumpDigest.of(path: dump)
        guard after == prepared.digest else {
            throw RehearseError(.rehearsalFailed, "The dump \(dump) CHANGED during the run (SHA-256 \(prepared.digest) at the start, \(after) now). rehearse only read it; something else wrote it. Do not trust this run's evidence for that file: \(result.evidenceURL.path).")
        }
        switch format {
        case .json: Console.out(Self.json(result).canonicalString)
        case .text: Self.printSummary(result, quiet: quiet)
        }
        let status = ExitStatus.of(valid: result.validation.isValid, verdict: result.validation.verdict)
        if status != 0 { throw ExitCode(status) }
    }
}
