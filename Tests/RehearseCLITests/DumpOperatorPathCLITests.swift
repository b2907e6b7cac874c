import Foundation
import Testing

/// The operator's path of the README, step by step on the command line, on a
/// real `pg_dump -Fd` directory of Chinook: keys, scan, grant (create, sign,
/// verify), the run, sign and validate with --trust, and replay with the
/// dump. (A forged fingerprint caught by the replay: DumpReplayTests.)
@Suite(.serialized,
       // Skipped where the PostgreSQL server is not installed (one line at the end of the run counts them).
       .enabled(if: PostgresServer.found(), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)")) struct DumpOperatorPathCLITests {
    /// A throwaway cluster (Unix socket in a private directory, no TCP),
    /// Chinook loaded, dumped with `pg_dump -Fd`, stopped and removed; the
    /// dump is copied into `destination` (as the caller, one link per file).
    static func chinookDirectoryDump(into destination: URL) throws {
        let bindir = try #require(PostgresServer.locateBinaries())
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("rehearse-cli-pgdump-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(at: work) }
        let root = getuid() == 0
        if root { #expect(chown(work.path, getpwnam("postgres").pointee.pw_uid, getpwnam("postgres").pointee.pw_gid) == 0) }
        // posix_spawn and waitpid, not Process: pg_ctl leaves a server running
        // that inherits the child's descriptors, and Process then never sees
        // pg_ctl end.
        func run(_ tool: String, _ arguments: [String]) throws {
            // the server's directory may hold only the server tools: psql and pg_dump may sit in /usr/bin
            let path = [bindir.appendingPathComponent(tool).path, "/usr/bin/" + tool].first { FileManager.default.isExecutableFile(atPath: $0) } ?? tool
            let argv = (root ? ["/usr/sbin/runuser", "-u", "postgres", "--"] : []) + [path] + arguments
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            let log = work.appendingPathComponent("tool.log").path
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o666)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
            let cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
            let environment: [String] = ["PATH=/usr/bin:/bin", "LC_ALL=C"]
            let cEnv: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
            defer { (cArgs + cEnv).forEach { free($0) } }
            var pid: pid_t = 0
            guard posix_spawn(&pid, argv[0], &actions, nil, cArgs, cEnv) == 0 else { throw CocoaError(.executableNotLoadable) }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            guard status == 0 else {
                throw CocoaError(.fileReadUnknown, userInfo: ["tool": tool, "arguments": arguments, "status": status, "output": (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""])
            }
        }
        let script = try String(contentsOf: CLI.root.deletingLastPathComponent().appendingPathComponent("shared/data/chinook/Chinook_PostgreSql.sql"), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("DROP DATABASE") && !$0.hasPrefix("CREATE DATABASE") && !$0.hasPrefix("\\c") }
            .joined(separator: "\n")
        try script.write(to: work.appendingPathComponent("chinook.sql"), atomically: true, encoding: .utf8)
        chmod(work.appendingPathComponent("chinook.sql").path, 0o644)
        let data = work.appendingPathComponent("data").path, socket = work.path
        try run("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"])
        try run("pg_ctl", ["-D", data, "-w", "-l", work.appendingPathComponent("log").path, "-o", "-k \(socket) -c listen_addresses='' -c fsync=off", "start"])
        defer { try? run("pg_ctl", ["-D", data, "-w", "-m", "immediate", "stop"]) }
        let conn = ["-h", socket, "-U", "postgres"]
        try run("psql", conn + ["-q", "-v", "ON_ERROR_STOP=1", "-c", "CREATE DATABASE chinook"])
        try run("psql", conn + ["-q", "-v", "ON_ERROR_STOP=1", "-d", "chinook", "-f", work.appendingPathComponent("chinook.sql").path])
        try run("pg_dump", conn + ["-d", "chinook", "-Fd", "-f", work.appendingPathComponent("chinook.dir").path])
        try FileManager.default.copyItem(at: work.appendingPathComponent("chinook.dir"), to: destination)
    }

    /// The loyalty change, in PostgreSQL's lower-case names.
    func change(_ s: Scratch) throws -> String {
        let dir = try DumpCLITests().change(s)
        let files = [
            "birth.sql": "ALTER TABLE customer ADD COLUMN loyalty INTEGER;\nUPDATE customer SET loyalty = 1 WHERE country = 'USA';\n",
            "rollback.sql": "ALTER TABLE customer DROP COLUMN loyalty;\n",
            "checks/after-birth.sql": "-- check: US customers are loyal\nSELECT count(*) = 13 FROM customer WHERE loyalty = 1;\n",
            "checks/after-rollback.sql": "-- check: loyalty is gone\nSELECT count(*) = 0 FROM information_schema.columns WHERE table_name = 'customer' AND column_name = 'loyalty';\n",
        ]
        for (name, text) in files { try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8) }
        return dir
    }

    @Test func theOperatorsPathOnADirectoryDumpEndsInAReplayThatMatches() throws {
        let s = Scratch()
        let dump = s.path("prod.dir")
        try Self.chinookDirectoryDump(into: s.url.appendingPathComponent("prod.dir"))
        let untouched = try DumpDirectoryCLITests().state(dump)
        // 1. keys
        #expect(try CLI.run(["keys", "generate", "--out", s.path("op")]).status == 0)
        try CLI.run(["keys", "trust", s.path("op.pub")]).stdout.write(toFile: s.path("trust.json"), atomically: true, encoding: .utf8)
        // 2. scan
        let scan = try CLI.run(["scan", dump], environment: s.env)
        #expect(scan.status == 0, "\(scan.all)")
        // 3. grant
        #expect(try CLI.run(["grant", "create", "--dump", dump, "--issuer", "dba on call", "--engine", "postgres", "--valid-hours", "4", "--out", s.path("grant.json")]).status == 0)
        #expect(try CLI.run(["grant", "sign", s.path("grant.json"), "--key", s.path("op.key")]).status == 0)
        let verify = try CLI.run(["grant", "verify", s.path("grant.json"), "--trust", s.path("trust.json"), "--dump", dump])
        #expect(verify.status == 0, "\(verify.all)")
        // 4. run
        let run = try CLI.run(["--dump", dump, "--grant", s.path("grant.json"), "--trust", s.path("trust.json"), "--engine", "postgres",
                               try change(s), "--out", s.path("run")], environment: s.env)
        #expect(run.status == 0, "\(run.all)")
        #expect(run.stdout.contains("(directory, sha256 "), "\(run.stdout)")
        #expect(run.stdout.contains("Verdict: PASS (evidence valid)"))
        // 5. sign and validate with --trust
        #expect(try CLI.run(["sign", s.path("run"), "--key", s.path("op.key")]).status == 0)
        let valid = try CLI.run(["validate", s.path("run"), "--trust", s.path("trust.json")])
        #expect(valid.status == 0, "\(valid.all)")
        // 6. replay with the dump
        let replay = try CLI.run(["validate", s.path("run"), "--trust", s.path("trust.json"), "--replay", "--dump", dump], environment: s.env)
        #expect(replay.status == 0, "\(replay.all)")
        #expect(replay.stdout.contains("evidence valid; verdict PASS"))
        #expect(try DumpDirectoryCLITests().state(dump) == untouched, "the source directory is byte- and mtime-identical")
        #expect(s.leftovers.isEmpty, "\(s.leftovers)")
    }
}
