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

    package let lock = NSLock()
    private var state: State = .running
    /// The write end of the guardian's pipe; -1 once closed. Only this
    /// process holds it (CLOEXEC: no server tool inherits it), so it closes
    /// exactly when this process ends or `remove` lets the guardian go.
    package var guardianPipe: Int32 = -1
    private enum State { case running, stopped, removed }

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

    deinit { remove(keep: false) }
}
