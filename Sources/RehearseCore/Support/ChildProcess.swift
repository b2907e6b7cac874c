import Foundation

/// Runs a program to completion with posix_spawn and waitpid, its output
/// going to a file. Foundation's Process is not used for server tools:
/// pg_ctl leaves a daemon behind that inherits descriptors, and Process then
/// waits for an end of stream that never comes.
package enum ChildProcess {
    package struct Outcome {
        package var status: Int32
        package var output: String
    }

    /// `output` is where stdout and stderr go (created, truncated); its text
    /// comes back in the outcome. stdin is /dev/null.
    package static func run(_ executable: String, _ arguments: [String], directory: String? = nil,
                    environment: [String: String], output: URL, forCleanUp: Bool = false) throws -> Outcome {
        // Once a signal arrived, nothing new starts but the handler's own
        // clean-up (pg_ctl stop): the caller unwinds (CancellationError)
        // while the handler finishes and ends the process.
        if !forCleanUp { try Interruption.stopIfInterrupted() }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        let outFD = try openOutput(output)
        defer { close(outFD) }
        posix_spawn_file_actions_adddup2(&actions, outFD, 1)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // posix_spawn has no portable chdir action: a shell changes directory
        // and then replaces itself with the program.
        var executable = executable
        var arguments = arguments
        if let directory {
            arguments = ["-c", "cd \"$1\" && shift && exec \"$@\"", "sh", directory, executable] + arguments
            executable = "/bin/sh"
        }

        let pid = try spawn(executable, [executable] + arguments, environment: environment, actions: &actions)
        // An interruption stops the child first, so nothing it writes
        // lands in a directory being removed.
        Interruption.track(child: pid)
        defer { Interruption.untrack(child: pid) }
        var status: Int32 = 0
        while true {
            if waitpid(pid, &status, 0) != -1 { break }
            if errno != EINTR {
                throw RehearseError.environment("Waiting for \(executable) failed: \(String(cString: strerror(errno))).")
            }
        }
        // Read back through the descriptor written, never the path again.
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var offset: off_t = 0
        while true {
            let n = chunk.withUnsafeMutableBytes { pread(outFD, $0.baseAddress, $0.count, offset) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            bytes += chunk[0..<n]
            offset += off_t(n)
        }
        let text = String(decoding: bytes, as: UTF8.self)
        // WIFEXITED / WEXITSTATUS, spelled out (they are macros in C).
        let exited = status & 0x7f == 0
        return Outcome(status: exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), output: text)
    }

    /// Opens `output` for the child, never through a link and never onto a
    /// file that is not this process's own: output files often lie in a
    /// directory another user owns (a cluster's, the server user's), where
    /// that user may have planted a symlink, FIFO or hard link to a file of
    /// root's; O_TRUNC through it would truncate that file (attack-d15
    /// D-F0b). Anything but a regular file with one link that this process
    /// owns is unlinked and the file created anew, exclusively.
    static func openOutput(_ output: URL) throws -> Int32 {
        for _ in 0..<3 {
            var fd = open(output.path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0o644)
            if fd >= 0 {
                var st = stat()
                if fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG, st.st_nlink == 1, st.st_uid == geteuid() {
                    guard ftruncate(fd, 0) == 0 else { close(fd); break }
                    return fd
                }
                close(fd)
            }
            unlink(output.path)
            fd = open(output.path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
            if fd >= 0 { return fd }
        }
        throw RehearseError.environment("Cannot create the output file \(output.path) for a child process: \(String(cString: strerror(errno))).")
    }

    /// Starts a program that outlives this process and is never waited for:
    /// a shell forks it into the background and exits at once (reaped here),
    /// so it is the init process's child from the start and leaves no zombie
    /// behind in a long-lived process (a test run starts hundreds). `stdin`
    /// becomes its standard input (`stdin` must be 10 or higher, so the
    /// move to descriptor 3 on the way is a real dup2 that drops CLOEXEC);
    /// stdout and stderr go to /dev/null, so it
    /// never holds open a pipe the caller's own caller reads to its end. It
    /// gets a session of its own: a Ctrl-C or hang-up aimed at rehearse's
    /// terminal or process group does not reach it.
    package static func spawnDetached(script: String, arguments: [String], stdin: Int32, environment: [String: String]) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // Descriptor 3, not 0: a shell gives a background command /dev/null
        // as its input unless the command redirects it itself.
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, stdin, 3)
        // Nothing else of this process's goes along: a descriptor the
        // guardian kept open (a pipe whose reader waits for its end, say)
        // would outlive rehearse for as long as the guardian works.
        #if os(Linux)
        if let closeFrom = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") {
            typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
            _ = unsafeBitCast(closeFrom, to: CloseFrom.self)(&actions, 4)
        }
        #endif
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        // `setsid sh -c SCRIPT` in the background; the outer shell exits.
        let outer = """
            if command -v setsid >/dev/null 2>&1; then setsid /bin/sh -c "$0" guardian "$@" <&3 3<&- &
            else /bin/sh -c "$0" guardian "$@" <&3 3<&- & fi
            """
        let pid = try spawn("/bin/sh", ["/bin/sh", "-c", outer, script] + arguments, environment: environment, actions: &actions)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    }

    /// posix_spawn of `path` with `argv` and exactly `environment`; the child
    /// starts with SIGINT and SIGTERM at their defaults and unblocked,
    /// whatever this process does with them (it ignores them and handles
    /// them on a dispatch queue).
    private static func spawn(_ path: String, _ arguments: [String], environment: [String: String],
                              actions: inout posix_spawn_file_actions_t) throws -> pid_t {
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGTERM)
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &unblocked)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        guard rc == 0 else {
            throw RehearseError.environment("Cannot run \(path): \(String(cString: strerror(rc))).")
        }
        return pid
    }
}
