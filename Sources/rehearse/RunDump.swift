import ArgumentParser
import Foundation
import RehearseKit

extension Rehearse.Run {
    /// `--dump PATH --grant FILE --trust FILE`: every check before a restore
    /// (grant, digest, format, hostile content, secrets, source unchanged).
    /// Restoring the clone and rehearsing on it comes with the source seam; this
    /// version refuses at that point, after saying what passed.
    func runDumpClone(dump: String, grant: String, trust: String) throws {
        let now = Int64(Date().timeIntervalSince1970)
        let list = try allowlist.map(SecretAllowlist.init(file:)) ?? .none
        let prepared = try DumpCloneGate.prepare(dump: dump, grantFile: grant, trustFile: trust, engine: engine.rawValue, allowlist: list,
                                                 bindir: pgBindir, now: now)
        defer { prepared.workspace.remove() }
        if format == .text && !quiet {
            Console.out(Console.bold("rehearse") + " dump \(dump) " + Console.dim("(\(prepared.format.rawValue), sha256 \(prepared.digest), REAL_DUMP_CLONE)"))
            Console.out("  grant \(prepared.grant.digest.prefix(16))… lane 2 by \(prepared.grant.keyIDs.count) trusted key(s), nonce \(prepared.grant.statement.nonce.prefix(16))…")
            Console.out("  secret scan \(SecretRules.scannerVersion): \(prepared.scan.findingCount) finding(s), \(prepared.scan.suppressedCount) allowlisted")
            Console.out("  source unchanged after reading (sha256 before and after agree)")
        }
        throw RehearseError(.refused, "Refused: the dump \(dump) passed the grant, secret and content checks, but this version cannot restore a dump clone into a scratch database yet (it comes with the source seam). Nothing was restored; the dump was only read.")
    }
}
