import Foundation
import Testing

/// Hostile run folders through the CLI: status 5 and a sentence naming the
/// file or field, never a trap, a hang or Foundation's error text.
@Suite struct EvidenceCLITests {
    static let corpus = CLI.root.appendingPathComponent("Tests/Conformance")

    func copy(_ name: String, in s: Scratch) throws -> String {
        let target = s.url.appendingPathComponent(name)
        try FileManager.default.copyItem(at: Self.corpus.appendingPathComponent(name), to: target)
        return target.path
    }

    func expectNoFoundationText(_ r: CLI.Result, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!r.all.contains("NSCocoaErrorDomain") && !r.all.contains("Error Domain"), "\(r.all)", sourceLocation: sourceLocation)
    }

    @Test func aSymbolicLinkInARunFolderIsRejectedWithExitFiveAndItsName() throws {
        let s = Scratch()
        let run = try copy("pass_commerce", in: s)
        try FileManager.default.createSymbolicLink(atPath: run + "/inputs/extra.sql", withDestinationPath: "/etc/passwd")
        for args in [["validate", run], ["seal", "verify", run]] {
            let r = try CLI.run(args)
            #expect(r.status == 5, "\(args): \(r.all)")
            #expect(r.stdout.contains("inputs/extra.sql: not a regular file (a symbolic link)"), "\(r.all)")
            expectNoFoundationText(r)
        }
    }

    @Test func sealVerifyInJSONNamesTheRefusedFileAndWhy() throws {
        let s = Scratch()
        let run = try copy("pass_commerce", in: s)
        try FileManager.default.createSymbolicLink(atPath: run + "/evidence.link", withDestinationPath: "evidence.json")
        let r = try CLI.run(["seal", "verify", "--format", "json", run])
        #expect(r.status == 5)
        #expect(r.stdout.contains("{\"file\":\"evidence.link\",\"kind\":\"refused\",\"message\":\"not a regular file (a symbolic link)"), "\(r.all)")
    }

    @Test func aFIFOInARunFolderIsRejectedWithoutBeingOpened() throws {
        let s = Scratch()
        let run = try copy("pass_commerce", in: s)
        #expect(mkfifo(run + "/evidence.json.fifo", 0o644) == 0)
        let clock = ContinuousClock.now
        let r = try CLI.run(["validate", run])
        #expect(ContinuousClock.now - clock < .seconds(30), "opening a FIFO would block")
        #expect(r.status == 5, "\(r.all)")
        #expect(r.stdout.contains("[R2-seal] evidence.json.fifo: not a regular file (a FIFO)"), "\(r.all)")
    }

    @Test func aHugeEvidenceFileIsRefusedBeforeItIsRead() throws {
        let s = Scratch()
        let run = try copy("pass_commerce", in: s)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: run + "/evidence.json"))
        try handle.truncate(atOffset: 6 << 30)
        try handle.close()
        let r = try CLI.run(["validate", run])
        #expect(r.status == 5, "\(r.all)")
        #expect(r.stderr.contains("evidence.json holds 6442450944 bytes, more than the 64 MiB any file of a run folder may hold; it was not read."), "\(r.all)")
    }

    @Test func aLookAlikeNameFailsTheSealAsSha256sumWould() throws {
        let s = Scratch()
        let run = try copy("pass_commerce", in: s)
        // Sealed as "Kelvin.txt" (ASCII K), then renamed to U+212A KELVIN
        // SIGN: Unicode calls the names equal, the kernel and sha256sum do not.
        try "x\n".write(toFile: run + "/Kelvin.txt", atomically: true, encoding: .utf8)
        #expect(try CLI.run(["seal", "write", run]).status == 0)
        try FileManager.default.moveItem(atPath: run + "/Kelvin.txt", toPath: run + "/\u{212A}elvin.txt")
        for args in [["seal", "verify", run], ["validate", run]] {
            let r = try CLI.run(args)
            #expect(r.status == 5, "\(args): \(r.all)")
            #expect(r.stdout.contains("Kelvin.txt: sealed but missing"), "\(r.all)")
            #expect(r.stdout.contains("\\xe2\\x84\\xaaelvin.txt: the name has bytes outside the portable set"), "\(r.all)")
        }
        let sha = Process()
        sha.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        sha.arguments = ["-c", "--quiet", "SEAL.sha256"]
        sha.currentDirectoryURL = URL(fileURLWithPath: run)
        sha.standardOutput = FileHandle.nullDevice
        sha.standardError = FileHandle.nullDevice
        try sha.run()
        sha.waitUntilExit()
        #expect(sha.terminationStatus != 0, "sha256sum agrees the seal does not match")
    }

    @Test func sealingAFolderWithANonPortableNameIsRefused() throws {
        let s = Scratch()
        let run = try copy("pass_commerce", in: s)
        try "x\n".write(toFile: run + "/caf\u{E9}.txt", atomically: true, encoding: .utf8)
        let r = try CLI.run(["seal", "write", run])
        #expect(r.status == 2, "\(r.all)")
        #expect(r.stderr.contains("caf\\xc3\\xa9.txt: the name has bytes outside the portable set"), "\(r.all)")
        #expect(r.stderr.contains("Remove or rename it, then seal again."))
    }

    @Test func sealFindingsNameTheFileOnce() throws {
        let s = Scratch()
        let run = try copy("pass_commerce", in: s)
        try "changed\n".write(toFile: run + "/inputs/birth.sql", atomically: true, encoding: .utf8)
        let r = try CLI.run(["validate", run])
        #expect(r.status == 5)
        #expect(r.stdout.contains("  [R2-seal] inputs/birth.sql: bytes differ from the seal\n"), "\(r.all)")
        #expect(!r.stdout.contains("inputs/birth.sql: inputs/birth.sql"))
    }

    @Test(arguments: ["scale_inf_fail", "scale_nan_fail", "scale_hex_fail", "scale_exponent_fail"])
    func aForgedScaleUnderReproduceOrReplayIsRejectedNotTrapped(name: String) throws {
        let s = Scratch()
        let run = try copy(name, in: s)
        for mode in ["--reproduce", "--replay"] {
            let r = try CLI.run(["validate", mode, run], environment: s.env)
            #expect(r.status == 5, "\(mode): \(r.all)")
            #expect(r.stdout.contains("[R15-domains] $.predicate.source.scale"), "\(r.all)")
        }
    }

    @Test func replayRejectsALossyRunForgedIntoAPassThatPlainValidationAccepts() throws {
        let s = Scratch()
        #expect(try CLI.run(["--surrogate", "lossy-rollback", "--scale", "0.05", "--out", s.path("run"), "-q"], environment: s.env).status == 1)
        // Rewritten in canonical JSON (sorted keys, no white space, raw UTF-8).
        let forge = Process()
        forge.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        forge.arguments = ["python3", "-c", """
            import json, sys
            f = sys.argv[1] + "/evidence.json"
            e = json.load(open(f, encoding="utf-8")); p = e["predicate"]
            p["fingerprints"]["post"] = p["fingerprints"]["pre"]
            p["drift"] = {"schema": [], "data": []}
            p["verdict"] = "PASS"
            for ph in p["phases"]: ph["outcome"] = "ok"
            open(f, "wb").write(json.dumps(e, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
            """, s.path("run")]
        try forge.run()
        forge.waitUntilExit()
        #expect(forge.terminationStatus == 0)
        #expect(try CLI.run(["seal", "write", s.path("run")]).status == 0)
        let plain = try CLI.run(["validate", s.path("run")])
        #expect(plain.status == 0, "plain validation cannot see a consistent lie: \(plain.all)")
        let r = try CLI.run(["validate", "--replay", s.path("run")], environment: s.env)
        #expect(r.status == 5, "\(r.all)")
        #expect(r.stdout.contains("[R16-replay] $.predicate.verdict: claims PASS, but the rehearsal run again from the sealed inputs ends FAIL"), "\(r.all)")
        let json = try CLI.run(["validate", "--replay", "--format", "json", s.path("run")], environment: s.env)
        #expect(json.status == 5)
        #expect(json.stdout.contains("\"rule\":\"R16-replay\""))
        #expect(s.leftovers.isEmpty)
    }

    @Test func replayAcceptsAGenuineRun() throws {
        let s = Scratch()
        #expect(try CLI.run(["--scale", "0.05", "--out", s.path("run"), "-q"], environment: s.env).status == 0)
        let r = try CLI.run(["validate", "--replay", s.path("run")], environment: s.env)
        #expect(r.status == 0, "\(r.all)")
        #expect(r.stdout.contains("evidence valid; verdict PASS"))
        #expect(s.leftovers.isEmpty)
    }

    @Test(// Skipped where the PostgreSQL server is not installed.
          .enabled(if: PostgresServer.found(.test), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"))
    func replayOfAnEphemeralClusterRunRunsInItsOwnCluster() throws {
        let s = Scratch()
        let run = try CLI.run(["--engine", "postgres", "--scale", "0.02", "--out", s.path("run"), "-q"], environment: s.env)
        #expect(run.status == 0, "\(run.all)")
        let r = try CLI.run(["validate", "--replay", s.path("run")], environment: s.env)
        #expect(r.status == 0, "\(r.all)")
        #expect(r.stdout.contains("evidence valid; verdict PASS"))
        #expect(s.leftovers.isEmpty, "no cluster left: \(s.leftovers)")
    }

    @Test func aFileGivenAsTheRunFolderIsBadInput() throws {
        let r = try CLI.run(["validate", CLI.root.appendingPathComponent("README.md").path])
        #expect(r.status == 2)
        #expect(r.stderr.contains("README.md is a file, not a run folder."), "\(r.all)")
    }

    @Test func aForgedTargetIsRejectedWithItsRule() throws {
        let s = Scratch()
        let r = try CLI.run(["validate", try copy("remote_server_as_loopback_fail", in: s)])
        #expect(r.status == 5)
        #expect(r.stdout.contains("[R7-isolation] $.predicate.target.host: '10.20.30.40' is neither a socket directory nor a literal loopback address"), "\(r.all)")
    }
}
