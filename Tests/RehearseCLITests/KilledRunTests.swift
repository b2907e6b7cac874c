import Foundation
import Testing

/// A PostgreSQL rehearsal killed with SIGKILL (no handler runs) leaves
/// nothing: its guardian stops the server and removes the cluster directory
/// within seconds, with no later run to sweep. Each test has its own TMPDIR.
@Suite(// Skipped where the PostgreSQL server is not installed (one line at the end of the run counts them).
       .enabled(if: PostgresServer.found(), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)")) struct KilledRunTests {
    /// Starts a rehearsal with stdout to a file, waits for `line` in it,
    /// waits `after` more, and SIGKILLs it; then waits for the guardian.
    func killRehearsal(when line: String, after micros: UInt32, surrogate: String? = nil, scratch s: Scratch) throws {
        let out = s.url.appendingPathComponent("stdout.txt")
        var env = ProcessInfo.processInfo.environment
        env["TMPDIR"] = s.url.path
        // posix_spawn and waitpid, not Foundation's Process: its wait also
        // waits for descriptors a surviving server would inherit, so a
        // guardian that failed would hang this test instead of failing it.
        let pid = try Self.spawn([CLI.binary.path, surrogate ?? "commerce", "--engine", "postgres", "--scale", "5", "--out", s.path("run")],
                                 environment: env, output: out)
        var seen = false
        for _ in 0..<1200 where Self.running(pid) {
            if ((try? String(contentsOf: out, encoding: .utf8)) ?? "").contains(line) { seen = true; break }
            usleep(25_000)
        }
        usleep(micros)
        let running = Self.running(pid)
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let text = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
        #expect(seen && running, "the run never reached '\(line)' or ended first: \(text)")
        #expect(status & 0x7f == SIGKILL, "wait status \(status)")
        var clean = false
        for _ in 0..<100 {
            if PostgresCLITests.postmasters(under: s.url).isEmpty && s.leftovers.filter({ $0.hasPrefix("rehearse-pg-") }).isEmpty { clean = true; break }
            usleep(100_000)
        }
        #expect(clean, "10 s after SIGKILL: servers \(PostgresCLITests.postmasters(under: s.url)), directories \(s.leftovers)")
        // A failure must not leave servers running for the rest of the suite.
        for pid in PostgresCLITests.postmasters(under: s.url) { kill(pid, SIGQUIT) }
        #expect(!FileManager.default.fileExists(atPath: s.path("run/evidence.json")))
    }

    static func spawn(_ argv: [String], environment: [String: String], output: URL) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        let args = argv.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { args.forEach { free($0) }; envp.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, &attributes, args, envp)
        guard rc == 0 else { throw CocoaError(.executableLoad) }
        return pid
    }

    /// Alive and not yet a zombie.
    static func running(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return false }
        return !stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }

    @Test func killedDuringLoad() throws {
        let s = Scratch()
        try killRehearsal(when: "✓ provision scratch database", after: 300_000, scratch: s)
    }

    /// The birth sleeps in the server for 30 s, so the kill lands in it.
    @Test func killedDuringBirth() throws {
        let s = Scratch()
        let dir = try s.commerce()
        let birth = URL(fileURLWithPath: dir).appendingPathComponent("birth.sql")
        let text = try String(contentsOf: birth, encoding: .utf8)
        try ("SELECT pg_sleep(30);\n" + text).write(to: birth, atomically: true, encoding: .utf8)
        try killRehearsal(when: "✓ fingerprint (pre)", after: 500_000, surrogate: dir, scratch: s)
    }

    /// The pre-birth fingerprint starts as the load's line is printed.
    @Test func killedDuringFingerprint() throws {
        let s = Scratch()
        try killRehearsal(when: "✓ load surrogate", after: 0, scratch: s)
    }
}
