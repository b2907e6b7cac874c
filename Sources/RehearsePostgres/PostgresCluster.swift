import Foundation
import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

/// A throwaway PostgreSQL cluster: `initdb` into a fresh private directory,
/// started by `pg_ctl` with a Unix socket in that directory and no TCP at all
/// (`listen_addresses = ''`), stopped and removed afterwards. When the tool
/// runs as root, the server runs as an unprivileged system user (PostgreSQL
/// refuses root). A guardian process watches each cluster: when rehearse
/// dies for any reason, SIGKILL included, it stops the server and removes the
/// directory (see `startGuardian`). A cluster left behind all the same (the
/// guardian killed too, a crashed machine) is found by its owner file and
/// removed by the next run of any kind.
package final class PostgresCluster: @unchecked Sendable {
    // @unchecked: `state` is only changed under `lock`; everything else is immutable.
    package let directory: URL
    package let dataDirectory: URL
    package let bindir: URL
    /// The system user the server runs as, when the tool runs as root.
    package let runAs: String?
    /// `postgres --version`'s number; set once, before the cluster is shared.
    package private(set) var serverVersion = ""
    package static let port = 5432
    package static let superuser = "rehearse"
    package static let directoryPrefix = ScratchOwner.postgresDirectoryPrefix
    package static let ownerFile = ScratchOwner.file

    /// Settings suited to a scratch database (nothing in it must survive a
    /// crash), recorded in evidence.
    package static let settings: [(String, String)] = [
        ("listen_addresses", "''"),
        ("unix_socket_permissions", "0700"),
        ("fsync", "off"),
        ("synchronous_commit", "off"),
        ("full_page_writes", "off"),
        ("wal_level", "minimal"),
        ("max_wal_senders", "0"),
        ("max_wal_size", "'8GB'"),
        ("checkpoint_timeout", "'1h'"),
        ("autovacuum", "off"),
        ("shared_buffers", "'256MB'"),
        ("maintenance_work_mem", "'512MB'"),
        ("work_mem", "'64MB'"),
        ("jit", "off"),
        ("timezone", "'UTC'"),
        ("ssl", "off"),
    ]

    private let lock = NSLock()
    private var state: State = .running
    /// The write end of the guardian's pipe; -1 once closed. Only this
    /// process holds it (CLOEXEC: no server tool inherits it), so it closes
    /// exactly when this process ends or `remove` lets the guardian go.
    private var guardianPipe: Int32 = -1
    private enum State { case running, stopped, removed }

    /// Where libpq finds the socket: the cluster's own directory.
    package var socketDirectory: URL { directory }

    package func connectionParameters(database: String) -> [String: String] {
        ["host": socketDirectory.path, "port": String(Self.port), "user": Self.superuser, "dbname": database,
         "application_name": "rehearse", "connect_timeout": "10"]
    }

    /// Creates and starts a cluster under `parent` (default: the temporary directory).
    package static func start(parent: URL? = nil, bindir explicit: String? = nil, runAs requested: String? = nil, keep: Bool = false) throws -> PostgresCluster {
        // Refused before initdb, not at the first connection.
        try PGConnection.refuseEnvironment()
        let base = parent ?? FileManager.default.temporaryDirectory
        _ = cleanStale(in: base)
        let bindir = try locateBinaries(explicit)
        let runAs: String?
        if getuid() == 0 {
            runAs = requested ?? "postgres"
            guard getpwnam(runAs!) != nil else {
                throw RehearseError.environment("rehearse runs as root and PostgreSQL refuses to: it starts the scratch server as the system user '\(runAs!)', which does not exist. Create it (e.g. `useradd --system postgres`) or name another with --pg-user.")
            }
        } else {
            if let requested, requested != NSUserName() {
                throw RehearseError.badInput("--pg-user \(requested): the server runs as another user only when rehearse runs as root; as \(NSUserName()) it runs as yourself. Drop --pg-user.")
            }
            runAs = nil
        }
        let directory = base.appendingPathComponent(directoryPrefix + UUID().uuidString.lowercased().prefix(12))
        if directory.path.utf8.count + 20 > 107 {
            throw RehearseError.environment("The scratch cluster's socket path under \(base.path) would exceed the 107-byte limit of Unix sockets. Set TMPDIR to a shorter directory.")
        }
        // Registered before the directory exists, so a signal at any moment
        // finds (and removes) whatever was made.
        let cluster = PostgresCluster(directory: directory, bindir: bindir, runAs: runAs)
        Interruption.register(directory, keep: keep) { [weak cluster] in
            cluster?.stop()
            // A kept cluster is marked so the next run's sweep leaves it.
            if keep { try? ScratchOwner.mark(keep: true).write(to: directory.appendingPathComponent(ownerFile), atomically: true, encoding: .utf8) }
        }
        // A signal that came before the registration has its clean-up
        // under way without this directory: make nothing (CancellationError).
        try Interruption.stopIfInterrupted()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try ScratchOwner.mark(keep: false).write(to: directory.appendingPathComponent(ownerFile), atomically: true, encoding: .utf8)
        } catch {
            Interruption.unregister(directory)
            throw RehearseError.environment("Cannot create a scratch cluster directory under \(base.path): \(SystemErrorText.describe(error)). Set TMPDIR to a writable directory.")
        }
        do {
            // Before initdb: from here on, whatever this process leaves in
            // the directory is the guardian's to clear if the process dies.
            try cluster.startGuardian(keep: keep)
            let copied = try cluster.create()
            do {
                cluster.serverVersion = try cluster.startServer()
            } catch where copied {
                // A cached data directory that does not start is dropped, and
                // the cluster made afresh by initdb.
                if let template = templateDirectory(bindir: bindir, runAs: runAs) { discard(template) }
                Interruption.removeTree(cluster.dataDirectory)
                _ = try cluster.create()
                cluster.serverVersion = try cluster.startServer()
            }
            return cluster
        } catch {
            cluster.remove(keep: false)
            throw error
        }
    }

    private init(directory: URL, bindir: URL, runAs: String?) {
        self.directory = directory
        dataDirectory = directory.appendingPathComponent("data")
        self.bindir = bindir
        self.runAs = runAs
    }

    // MARK: - Lifecycle

    /// Returns whether the data directory was copied from the cache.
    private func create() throws -> Bool {
        if let runAs, let pw = getpwnam(runAs) {
            let uid = pw.pointee.pw_uid, gid = pw.pointee.pw_gid
            guard chown(directory.path, uid, gid) == 0 else {
                throw RehearseError.environment("Cannot hand \(directory.path) to the system user \(runAs) (chown: \(String(cString: strerror(errno)))).")
            }
        }
        let copied = try initializeDataDirectory()
        // Nothing from an earlier ALTER SYSTEM (or an edited cache) applies.
        try? FileManager.default.removeItem(at: dataDirectory.appendingPathComponent("postgresql.auto.conf"))
        var conf = "\n# rehearse: a scratch cluster, Unix socket only, nothing to keep after a crash\n"
        conf += "unix_socket_directories = '\(directory.path.replacingOccurrences(of: "'", with: "''"))'\n"
        conf += "port = \(Self.port)\n"
        for (k, v) in Self.settings { conf += "\(k) = \(v)\n" }
        let confURL = dataDirectory.appendingPathComponent("postgresql.conf")
        guard let handle = try? FileHandle(forWritingTo: confURL) else {
            throw RehearseError.environment("Cannot append the scratch settings to \(confURL.path).")
        }
        handle.seekToEndOfFile()
        handle.write(Data(conf.utf8))
        try? handle.close()
        return copied
    }

    package static let initdbArguments = ["-U", superuser, "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions"]

    /// A fresh data directory: a copy of a cached one made by the same
    /// initdb with the same arguments (about a second faster than initdb),
    /// or initdb itself, whose result then seeds the cache. The cache lives
    /// in `$XDG_CACHE_HOME/rehearse` (default ~/.cache/rehearse), is keyed
    /// by the binaries, their version, the arguments and the server user,
    /// and is written atomically (a temporary name, then a rename).
    private func initializeDataDirectory() throws -> Bool {
        let template = Self.templateDirectory(bindir: bindir, runAs: runAs)
        // A cache without its completion mark (an older or damaged one) goes.
        if let template, FileManager.default.fileExists(atPath: template.path),
           !FileManager.default.fileExists(atPath: template.appendingPathComponent(Self.completeMark).path) {
            Self.discard(template)
        }
        if let template, FileManager.default.fileExists(atPath: template.appendingPathComponent(Self.completeMark).path) {
            let copied = try? ChildProcess.run("/bin/cp", ["-a", template.appendingPathComponent("data").path, dataDirectory.path],
                                               environment: ["PATH": "/usr/bin:/bin"], output: directory.appendingPathComponent("cp.out"))
            if copied?.status == 0 { return true }
            Interruption.removeTree(dataDirectory)
        }
        try run("initdb", ["-D", dataDirectory.path] + Self.initdbArguments, what: "initdb")
        guard let template else { return false }
        let staging = template.deletingLastPathComponent().appendingPathComponent(".\(template.lastPathComponent)-\(UUID().uuidString.prefix(8))")
        do {
            try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let copied = try ChildProcess.run("/bin/cp", ["-a", dataDirectory.path, staging.appendingPathComponent("data").path],
                                              environment: ["PATH": "/usr/bin:/bin"], output: directory.appendingPathComponent("cp.out"))
            let marked = FileManager.default.createFile(atPath: staging.appendingPathComponent(Self.completeMark).path, contents: Data())
            if copied.status != 0 || !marked || rename(staging.path, template.path) != 0 { Interruption.removeTree(staging) }
        } catch {
            Interruption.removeTree(staging)
        }
        return false
    }

    package static let completeMark = "complete"

    /// Moves a directory out of the way in one step, then deletes it: two
    /// runs discarding the same cache at once cannot leave half of it behind.
    package static func discard(_ url: URL) {
        let trash = url.deletingLastPathComponent().appendingPathComponent(".discarded-\(UUID().uuidString.prefix(8))")
        if rename(url.path, trash.path) == 0 { Interruption.removeTree(trash) }
    }

    /// Where the cached data directory for these binaries lives; nil when no
    /// cache directory can be named.
    package static func templateDirectory(bindir: URL, runAs: String?) -> URL? {
        let env = ProcessInfo.processInfo.environment
        let base: URL
        if let xdg = env["XDG_CACHE_HOME"], xdg.hasPrefix("/") {
            base = URL(fileURLWithPath: xdg)
        } else if let home = env["HOME"], home.hasPrefix("/") {
            base = URL(fileURLWithPath: home).appendingPathComponent(".cache")
        } else {
            return nil
        }
        let version = (try? capture(bindir.appendingPathComponent("postgres"), ["--version"])) ?? ""
        let key = Digest.sha256Hex(Array(([bindir.path, version, runAs ?? "", String(getuid())] + initdbArguments).joined(separator: "\n").utf8))
        return base.appendingPathComponent("rehearse").appendingPathComponent("pg-template-\(key.prefix(16))")
    }

    /// Starts the server and returns its version (`postgres --version`'s number).
    private func startServer() throws -> String {
        let log = directory.appendingPathComponent("server.log")
        do {
            // The isolation settings also go on the server's command line,
            // which beats postgresql.conf and postgresql.auto.conf alike.
            let socket = directory.path.replacingOccurrences(of: "'", with: "")
            let options = "-c listen_addresses='' -c unix_socket_directories='\(socket)' -c unix_socket_permissions=0700 -c port=\(Self.port)"
            try run("pg_ctl", ["-D", dataDirectory.path, "-l", log.path, "-o", options, "-w", "-t", "60", "-s", "start"], what: "pg_ctl start")
        } catch {
            let tail = (try? String(contentsOf: log, encoding: .utf8)).map { String($0.suffix(800)) } ?? ""
            throw RehearseError.environment("\(error)\nServer log (\(log.path)):\n\(tail)")
        }
        let version = (try? Self.capture(bindir.appendingPathComponent("postgres"), ["--version"])) ?? ""
        return version.split(separator: " ").last.map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) } ?? "unknown"
    }

    /// Stops the server at once (`-m immediate`: nothing in it needs saving);
    /// safe to call twice and from the interruption handler.
    package func stop() {
        lock.lock()
        defer { lock.unlock() }
        guard state == .running else { return }
        state = .stopped
        if (try? run("pg_ctl", ["-D", dataDirectory.path, "-m", "immediate", "-w", "-t", "30", "-s", "stop"], what: "pg_ctl stop", forCleanUp: true)) == nil {
            Self.killPostmaster(dataDirectory: dataDirectory)
        }
    }

    /// Stops the server and removes the directory, or keeps it (stopped,
    /// marked so the next run's stale-cluster sweep leaves it alone).
    package func remove(keep: Bool) {
        stop()
        lock.lock()
        defer { lock.unlock() }
        guard state != .removed else { return }
        state = .removed
        // Once a signal arrived, its handler removes (or keeps) the directory.
        if Interruption.isInterrupted { return }
        Interruption.unregister(directory)
        if keep {
            try? ScratchOwner.mark(keep: true).write(to: directory.appendingPathComponent(Self.ownerFile), atomically: true, encoding: .utf8)
        } else {
            Interruption.removeTree(directory)
        }
        // Only now, with the server stopped and the directory gone (or
        // marked kept), is the guardian let go: it finds nothing to do.
        if guardianPipe >= 0 {
            close(guardianPipe)
            guardianPipe = -1
        }
    }

    // MARK: - Guardian

    /// Starts the cluster's guardian: a small shell process, detached from
    /// rehearse (its own session, not rehearse's child), that blocks reading
    /// a pipe whose only write end rehearse holds. The read returns at end of
    /// file when that end closes, which the kernel does when rehearse exits
    /// however it exits (SIGKILL, a crash, the OOM killer) and which `remove`
    /// does after a clean teardown. The guardian then does the teardown
    /// rehearse could not: unless the directory is gone or marked kept by
    /// this user, it stops the server with `pg_ctl -m immediate` (as the
    /// server user when rehearse is root), kills whatever still runs inside
    /// the directory (a server being started, initdb, pg_ctl, backends:
    /// every server tool runs there), and removes the directory; with
    /// --keep it marks the stopped cluster kept instead, as an interrupted
    /// --keep run does. It ignores SIGINT, SIGTERM and SIGHUP: a Ctrl-C or a
    /// closed terminal that ends rehearse must not end its guardian too.
    private func startGuardian(keep: Bool) throws {
        var fds: [Int32] = [-1, -1]
        guard Self.pipeCloseOnExec(&fds) == 0 else {
            throw RehearseError.environment("Cannot create the pipe that lets the scratch cluster's guardian see rehearse exit: \(String(cString: strerror(errno))).")
        }
        // The read end moves above 9 so the spawn's dup2 to descriptor 3 is
        // a real one, which clears CLOEXEC in the guardian only.
        let readEnd = fcntl(fds[0], F_DUPFD_CLOEXEC, 10)
        close(fds[0])
        defer { if readEnd >= 0 { close(readEnd) } }
        guard readEnd >= 0 else {
            close(fds[1])
            throw RehearseError.environment("Cannot set up the scratch cluster's guardian: \(String(cString: strerror(errno))).")
        }
        let runuser = runAs == nil ? "" : Self.runuserPath ?? ""
        let kept = "pid=0 start=? kept=1\n"
        do {
            try ChildProcess.spawnDetached(script: Self.guardianScript,
                                           arguments: [directory.path, bindir.path, runuser, runAs ?? "", keep ? "1" : "0", kept],
                                           stdin: readEnd, environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"])
        } catch {
            close(fds[1])
            throw error
        }
        guardianPipe = fds[1]
    }

    /// Closes the guardian's pipe without tearing anything down, exactly as
    /// this process's death would: lets a test watch the guardian work
    /// without killing the test process.
    package func abandonToGuardian() {
        lock.lock()
        defer { lock.unlock() }
        if guardianPipe >= 0 {
            close(guardianPipe)
            guardianPipe = -1
        }
    }

    /// pipe2(2) with O_CLOEXEC: both ends are close-on-exec from the start.
    /// pipe() and then fcntl would leave a moment in which a server tool
    /// started by another thread inherits the write end, and a postmaster
    /// holding it would keep the guardian waiting forever. Glibc's pipe2 is
    /// not in Swift's Glibc module, so it is looked up by name.
    /// Where there is no pipe2 (not Linux), pipe and then fcntl, racy as said.
    package static func pipeCloseOnExec(_ fds: UnsafeMutablePointer<Int32>) -> Int32 {
        #if os(Linux)
        typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "pipe2") {
            return unsafeBitCast(symbol, to: Pipe2.self)(fds, O_CLOEXEC)
        }
        #endif
        guard pipe(fds) == 0 else { return -1 }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        return 0
    }

    package static var runuserPath: String? {
        ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The guardian's program (POSIX sh). Arguments: the cluster directory,
    /// the server binaries' directory, runuser's path and the server user
    /// (both empty when rehearse is not root), 1 to keep the cluster, and
    /// the owner line that marks a kept one.
    package static let guardianScript = #"""
        trap '' INT TERM HUP QUIT PIPE
        cd / || exit 1
        while read -r _; do :; done
        dir=$1 bindir=$2 runuser=$3 runas=$4 keep=$5 keptline=$6
        [ -d "$dir" ] && [ ! -h "$dir" ] || exit 0
        owner=$dir/rehearse-owner
        if [ -f "$owner" ] && [ ! -h "$owner" ] && [ -O "$owner" ] && grep -q 'kept=1' "$owner"; then exit 0; fi
        data=$dir/data
        tab=$(printf '\t')
        if [ -f "$data/postmaster.pid" ]; then
          if [ -n "$runas" ]; then
            "$runuser" -u "$runas" -- "$bindir/pg_ctl" -D "$data" -m immediate -w -t 10 -s stop
          else
            "$bindir/pg_ctl" -D "$data" -m immediate -w -t 10 -s stop
          fi >/dev/null 2>&1
        fi
        inside() {
          find /proc -mindepth 2 -maxdepth 2 -name cwd -printf '%h\t%l\n' 2>/dev/null |
          while IFS= read -r line; do
            pid=${line%%"$tab"*}; pid=${pid#/proc/}; cwd=${line#*"$tab"}
            case $cwd in
              "$dir"|"$dir"/*|"$dir (deleted)") echo "$pid" ;;
            esac
          done
        }
        sweep() {
          n=0
          while [ $n -lt 50 ]; do
            pids=$(inside)
            [ -n "$pids" ] || return 0
            kill -KILL $pids 2>/dev/null
            sleep 0.1
            n=$((n + 1))
          done
        }
        sweep
        if [ "$keep" = 1 ]; then
          # The server user can write in the directory: no following a
          # planted symlink (noclobber opens with O_EXCL; mv -T renames).
          rm -f "$owner.guardian"
          (set -C; printf '%s' "$keptline" > "$owner.guardian") && mv -fT "$owner.guardian" "$owner"
          exit 0
        fi
        rm -rf "$dir"
        sweep
        rm -rf "$dir"
        """#

    deinit { remove(keep: false) }

    // MARK: - Stale clusters

    /// Removes clusters under `parent` whose owning rehearse process is gone
    /// (killed with SIGKILL, or a crashed machine): stops a server still
    /// running there, then deletes the directory. Kept clusters stay.
    /// Returns the directories removed.
    @discardableResult
    package static func cleanStale(in parent: URL) -> [URL] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: parent.path) else { return [] }
        var removed: [URL] = []
        for name in names where name.hasPrefix(directoryPrefix) {
            let dir = parent.appendingPathComponent(name)
            // Only a real directory whose owner file this user wrote: in a
            // shared /tmp, anyone can create a look-alike.
            var st = stat()
            guard lstat(dir.path, &st) == 0, st.st_mode & S_IFMT == S_IFDIR,
                  lstat(dir.appendingPathComponent(ownerFile).path, &st) == 0, st.st_mode & S_IFMT == S_IFREG, st.st_uid == getuid(),
                  let text = try? String(contentsOf: dir.appendingPathComponent(ownerFile), encoding: .utf8) else { continue }
            let fields = ScratchOwner.fields(text)
            if fields["kept"] == "1" { continue }
            if let pid = fields["pid"].flatMap({ Int32($0) }), ScratchOwner.processAlive(pid, startTime: fields["start"]) { continue }
            killPostmaster(dataDirectory: dir.appendingPathComponent("data"))
            Interruption.removeTree(dir)
            if !FileManager.default.fileExists(atPath: dir.path) { removed.append(dir) }
        }
        return removed
    }

    /// Sends SIGQUIT (immediate shutdown) to the postmaster named in
    /// postmaster.pid, if it is a postgres process, then SIGKILL if needed.
    package static func killPostmaster(dataDirectory: URL) {
        guard let text = try? String(contentsOf: dataDirectory.appendingPathComponent("postmaster.pid"), encoding: .utf8),
              let first = text.split(separator: "\n").first, let pid = Int32(first.trimmingCharacters(in: .whitespaces)), pid > 1 else { return }
        let comm = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        guard comm == "postgres" || comm == "postmaster" else { return }
        // The postmaster runs in its data directory: a pid file pointing at
        // any other server (a reused pid, a planted file) is not ours to stop.
        let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd")
        guard cwd == dataDirectory.resolvingSymlinksInPath().path || cwd == dataDirectory.path else { return }
        kill(pid, SIGQUIT)
        for _ in 0..<100 {
            if kill(pid, 0) != 0 { return }
            usleep(50_000)
        }
        kill(pid, SIGKILL)
        for _ in 0..<40 where kill(pid, 0) == 0 { usleep(50_000) }
    }

    // MARK: - Binaries and processes

    /// The directory with initdb, pg_ctl and postgres: the one given, then
    /// PATH, then `pg_config --bindir`, then the newest /usr/lib/postgresql/*/bin.
    package static func locateBinaries(_ explicit: String? = nil) throws -> URL {
        func usable(_ dir: URL) -> Bool {
            ["initdb", "pg_ctl", "postgres"].allSatisfy { FileManager.default.isExecutableFile(atPath: dir.appendingPathComponent($0).path) }
        }
        if let explicit {
            let dir = URL(fileURLWithPath: explicit)
            guard usable(dir) else {
                throw RehearseError.badInput("--pg-bindir \(explicit): initdb, pg_ctl and postgres are not all there. Give the directory that holds them (see `pg_config --bindir`).")
            }
            return dir
        }
        for entry in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") where usable(URL(fileURLWithPath: String(entry))) {
            // Symlinks on PATH (Debian's /usr/bin wrappers, say) lead to the
            // installation's own bin directory, which also holds pg_dump & co.
            let real = URL(fileURLWithPath: String(entry)).appendingPathComponent("pg_ctl").resolvingSymlinksInPath().deletingLastPathComponent()
            return usable(real) ? real : URL(fileURLWithPath: String(entry))
        }
        for path in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init) + ["/usr/bin", "/usr/local/bin"] {
            let pgConfig = URL(fileURLWithPath: path).appendingPathComponent("pg_config")
            if FileManager.default.isExecutableFile(atPath: pgConfig.path),
               let out = try? capture(pgConfig, ["--bindir"]), usable(URL(fileURLWithPath: out.trimmingCharacters(in: .whitespacesAndNewlines))) {
                return URL(fileURLWithPath: out.trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }
        let root = URL(fileURLWithPath: "/usr/lib/postgresql")
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []).sorted {
            $0.compare($1, options: .numeric) == .orderedDescending
        }
        for v in versions where usable(root.appendingPathComponent(v).appendingPathComponent("bin")) {
            return root.appendingPathComponent(v).appendingPathComponent("bin")
        }
        throw RehearseError.environment("No PostgreSQL server binaries found (initdb, pg_ctl, postgres): looked on PATH, at `pg_config --bindir` and under /usr/lib/postgresql/*/bin. Install the PostgreSQL server package, give --pg-bindir, or use --pg-url for a server you run yourself.")
    }

    /// Runs a server program (as `runAs` when set) and fails with its output.
    private func run(_ program: String, _ arguments: [String], what: String, forCleanUp: Bool = false) throws {
        let exe = bindir.appendingPathComponent(program)
        var executable = exe.path
        var args = arguments
        if let runAs {
            let runuser = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"].first { FileManager.default.isExecutableFile(atPath: $0) }
            guard let runuser else {
                throw RehearseError.environment("rehearse runs as root and needs runuser (util-linux) to start the scratch server as \(runAs). Install util-linux or run rehearse as an ordinary user.")
            }
            executable = runuser
            args = ["-u", runAs, "--", exe.path] + arguments
        }
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") }
        env["LC_ALL"] = "C"
        let outcome = try ChildProcess.run(executable, args, directory: directory.path, environment: env,
                                           output: directory.appendingPathComponent("\(program).out"), forCleanUp: forCleanUp)
        guard outcome.status == 0 else {
            let text = outcome.output.trimmingCharacters(in: .whitespacesAndNewlines)
            var advice = ""
            if text.contains("Permission denied"), let runAs {
                advice = " The system user \(runAs) must be able to reach \(directory.deletingLastPathComponent().path): set TMPDIR to a directory it can traverse (e.g. /tmp)."
            }
            throw RehearseError.environment("\(what) failed (exit \(outcome.status)): \(text).\(advice)")
        }
    }

    /// A short program's standard output (`pg_config --bindir`, `postgres
    /// --version`: neither leaves a process behind, so a pipe is safe).
    package static func capture(_ exe: URL, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = exe
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

}
