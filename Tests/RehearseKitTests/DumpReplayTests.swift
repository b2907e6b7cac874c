import Foundation
import Testing
@testable import RehearseCore
@testable import RehearseEngine
@testable import RehearseEvidence
@testable import RehearseKit
@testable import RehearsePostgres
@testable import RehearseSQLite
@testable import RehearseSurrogate
@testable import RehearseValidator

/// Replay of a dump clone with the dump given again: Chinook's -Fd dump
/// restored and rehearsed, then replayed to the same result; another dump is
/// refused naming both digests; a consistently forged fingerprint is caught;
/// a grant whose window has since closed still lets the run's own evidence be
/// replayed; an untrusted grant does not.
@Suite(.serialized,
       // Skipped where the PostgreSQL server is not installed (one line at the end of the run counts them).
       .enabled(if: PostgresServer.found(), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)")) struct DumpReplayTests {
    let dir = TempDir()

    struct Run {
        var folder: URL
        var dump: String
        var grant: (grant: String, trust: String)
    }

    /// Chinook's -Fd dump rehearsed with the loyalty change (PASS).
    func run(notAfter: Int64? = nil) throws -> Run {
        let dump = try DumpFixtures.dumps.appendingPathComponent("chinook.dir").path
        let g = try DumpFixtures.grant(for: dump, engine: "postgres", in: dir, notAfter: notAfter)
        let prepared = try DumpCloneGate.prepare(dump: dump, grantFile: g.grant, trustFile: g.trust, engine: "postgres", allowlist: .none,
                                                 bindir: nil, now: Int64(Date().timeIntervalSince1970), scratchParent: dir.url)
        defer { prepared.workspace.remove() }
        var options = Rehearsal.Options()
        options.lane = .operatorRealDataCloneHandoff
        options.dumpClone = DumpCloneSource(prepared: prepared, path: dump, grantBytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: g.grant))))
        options.scratchParent = dir.url
        options.outputDirectory = dir.file("run-\(UUID().uuidString.prefix(6))")
        options.engine = .postgres(.ephemeral())
        let change = DumpCloneRehearsalTests.change(postgres: true, in: dir)
        let result = try Rehearsal(source: try SurrogateSource(directory: change), options: options).run()
        #expect(result.validation.isValid && result.validation.verdict == .pass, "\(result.validation.findings)")
        return Run(folder: result.runDirectory, dump: dump, grant: g)
    }

    func replay(_ run: Run, dump: String? = nil, trust: String? = nil) throws -> [ValidationFinding] {
        try DumpReplay.check(try RunFolder(directory: run.folder), shown: run.folder.path,
                             request: .init(dump: dump ?? run.dump, trustFile: trust ?? run.grant.trust), scratchParent: dir.url)
    }

    func leftovers() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir.url.path)) ?? []).filter { $0.hasPrefix("rehearse-dump-") || $0.hasPrefix("rehearse-sealed-") }
    }

    @Test func aDirectoryDumpRunReplaysToTheSameResultAndAnotherDumpIsRefused() throws {
        let source = try DumpFixtures.dumps.appendingPathComponent("chinook.dir")
        let untouched = try DirectoryDumpTests.state(source)
        let r = try run()
        let before = try DumpDigest.of(path: r.dump)
        #expect(try replay(r).isEmpty)
        #expect(try DirectoryDumpTests.state(source) == untouched, "the source is byte- and mtime-identical after the run and the replay")
        // another dump (the same data, as a custom archive): refused before anything is restored, naming both digests
        let other = try DumpFixtures.dumps.appendingPathComponent("chinook.custom").path
        let e = #expect(throws: RehearseError.self) { try replay(r, dump: other) }
        #expect(e?.code == .refused)
        #expect(e?.message.contains("has SHA-256 \(try DumpDigest.of(path: other))") == true, "\(e?.message ?? "")")
        #expect(e?.message.contains("rehearsed the dump with SHA-256 \(before) (source.dump_sha256)") == true)
        // a plain file holding the directory's listing has the directory's SHA-256 (attack-d15 D-F2): refused by its format
        var listing = ""
        for name in try FileManager.default.contentsOfDirectory(atPath: r.dump).sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: r.dump).appendingPathComponent(name)))
            listing += "\(name) \(bytes.count) \(Digest.sha256Hex(bytes))\n"
        }
        try listing.write(to: dir.file("listing.sql"), atomically: true, encoding: .utf8)
        #expect(try DumpDigest.of(path: dir.file("listing.sql").path) == before)
        let alike = #expect(throws: RehearseError.self) { try replay(r, dump: dir.file("listing.sql").path) }
        #expect(alike?.code == .refused)
        #expect(alike?.message.contains("is a plain dump, and the run \(r.folder.path) restored a directory dump (source.format)") == true, "\(alike?.message ?? "")")
        // the public entry without the dump: a finding saying what replay needs
        let finding = try Replay.check(runDirectory: r.folder, scratchParent: dir.url)
        #expect(finding.count == 1 && finding[0].message.contains("rehearse validate --replay --dump PATH --trust FILE RUN"), "\(finding)")
        #expect(leftovers().isEmpty, "\(leftovers())")
    }

    /// A forger edits a table's fingerprint the same way in every stage
    /// (so pre, born and post still agree, the drift stays empty) and
    /// reseals: plain validation cannot tell; replay on the dump does.
    @Test func aConsistentlyForgedFingerprintIsCaughtByReplay() throws {
        let r = try run()
        let url = r.folder.appendingPathComponent("evidence.json")
        var e = try JSONValue.parseStrict([UInt8](Data(contentsOf: url)))
        for stage in ["pre", "born", "post"] {
            var tables = e["predicate"]!["fingerprints"]![stage]!["tables"]!
            tables = Forge.setting(tables, ["genre", "rows"], to: 26)
            tables = Forge.setting(tables, ["genre", "digest"], to: .string(String(repeating: "ab", count: 32)))
            Forge.set(&e, "predicate.fingerprints.\(stage).tables", tables)
            Forge.set(&e, "predicate.fingerprints.\(stage).data_digest", .string(Digest.sha256Hex(tables.canonicalBytes)))
        }
        Forge.set(&e, "predicate.source.rows.genre", 26)
        try Data(e.canonicalBytes).write(to: url)
        try Seal.write(directory: r.folder)
        let plain = try Validator().validate(runDirectory: r.folder)
        #expect(plain.isValid && plain.verdict == .pass, "the forgery is consistent: \(plain.findings)")
        let findings = try replay(r)
        #expect(findings.allSatisfy { $0.rule == Replay.rule })
        for stage in ["pre", "born", "post"] {
            #expect(findings.contains { $0.path == "$.predicate.fingerprints.\(stage)" && $0.message.contains("tables genre") }, "\(findings)")
        }
        #expect(findings.contains { $0.path == "$.predicate.source.rows" && $0.message.contains("restored dump's row counts differ") })
        #expect(leftovers().isEmpty)
    }

    /// The grant expired after the run: replay judges the window at the run's
    /// start, so the run's own evidence stays checkable; a trust file that
    /// does not hold the grant's key still refuses (exit 3).
    @Test func anExpiredGrantStillReplaysItsRunButAnUntrustedOneDoesNot() throws {
        let notAfter = Int64(Date().timeIntervalSince1970) + 15 // past the run's start, which follows the gate's scan
        let r = try run(notAfter: notAfter)
        while Int64(Date().timeIntervalSince1970) <= notAfter { Thread.sleep(forTimeInterval: 0.5) }
        // at the time of the replay the grant no longer verifies
        let now = #expect(throws: RehearseError.self) {
            try GrantVerifier.require([UInt8](Data(contentsOf: URL(fileURLWithPath: r.grant.grant))), file: "g", trust: TrustPolicy(file: URL(fileURLWithPath: r.grant.trust)),
                                      now: Int64(Date().timeIntervalSince1970), lane: .operatorRealDataCloneHandoff, subjectSHA256: nil, engine: "postgres")
        }
        #expect(now?.message.contains("it has expired") == true)
        #expect(try replay(r).isEmpty)
        let note = DumpReplay.expiredGrantNote(try RunFolder(directory: r.folder), now: Int64(Date().timeIntervalSince1970))
        #expect(note?.contains("replay judged its window at the run's start") == true, "\(note ?? "")")
        #expect(DumpReplay.expiredGrantNote(try RunFolder(directory: r.folder), now: notAfter - 1) == nil)
        let stranger = try DumpFixtures.grant(for: r.dump, engine: "postgres", in: dir)
        let e = #expect(throws: RehearseError.self) { try replay(r, trust: stranger.trust) }
        #expect(e?.code == .refused)
        #expect(e?.message.contains("\(DumpCloneEvidence.grantFile) does not authorize this run") == true, "\(e?.message ?? "")")
        #expect(e?.message.contains("rehearse-sealed-") == false, "the run's grant is named, not its private copy")
        #expect(leftovers().isEmpty)
    }
}
