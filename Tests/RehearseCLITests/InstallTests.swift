import Foundation
import Testing

/// `make install`'s layout (scripts/install.sh), run the way a user runs an
/// installed tool: from another directory, through PATH or a symlink, with
/// an empty environment.
struct Installed {
    let scratch = Scratch()
    var prefix: URL { scratch.url.appendingPathComponent("prefix") }
    var binary: URL { prefix.appendingPathComponent("bin/rehearse") }
    var surrogates: URL { prefix.appendingPathComponent("share/rehearse/surrogates") }

    init() throws {
        let r = try Self.sh(["scripts/install.sh", "--binary", CLI.binary.path, prefix.path], in: CLI.root)
        #expect(r.status == 0, "\(r.all)")
    }

    /// Runs a program with exactly `environment` (nothing inherited).
    static func sh(_ arguments: [String], in directory: URL, environment: [String: String]? = nil, executable: URL? = nil) throws -> CLI.Result {
        let process = Process()
        process.executableURL = executable ?? URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = environment ?? ProcessInfo.processInfo.environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLI.Result(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    func run(_ arguments: [String], in directory: URL = URL(fileURLWithPath: "/"), environment: [String: String] = [:], binary: URL? = nil) throws -> CLI.Result {
        try Self.sh(arguments, in: directory, environment: environment, executable: binary ?? self.binary)
    }

    func file(_ relative: String) -> URL { prefix.appendingPathComponent(relative) }
}

@Suite struct InstallTests {
    /// The issue's "done when": the installed binary, run from / with an
    /// empty environment, rehearses commerce.
    @Test func theInstalledBinaryRehearsesCommerceFromRootWithAnEmptyEnvironment() throws {
        let i = try Installed()
        for path in ["bin/rehearse", "share/rehearse/surrogates/commerce/manifest.yaml", "share/rehearse/surrogates/lossy-rollback/manifest.yaml",
                     "share/rehearse/schemas/evidence.schema.json", "share/rehearse/schemas/manifest.schema.json",
                     "share/bash-completion/completions/rehearse", "share/zsh/site-functions/_rehearse",
                     "share/fish/vendor_completions.d/rehearse.fish", "share/man/man1/rehearse.1"] {
            #expect(FileManager.default.fileExists(atPath: i.file(path).path), "\(path) not installed")
        }
        let r = try i.run(["--surrogate", "commerce", "--scale", "0.1", "--out", i.scratch.path("run")])
        #expect(r.status == 0, "\(r.all)")
        #expect(r.stdout.contains("Verdict: PASS (evidence valid)"))
        let v = try i.run(["--version"])
        #expect(v.status == 0)
        #expect(v.stdout.contains("surrogates: \(i.surrogates.path) (commerce, lossy-lowercase, lossy-null-delete, lossy-rollback)"), "\(v.all)")
    }

    /// Found through PATH, argv[0] is a bare name: read against the working
    /// directory it would name whatever `./rehearse` is there. The real path
    /// decides, so a look-alike share folder beside the working directory is
    /// not used.
    @Test func aBinaryFoundOnPathUsesItsOwnRealPathNotTheWorkingDirectory() throws {
        let i = try Installed()
        let decoy = i.scratch.url.appendingPathComponent("decoy/bin")
        try FileManager.default.createDirectory(at: decoy, withIntermediateDirectories: true)
        try "#!/bin/sh\n".write(to: decoy.appendingPathComponent("rehearse"), atomically: true, encoding: .utf8)
        chmod(decoy.appendingPathComponent("rehearse").path, 0o755)
        let planted = i.scratch.url.appendingPathComponent("decoy/share/rehearse/surrogates/planted")
        try FileManager.default.createDirectory(at: planted, withIntermediateDirectories: true)
        try "name: planted\n".write(to: planted.appendingPathComponent("manifest.yaml"), atomically: true, encoding: .utf8)
        let r = try Installed.sh(["rehearse", "--version"], in: decoy, environment: ["PATH": i.prefix.appendingPathComponent("bin").path])
        #expect(r.status == 0, "\(r.all)")
        #expect(r.stdout.contains("surrogates: \(i.surrogates.path) (commerce, lossy-lowercase, lossy-null-delete, lossy-rollback)"), "\(r.all)")
        #expect(!r.all.contains("planted"))
    }

    @Test func aSymlinkToTheBinaryFindsTheInstalledSurrogates() throws {
        let i = try Installed()
        let elsewhere = i.scratch.url.appendingPathComponent("elsewhere/bin")
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        let link = elsewhere.appendingPathComponent("rh")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: i.binary)
        let r = try i.run(["--version"], binary: link)
        #expect(r.stdout.contains("surrogates: \(i.surrogates.path)"), "\(r.all)")
        let run = try i.run(["--scale", "0.05", "--out", i.scratch.path("run")], binary: link)
        #expect(run.status == 0, "\(run.all)")
    }

    /// The installed surrogates come first: a `./surrogates/commerce` in the
    /// working directory (a broken one here) does not replace them, and
    /// $REHEARSE_SURROGATES_PATH adds names without shadowing them either.
    @Test func theInstalledSurrogatesComeBeforeTheEnvironmentAndTheWorkingDirectory() throws {
        let i = try Installed()
        let work = i.scratch.url.appendingPathComponent("work")
        for root in ["work/surrogates/commerce", "extra/commerce"] {
            let bad = i.scratch.url.appendingPathComponent(root)
            try FileManager.default.createDirectory(at: bad, withIntermediateDirectories: true)
            try "name: commerce\nschema: missing.sql\nprofile: missing.yaml\nbirth: missing.sql\nrollback: missing.sql\n"
                .write(to: bad.appendingPathComponent("manifest.yaml"), atomically: true, encoding: .utf8)
        }
        let extra = i.scratch.url.appendingPathComponent("extra")
        try FileManager.default.copyItem(at: CLI.root.appendingPathComponent("surrogates/commerce"), to: extra.appendingPathComponent("mine"))
        let env = ["REHEARSE_SURROGATES_PATH": extra.path]
        let r = try i.run(["commerce", "--scale", "0.05", "--out", i.scratch.path("run")], in: work, environment: env)
        #expect(r.status == 0, "\(r.all)")
        let mine = try i.run(["mine", "--scale", "0.05", "--out", i.scratch.path("run2")], in: work, environment: env)
        #expect(mine.status == 0, "the environment's directory is searched: \(mine.all)")
    }

    /// The original report: a binary copied alone finds no surrogates. It
    /// now says so, and says every place it looked, in order.
    @Test func aBinaryWithoutItsShareDirectoryListsThePlacesItLooked() throws {
        let s = Scratch()
        let bin = s.url.appendingPathComponent("lonely/bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: CLI.binary, to: bin.appendingPathComponent("rehearse"))
        let empty = s.url.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let env = ["REHEARSE_SURROGATES_PATH": s.path("nowhere")]
        let share = s.url.appendingPathComponent("lonely/share/rehearse/surrogates").path
        let places = "\(share), \(s.path("nowhere")), \(empty.path)/surrogates"
        let v = try Installed.sh(["--version"], in: empty, environment: env, executable: bin.appendingPathComponent("rehearse"))
        #expect(v.status == 0)
        #expect(v.stdout.contains("surrogates: none found; looked in \(places)"), "\(v.all)")
        let r = try Installed.sh(["commerce"], in: empty, environment: env, executable: bin.appendingPathComponent("rehearse"))
        #expect(r.status == 2, "\(r.all)")
        #expect(r.stderr.contains("Unknown surrogate 'commerce'. Known surrogates: none were found (looked in \(places))"), "\(r.all)")
        #expect(!r.stderr.contains("NSCocoaErrorDomain"))
    }

    @Test func theBashCompletionLoadsAndCompletesSubcommands() throws {
        let i = try Installed()
        let script = """
            source "$1" || exit 3
            complete -p rehearse || exit 4
            COMP_WORDS=(rehearse val); COMP_CWORD=1; COMP_LINE="rehearse val"; COMP_POINT=${#COMP_LINE}
            _rehearse rehearse val rehearse
            printf '%s\\n' "${COMPREPLY[@]}"
            """
        let env = ["PATH": i.prefix.appendingPathComponent("bin").path + ":/usr/bin:/bin"]
        let r = try Installed.sh(["bash", "--norc", "--noprofile", "-c", script, "bash", i.file("share/bash-completion/completions/rehearse").path],
                                 in: i.scratch.url, environment: env)
        #expect(r.status == 0, "\(r.all)")
        #expect(r.stdout.contains("complete -o filenames -F _rehearse rehearse") || r.stdout.contains("-F _rehearse"), "\(r.all)")
        #expect(r.stdout.split(separator: "\n").contains("validate"), "\(r.all)")
        #expect(!r.stderr.contains("syntax error"), "\(r.stderr)")
        // zsh and fish check the syntax of theirs when they are installed.
        for (shell, file) in [("zsh", "share/zsh/site-functions/_rehearse"), ("fish", "share/fish/vendor_completions.d/rehearse.fish")] {
            let found = try Installed.sh(["sh", "-c", "command -v \(shell)"], in: i.scratch.url)
            guard found.status == 0 else { continue }
            let check = try Installed.sh([shell, "-n", i.file(file).path], in: i.scratch.url)
            #expect(check.status == 0, "\(shell): \(check.all)")
        }
    }

    @Test func manRendersThePageWithEveryCommand() throws {
        let i = try Installed()
        let r = try Installed.sh(["man", "--warnings", "-l", i.file("share/man/man1/rehearse.1").path], in: i.scratch.url,
                                 environment: ["PATH": "/usr/bin:/bin", "MANWIDTH": "100", "MANPAGER": "cat", "PAGER": "cat", "LANG": "C.UTF-8"])
        #expect(r.status == 0, "\(r.all)")
        #expect(r.stderr.isEmpty, "man or groff warned: \(r.stderr)")
        for text in ["REHEARSE(1)", "NAME", "SYNOPSIS", "rehearse validate", "rehearse generate", "--engine engine", "One of: sqlite, postgres",
                     "REHEARSE_SURROGATES_PATH", "share/rehearse/surrogates"] {
            #expect(r.stdout.contains(text), "missing \(text)")
        }
        #expect(!r.stdout.contains("rehearse manual"), "the hidden command is not documented")
    }

    @Test func uninstallRemovesEverythingItInstalled() throws {
        let i = try Installed()
        let other = i.file("share/man/man1/other.1")
        try "keep me".write(to: other, atomically: true, encoding: .utf8)
        let r = try Installed.sh(["scripts/install.sh", "--uninstall", i.prefix.path], in: CLI.root)
        #expect(r.status == 0, "\(r.all)")
        let left = FileManager.default.enumerator(atPath: i.prefix.path)?.allObjects as? [String] ?? []
        #expect(Set(left) == ["share", "share/man", "share/man/man1", "share/man/man1/other.1"], "\(left.sorted())")
    }

    /// Folders that were there before the install (empty ones included)
    /// are not the install's to remove.
    @Test func uninstallLeavesFoldersThatExistedBefore() throws {
        let s = Scratch()
        let prefix = s.url.appendingPathComponent("prefix")
        try FileManager.default.createDirectory(at: prefix.appendingPathComponent("share/man/man1"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: prefix.appendingPathComponent("bin"), withIntermediateDirectories: true)
        for args in [["--binary", CLI.binary.path, prefix.path], ["--binary", CLI.binary.path, prefix.path], ["--uninstall", prefix.path]] {
            let r = try Installed.sh(["scripts/install.sh"] + args, in: CLI.root)
            #expect(r.status == 0, "\(r.all)")
        }
        let left = FileManager.default.enumerator(atPath: prefix.path)?.allObjects as? [String] ?? []
        #expect(Set(left) == ["bin", "share", "share/man", "share/man/man1"], "\(left.sorted())")
    }

    @Test func installRefusesAMissingBinaryAndAMissingPrefix() throws {
        let s = Scratch()
        let r = try Installed.sh(["scripts/install.sh", "--binary", s.path("none"), s.path("prefix")], in: CLI.root)
        #expect(r.status == 4, "\(r.all)")
        #expect(r.stderr.contains("no binary at \(s.path("none"))"))
        #expect(!FileManager.default.fileExists(atPath: s.path("prefix")))
        let p = try Installed.sh(["scripts/install.sh"], in: CLI.root)
        #expect(p.status == 2, "\(p.all)")
        #expect(p.stderr.contains("give the prefix"))
    }
}

/// A PostgreSQL rehearsal killed with SIGKILL (no handler runs) leaves
/// nothing: its guardian stops the server and removes the cluster directory
/// within seconds, with no later run to sweep. Each test has its own TMPDIR.
@Suite struct KilledRunTests {
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

/// Every run sweeps clusters whose owner is gone, a SQLite run included.
@Suite struct SweepOnEveryRunTests {
    @Test func aSQLiteRunRemovesAStaleClusterAndLeavesKeptAndLiveOnes() throws {
        let s = Scratch()
        func cluster(_ name: String, owner: String) throws -> URL {
            let dir = s.url.appendingPathComponent("rehearse-pg-\(name)")
            try FileManager.default.createDirectory(at: dir.appendingPathComponent("data"), withIntermediateDirectories: true)
            try owner.write(to: dir.appendingPathComponent("rehearse-owner"), atomically: true, encoding: .utf8)
            return dir
        }
        let stat = try String(contentsOfFile: "/proc/self/stat", encoding: .utf8)
        let start = stat[stat.index(after: stat.lastIndex(of: ")")!)...].split(separator: " ")[19]
        let stale = try cluster("stale0000000", owner: "pid=999999 start=1 kept=0\n")
        let kept = try cluster("kept00000000", owner: "pid=999999 start=1 kept=1\n")
        let live = try cluster("live00000000", owner: "pid=\(getpid()) start=\(start) kept=0\n")
        let r = try CLI.run(["--scale", "0.05", "--out", s.path("run")], environment: s.env)
        #expect(r.status == 0, "\(r.all)")
        #expect(!FileManager.default.fileExists(atPath: stale.path), "the stale cluster stayed")
        #expect(FileManager.default.fileExists(atPath: kept.path))
        #expect(FileManager.default.fileExists(atPath: live.path))
    }
}
