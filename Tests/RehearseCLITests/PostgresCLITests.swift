import Foundation
import Testing

/// `rehearse --engine postgres` as a user runs it: a private cluster per run,
/// refusals with their documented statuses, and clean-up on SIGTERM.
@Suite struct PostgresCLITests {
    /// Server processes whose command line names a directory under `parent`.
    static func postmasters(under parent: URL) -> [Int32] {
        let procs = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return procs.compactMap { Int32($0) }.filter { pid in
            guard let cmd = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8) else { return false }
            let parts = cmd.split(separator: "\0").map(String.init)
            return parts.first?.hasSuffix("/postgres") == true && parts.contains { $0.hasPrefix(parent.path) }
        }
    }

    @Test(// Skipped where the PostgreSQL server is not installed.
          .enabled(if: PostgresServer.found(.test), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"))
    func commercePassesOnAnEphemeralCluster() throws {
        let s = Scratch()
        let r = try CLI.run(["--engine", "postgres", "--scale", "0.05", "--out", s.path("run")], environment: s.env)
        #expect(r.status == 0, "\(r.all)")
        #expect(r.stdout.contains("PostgreSQL 1"))
        #expect(r.stdout.contains("ephemeral cluster, Unix socket only, no TCP"))
        #expect(r.stdout.contains("birth observed: no table rewritten; ACCESS EXCLUSIVE on"))
        #expect(r.stdout.contains("Verdict: PASS (evidence valid)"))
        #expect(s.leftovers.isEmpty, "\(s.leftovers)")
        #expect(Self.postmasters(under: s.url).isEmpty)
        let v = try CLI.run(["validate", s.path("run")])
        #expect(v.status == 0, "\(v.all)")
    }

    /// The CLI removes every PG* variable before anything else runs, so a
    /// hostile environment neither redirects the connection (the run passes
    /// on its own cluster) nor makes the library refuse it.
    @Test(// Skipped where the PostgreSQL server is not installed.
          .enabled(if: PostgresServer.found(.test), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"))
    func aHostilePostgresEnvironmentCannotRedirectTheRun() throws {
        let s = Scratch()
        var env = s.env
        for (key, value) in ["PGHOST": "db.example.com", "PGHOSTADDR": "10.0.0.5", "PGPORT": "1", "PGSERVICE": "prod",
                             "PGSERVICEFILE": s.path("pg_service.conf"), "PGSYSCONFDIR": s.url.path, "PGSSLMODE": "verify-full",
                             "PGOPTIONS": "-c default_transaction_read_only=on", "PGUSER": "nobody", "PGDATABASE": "nothere",
                             "PGPASSFILE": s.path("pgpass"), "PGCONNECT_TIMEOUT": "1", "PGTZ": "Pacific/Chatham"] {
            env[key] = value
        }
        try "[prod]\nhost=db.example.com\nport=1\n".write(toFile: s.path("pg_service.conf"), atomically: true, encoding: .utf8)
        let r = try CLI.run(["--engine", "postgres", "--scale", "0.05", "--out", s.path("run"), "--quiet"], environment: env)
        #expect(r.status == 0, "\(r.all)")
        #expect(!r.all.contains("db.example.com") && !r.all.contains("The environment sets"), "\(r.all)")
        #expect(Self.postmasters(under: s.url).isEmpty)
        #expect(try CLI.run(["validate", s.path("run")]).status == 0)
    }

    @Test(// Skipped where the PostgreSQL server is not installed.
          .enabled(if: PostgresServer.found(.test), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"))
    func lossyRollbackExitsOneNamingTheColumn() throws {
        let s = Scratch()
        let r = try CLI.run(["--engine", "postgres", "surrogates/lossy-rollback", "--scale", "0.1", "--out", s.path("run"), "--format", "json"], environment: s.env)
        #expect(r.status == 1, "\(r.all)")
        #expect(r.stdout.contains("\"phone\":"))
        #expect(r.stdout.contains("\"verdict\":\"FAIL\""))
        #expect(s.leftovers.isEmpty)
    }

    @Test(arguments: ["host=db.example.com", "postgresql://10.1.2.3:5432/app", "service=prod"])
    func aNonLocalServerIsRefusedWithExit3(_ url: String) throws {
        let s = Scratch()
        let r = try CLI.run(["--engine", "postgres", "--pg-url", url, "--out", s.path("run")], environment: s.env)
        #expect(r.status == 3, "\(r.all)")
        #expect(r.stderr.contains("not this machine") || r.stderr.contains("service file"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: s.path("run")))
    }

    @Test(arguments: [["fingerprint", "--pg-url", "host=db.example.com dbname=app"],
                      ["profile", "--pg-url", "host=10.0.0.9 dbname=app", "--out", "/tmp/never-written.yaml"],
                      ["generate", "--pg-url", "hostaddr=,10.0.0.5 dbname=app"]])
    func everyPgURLCommandRefusesANonLocalServer(_ arguments: [String]) throws {
        let r = try CLI.run(arguments)
        #expect(r.status == 3, "\(r.all)")
        #expect(r.stderr.contains("not this machine"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/never-written.yaml"))
    }

    @Test(arguments: [
        (["generate"], "Give exactly one of --out FILE (SQLite) or --pg-url CONNINFO (PostgreSQL)."),
        (["generate", "--out", "/tmp/x.sqlite", "--pg-url", "host=/tmp dbname=x"], "Give exactly one of --out FILE (SQLite) or --pg-url CONNINFO (PostgreSQL)."),
        (["fingerprint"], "Give exactly one of FILE (SQLite) or --pg-url CONNINFO (PostgreSQL)."),
        (["fingerprint", "--pg-url", "host=/tmp dbname=x", "--jobs", "0"], "--jobs must be 1 or more."),
        (["profile", "--out", "/tmp/never.yaml"], "Give exactly one of --from DB (SQLite) or --pg-url CONNINFO (PostgreSQL)."),
        (["profile", "--pg-url", "host=/tmp dbname=x", "--out", "/tmp/never.yaml", "--schema-out", "/tmp/never.sql"],
         "--schema-out reads SQLite only; for PostgreSQL write the schema with pg_dump --schema-only."),
        (["generate", "--pg-url", "host=/tmp"], "--pg-url names no database. Add dbname=... (an empty database you created for the surrogate)."),
        (["fingerprint", "--pg-url", "host=/tmp"], "--pg-url names no database. Add dbname=... for the database to fingerprint."),
        (["profile", "--pg-url", "host=/tmp", "--out", "/tmp/never.yaml"], "--pg-url names no database. Add dbname=... for the database to profile."),
    ] as [([String], String)])
    func pgURLCommandsRefuseBadInputWithExit2(_ arguments: [String], _ message: String) throws {
        let r = try CLI.run(arguments)
        #expect(r.status == 2, "\(r.all)")
        #expect(r.stderr.contains(message), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/never.yaml"))
    }

    @Test(// Skipped where the PostgreSQL server is not installed.
          .enabled(if: PostgresServer.found(.test), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"))
    func aTMPDIRTooLongForASocketIsAnEnvironmentError() throws {
        let s = Scratch()
        let deep = s.url.appendingPathComponent(String(repeating: "d", count: 90))
        try FileManager.default.createDirectory(at: deep, withIntermediateDirectories: true)
        let r = try CLI.run(["--engine", "postgres", "--scale", "0.01", "--out", s.path("run")], environment: ["TMPDIR": deep.path])
        #expect(r.status == 4, "\(r.all)")
        #expect(r.stderr.contains("would exceed the 107-byte limit of Unix sockets. Set TMPDIR to a shorter directory."))
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: deep.path)) ?? ["?"]).isEmpty)
    }

    @Test func postgresOptionsNeedThePostgresEngine() throws {
        let r = try CLI.run(["--pg-url", "host=/tmp"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("apply to --engine postgres only"))
        let both = try CLI.run(["--engine", "postgres", "--pg-url", "host=/tmp", "--pg-bindir", "/usr/bin"])
        #expect(both.status == 2)
        #expect(both.stderr.contains("with --pg-url there is none"))
    }

    @Test func aBindirWithoutTheServerIsBadInput() throws {
        let s = Scratch()
        let r = try CLI.run(["--engine", "postgres", "--pg-bindir", s.url.path], environment: s.env)
        #expect(r.status == 2, "\(r.all)")
        #expect(r.stderr.contains("initdb, pg_ctl and postgres are not all there"))
    }

    @Test(// Skipped where the PostgreSQL server is not installed.
          .enabled(if: PostgresServer.found(.test), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"))
    func theServerUserMustExist() throws {
        let s = Scratch()
        let r = try CLI.run(["--engine", "postgres", "--pg-user", "no-such-user-here"], environment: s.env)
        if getuid() == 0 {
            #expect(r.status == 4, "\(r.all)")
            #expect(r.stderr.contains("'no-such-user-here', which does not exist"))
        } else {
            #expect(r.status == 2, "\(r.all)")
            #expect(r.stderr.contains("only when rehearse runs as root"))
        }
        #expect(s.leftovers.isEmpty)
    }

    /// Whenever the signal lands (creating the cluster, starting it, loading),
    /// nothing survives.
    @Test(// Skipped where the PostgreSQL server is not installed.
          .enabled(if: PostgresServer.found(.test), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"),
          arguments: [50_000, 250_000, 600_000, 1_200_000] as [UInt32])
    func sigtermAtAnyMomentLeavesNothing(_ delayMicros: UInt32) throws {
        let s = Scratch()
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = ["--engine", "postgres", "--scale", "2", "--out", s.path("run"), "--quiet"]
        process.currentDirectoryURL = CLI.root
        var env = ProcessInfo.processInfo.environment
        env["TMPDIR"] = s.url.path
        process.environment = env
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        usleep(delayMicros)
        process.terminate()
        process.waitUntilExit()
        // It may have finished first on a fast machine; otherwise 143.
        #expect([0, 143].contains(process.terminationStatus), "exit \(process.terminationStatus)")
        #expect(s.leftovers.isEmpty, "\(s.leftovers)")
        #expect(Self.postmasters(under: s.url).isEmpty)
    }

    @Test(// Skipped where the PostgreSQL server is not installed.
          .enabled(if: PostgresServer.found(.test), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"))
    func sigtermStopsTheClusterAndRemovesIt() throws {
        let s = Scratch()
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = ["--engine", "postgres", "--scale", "40", "--out", s.path("run"), "--quiet"]
        process.currentDirectoryURL = CLI.root
        var env = ProcessInfo.processInfo.environment
        env["TMPDIR"] = s.url.path
        process.environment = env
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Wait until the server is up (its pid file exists), then interrupt.
        var up = false
        for _ in 0..<600 {
            let dirs = s.leftovers.filter { $0.hasPrefix("rehearse-pg-") }
            if let d = dirs.first, FileManager.default.fileExists(atPath: s.url.appendingPathComponent(d).appendingPathComponent("data/postmaster.pid").path) {
                up = true
                break
            }
            usleep(50_000)
        }
        #expect(up, "the cluster never started")
        usleep(300_000)
        process.terminate()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 143, "\(text)")
        #expect(text.contains("interrupted by SIGTERM; no evidence was written"))
        #expect(s.leftovers.isEmpty, "\(s.leftovers)")
        #expect(Self.postmasters(under: s.url).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: s.path("run/evidence.json")))
    }
}
