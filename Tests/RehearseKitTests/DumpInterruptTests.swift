import Foundation
import Testing
@testable import RehearseCore
@testable import RehearseKit
@testable import RehearsePostgres

/// SIGINT and SIGTERM at each phase of a real `rehearse --dump` run (the
/// binary, a real cluster, Chinook's plain and custom pg_dumps and its SQLite
/// file): the signal is sent when the run prints the line that ends the
/// phase before (birth and rollback sleep on the server, so they are long
/// enough to hit every time). After each: exit 130 or 143, the source's bytes
/// and mtime unchanged, no cluster directory, server process or private dump
/// copy left, no run folder (no evidence claiming a verdict), and no phase
/// reported as failed because the signal stopped its server.
@Suite(.serialized, .enabled(if: PostgresServer.found(), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"))
struct DumpInterruptTests {
    /// The phase hit, the line printed just before it starts, and the line
    /// that would say it finished (it must not appear).
    static let phases: [(phase: String, after: String, next: String)] = [
        ("provisioning", "secret scan", "✓ provision"),
        ("restore", "✓ provision", "✓ load"),
        ("fingerprint", "✓ load", "✓ fingerprint (pre)"),
        ("birth", "✓ fingerprint (pre)", "✓ birth"),
        ("rollback", "✓ fingerprint (born)", "✓ rollback"),
        ("final fingerprint", "✓ checks after rollback", "✓ fingerprint (post)"),
    ]

    static var binary: URL {
        let here = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [here, here.deletingLastPathComponent()] {
            let exe = candidate.appendingPathComponent("rehearse")
            if FileManager.default.isExecutableFile(atPath: exe.path) { return exe }
        }
        return Repo.root.appendingPathComponent(".build/debug/rehearse")
    }

    /// Chinook's loyalty change; birth and rollback each wait on the server
    /// (PostgreSQL: pg_sleep; SQLite: a long recursive count).
    static func change(in dir: TempDir, postgres: Bool) throws -> URL {
        let c = dir.file(postgres ? "change-pg" : "change-sqlite")
        try FileManager.default.createDirectory(at: c.appendingPathComponent("checks"), withIntermediateDirectories: true)
        for f in ["schema.sql", "profile.yaml"] {
            try FileManager.default.copyItem(at: Repo.surrogate("commerce").appendingPathComponent(f), to: c.appendingPathComponent(f))
        }
        let wait = postgres ? "SELECT pg_sleep(3);"
            : "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000000) SELECT count(*) FROM c;"
        let (table, country, loyalty, gone) = postgres
            ? ("customer", "country", "loyalty", "SELECT count(*) = 0 FROM information_schema.columns WHERE table_name = 'customer' AND column_name = 'loyalty';")
            : ("Customer", "Country", "Loyalty", "SELECT count(*) = 0 FROM pragma_table_info('Customer') WHERE name = 'Loyalty';")
        let files = [
            "manifest.yaml": "name: chinook-loyalty\nschema: schema.sql\nprofile: profile.yaml\nbirth: birth.sql\nrollback: rollback.sql\nchecks:\n  after_birth: checks/after-birth.sql\n  after_rollback: checks/after-rollback.sql\nseed: 1\nscale: 1\n",
            "birth.sql": "ALTER TABLE \(table) ADD COLUMN \(loyalty) INTEGER;\n\(wait)\nUPDATE \(table) SET \(loyalty) = 1 WHERE \(country) = 'USA';\n",
            "rollback.sql": "\(wait)\nALTER TABLE \(table) DROP COLUMN \(loyalty);\n",
            "checks/after-birth.sql": "-- check: US customers are loyal\nSELECT count(*) = 13 FROM \(table) WHERE \(loyalty) = 1;\n",
            "checks/after-rollback.sql": "-- check: loyalty is gone\n\(gone)\n",
        ]
        for (name, text) in files { try text.write(to: c.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        return c
    }

    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `rehearse --dump` with TMPDIR = `tmp`, sends `sig` as soon as a
    /// stdout line contains `marker`, and waits for the end.
    static func interrupt(arguments: [String], tmp: URL, marker: String, sig: Int32, cache: URL? = nil) throws -> Outcome {
        let p = Process()
        p.executableURL = binary
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") }
        env["TMPDIR"] = tmp.path
        if let cache { env["XDG_CACHE_HOME"] = cache.path }
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        var stdout = Data(), sent = false
        let reader = out.fileHandleForReading
        while true {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            stdout.append(chunk)
            if !sent, String(decoding: stdout, as: UTF8.self).contains(marker) {
                kill(p.processIdentifier, sig)
                sent = true
            }
        }
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(sent, "the run never printed '\(marker)': \(String(decoding: stdout, as: UTF8.self)) \(String(decoding: stderr, as: UTF8.self))")
        return Outcome(status: p.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// Processes whose command line names `path` (a server started with
    /// `-D <path>/…`, a pg_restore reading the private copy).
    static func processes(naming path: String) -> [String] {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return pids.filter { $0.allSatisfy(\.isNumber) }.compactMap { pid in
            guard let raw = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
            let cmd = String(decoding: raw.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            return cmd.contains(path) ? "\(pid): \(cmd)" : nil
        }
    }

    static func mtime(_ path: String) -> timespec {
        var st = stat()
        _ = stat(path, &st)
        return st.st_mtim
    }

    /// One interrupted run and everything that must hold after it.
    static func check(dump: String, grant: String, trust: String, engine: String, change: URL, in dir: TempDir,
                      phase: (phase: String, after: String, next: String), sig: Int32, cache: URL? = nil) throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: dump))
        let modified = mtime(dump)
        let tmp = dir.file("tmp-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        let run = dir.file("run-\(UUID().uuidString.prefix(6))")
        let what = "\(URL(fileURLWithPath: dump).lastPathComponent) \(engine), \(sig == SIGINT ? "SIGINT" : "SIGTERM") during \(phase.phase)"
        let o = try interrupt(arguments: ["--dump", dump, "--grant", grant, "--trust", trust, "--engine", engine, "--out", run.path, change.path],
                              tmp: tmp, marker: phase.after, sig: sig, cache: cache)
        #expect(o.status == 128 + sig, "\(what): \(o.stdout) \(o.stderr)")
        #expect(o.stderr.contains("interrupted by \(sig == SIGINT ? "SIGINT" : "SIGTERM"); no evidence was written"), "\(what): \(o.stderr)")
        // the signal landed in the phase named, which then never finished
        #expect(!o.stdout.contains(phase.next), "\(what): the phase finished before the signal: \(o.stdout)")
        // nothing reported as the change's failure, no verdict, no run folder
        #expect(!o.stdout.contains("✗"), "\(what): a phase reported as failed because the signal stopped it: \(o.stdout)")
        #expect(!o.stdout.contains("Verdict"), "\(what): \(o.stdout)")
        #expect(!FileManager.default.fileExists(atPath: run.path), "\(what): a run folder was written")
        // the source as it was, nothing beside it
        #expect(try Data(contentsOf: URL(fileURLWithPath: dump)) == bytes, "\(what): the source changed")
        let after = mtime(dump)
        #expect(after.tv_sec == modified.tv_sec && after.tv_nsec == modified.tv_nsec, "\(what): the source's mtime changed")
        // no cluster, server, pg_restore or private copy left
        let left = (try? FileManager.default.contentsOfDirectory(atPath: tmp.path)) ?? []
        #expect(left.isEmpty, "\(what): left in TMPDIR: \(left)")
        // The cluster's guardian (a shell that outlives rehearse by design)
        // finishes its own sweep of the already removed directory, then ends.
        var running = processes(naming: tmp.path)
        for _ in 0..<100 where !running.isEmpty {
            Thread.sleep(forTimeInterval: 0.1)
            running = processes(naming: tmp.path)
        }
        #expect(running.isEmpty, "\(what): still running 10 s after the run ended: \(running.map { $0.prefix(200) })")
        // an empty cache: initdb ran, and no half-made template (a staging
        // copy is dot-named) is left behind
        if let cache {
            let left = (try? FileManager.default.contentsOfDirectory(atPath: cache.appendingPathComponent("rehearse").path)) ?? []
            #expect(left.allSatisfy { !$0.hasPrefix(".") }, "\(what): left in the template cache: \(left)")
        }
    }

    @Test(arguments: ["chinook.sql", "chinook.custom"])
    func postgresDumpInterruptedAtEachPhase(name: String) throws {
        let dir = TempDir()
        let source = dir.file(name)
        try FileManager.default.copyItem(at: try DumpFixtures.dumps.appendingPathComponent(name), to: source)
        let (grant, trust) = try DumpFixtures.grant(for: source.path, engine: "postgres", in: dir)
        let change = try Self.change(in: dir, postgres: true)
        // provisioning without a cached data directory: the signal comes during initdb
        for sig in [SIGTERM, SIGINT] {
            let cache = dir.file("cache-\(sig)")
            try Self.check(dump: source.path, grant: grant, trust: trust, engine: "postgres", change: change, in: dir, phase: Self.phases[0], sig: sig, cache: cache)
        }
        for (i, phase) in Self.phases.enumerated() {
            // both signals at every phase of the plain dump; one, alternating, for the custom one
            let signals = name.hasSuffix(".sql") ? [SIGINT, SIGTERM] : [i % 2 == 0 ? SIGTERM : SIGINT]
            for sig in signals {
                try Self.check(dump: source.path, grant: grant, trust: trust, engine: "postgres", change: change, in: dir, phase: phase, sig: sig)
            }
        }
    }

    @Test func sqliteFileInterruptedAtEachPhase() throws {
        let dir = TempDir()
        let source = dir.file("chinook.sqlite")
        try FileManager.default.copyItem(at: Repo.chinook, to: source)
        let (grant, trust) = try DumpFixtures.grant(for: source.path, engine: "sqlite", in: dir)
        let change = try Self.change(in: dir, postgres: false)
        // Birth and rollback only: they are made long; SQLite's fingerprint
        // of Chinook takes ~20 ms, so a signal sent when the phase before it
        // ends often lands after it (the clean-clone CI run saw exactly that).
        for phase in Self.phases.dropFirst(3).dropLast() {
            for sig in [SIGINT, SIGTERM] {
                try Self.check(dump: source.path, grant: grant, trust: trust, engine: "sqlite", change: change, in: dir, phase: phase, sig: sig)
            }
        }
    }
}
