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

/// The guardian of an ephemeral cluster: a process that stops the server and
/// removes the cluster directory when rehearse dies. Rehearse's death is
/// played by closing the guardian's pipe (`abandonToGuardian`), which is all
/// the kernel does when the process ends; the CLI tests kill real runs.
@Suite(.serialized,
       // Skipped where the PostgreSQL server is not installed (one line at the end of the run counts them).
       .enabled(if: PostgresServer.found(), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)")) struct GuardianTests {
    /// Polls `condition` for up to `seconds`.
    static func eventually(_ seconds: Double = 15, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(100_000)
        }
        return condition()
    }

    /// Guardian processes watching `directory` (their command line names it).
    static func guardians(of directory: URL) -> [Int32] {
        let procs = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return procs.compactMap { Int32($0) }.filter { pid in
            guard let cmd = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8) else { return false }
            let parts = cmd.split(separator: "\0").map(String.init)
            return parts.contains("guardian") && parts.contains(directory.path)
        }
    }

    static func alive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        // A zombie (state Z) has exited; only its parent has not reaped it yet.
        return !stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }

    @Test func whenTheOwnerDiesTheGuardianStopsTheServerAndRemovesTheDirectory() throws {
        let dir = TempDir()
        let cluster = try PostgresCluster.start(parent: dir.url)
        #expect(postmasters(under: dir.url).count == 1)
        #expect(Self.guardians(of: cluster.directory).count == 1, "one guardian per cluster")
        cluster.abandonToGuardian()
        #expect(Self.eventually { postmasters(under: dir.url).isEmpty && dir.leftovers("rehearse-pg-").isEmpty },
                "server \(postmasters(under: dir.url)), directories \(dir.leftovers("rehearse-pg-"))")
        #expect(Self.eventually { Self.guardians(of: cluster.directory).isEmpty }, "the guardian exits once done")
    }

    /// A process the test started (so not through ChildProcess) after the
    /// cluster does not hold the pipe's write end: CLOEXEC keeps it in
    /// rehearse alone, or a child outliving rehearse would blind the guardian.
    @Test func aChildOfTheOwnerDoesNotKeepTheGuardianWaiting() throws {
        let dir = TempDir()
        let cluster = try PostgresCluster.start(parent: dir.url)
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/sleep")
        child.arguments = ["300"]
        child.currentDirectoryURL = URL(fileURLWithPath: "/")
        try child.run()
        // SIGKILL: a child of a test thread starts with SIGTERM blocked.
        defer { kill(child.processIdentifier, SIGKILL); child.waitUntilExit() }
        let pipeInode = try #require(Self.guardianPipeInode(of: cluster.directory))
        #expect(!Self.descriptors(of: child.processIdentifier).contains(pipeInode), "the child inherited the guardian's pipe")
        for pid in postmasters(under: dir.url) {
            #expect(!Self.descriptors(of: pid).contains(pipeInode), "the server inherited the guardian's pipe")
        }
        cluster.abandonToGuardian()
        #expect(Self.eventually { postmasters(under: dir.url).isEmpty && dir.leftovers("rehearse-pg-").isEmpty })
        #expect(child.isRunning, "the guardian touches nothing outside the cluster directory")
    }

    /// A server tool still running in the directory when rehearse dies (a
    /// `pg_ctl start` about to launch a postmaster, initdb, cp) is killed
    /// before the directory goes, so nothing starts in it afterwards.
    @Test func whateverStillRunsInTheDirectoryIsKilled() throws {
        let dir = TempDir()
        let cluster = try PostgresCluster.start(parent: dir.url)
        let tool = Process()
        tool.executableURL = URL(fileURLWithPath: "/bin/sleep")
        tool.arguments = ["300"]
        tool.currentDirectoryURL = cluster.dataDirectory
        try tool.run()
        defer { if tool.isRunning { kill(tool.processIdentifier, SIGKILL) }; tool.waitUntilExit() }
        cluster.abandonToGuardian()
        #expect(Self.eventually { !tool.isRunning }, "a process working in the cluster directory survived")
        #expect(Self.eventually { postmasters(under: dir.url).isEmpty && dir.leftovers("rehearse-pg-").isEmpty })
    }

    @Test func aCleanTeardownLeavesTheGuardianNothingToDo() throws {
        let dir = TempDir()
        let cluster = try PostgresCluster.start(parent: dir.url)
        let guardians = Self.guardians(of: cluster.directory)
        #expect(guardians.count == 1)
        cluster.remove(keep: false)
        #expect(dir.leftovers("rehearse-pg-").isEmpty)
        #expect(Self.eventually { guardians.allSatisfy { !Self.alive($0) } }, "the guardian outlived a clean teardown")
    }

    @Test func aKeptClusterIsLeftByItsGuardian() throws {
        let dir = TempDir()
        let cluster = try PostgresCluster.start(parent: dir.url, keep: true)
        let guardians = Self.guardians(of: cluster.directory)
        cluster.remove(keep: true)
        #expect(Self.eventually { guardians.allSatisfy { !Self.alive($0) } })
        #expect(FileManager.default.fileExists(atPath: cluster.dataDirectory.appendingPathComponent("PG_VERSION").path))
        #expect(postmasters(under: dir.url).isEmpty, "a kept cluster is stopped")
        Interruption.removeTree(cluster.directory)
    }

    /// A --keep run that dies mid-way is treated as an interrupted --keep run:
    /// the server stops, the directory stays, marked kept for the sweep.
    @Test func aKeepRunThatDiesLeavesAStoppedClusterMarkedKept() throws {
        let dir = TempDir()
        let cluster = try PostgresCluster.start(parent: dir.url, keep: true)
        cluster.abandonToGuardian()
        let owner = cluster.directory.appendingPathComponent(PostgresCluster.ownerFile)
        #expect(Self.eventually { postmasters(under: dir.url).isEmpty && ((try? String(contentsOf: owner, encoding: .utf8)) ?? "").contains("kept=1") })
        #expect(FileManager.default.fileExists(atPath: cluster.dataDirectory.appendingPathComponent("PG_VERSION").path))
        #expect(PostgresCluster.cleanStale(in: dir.url).isEmpty, "the sweep leaves a kept cluster")
        Interruption.removeTree(cluster.directory)
    }

    /// Marking a kept cluster writes in a directory the server user can
    /// write in: a symlink planted where the mark is written is replaced or
    /// refused, never followed (the guardian may run as root).
    @Test func markingAKeptClusterFollowsNoPlantedSymlink() throws {
        let dir = TempDir()
        let cluster = try PostgresCluster.start(parent: dir.url, keep: true)
        dir.write("victim", "untouched\n")
        try FileManager.default.createSymbolicLink(at: cluster.directory.appendingPathComponent(PostgresCluster.ownerFile + ".guardian"), withDestinationURL: dir.file("victim"))
        let owner = cluster.directory.appendingPathComponent(PostgresCluster.ownerFile)
        try FileManager.default.removeItem(at: owner)
        try FileManager.default.createSymbolicLink(at: owner, withDestinationURL: dir.file("victim"))
        cluster.abandonToGuardian()
        #expect(Self.eventually { postmasters(under: dir.url).isEmpty && ((try? String(contentsOf: owner, encoding: .utf8)) ?? "").contains("kept=1") })
        #expect(try String(contentsOf: dir.file("victim"), encoding: .utf8) == "untouched\n")
        var st = stat()
        #expect(lstat(owner.path, &st) == 0 && st.st_mode & S_IFMT == S_IFREG, "the mark is a regular file of its own")
        Interruption.removeTree(cluster.directory)
    }

    /// The guardian trusts a `kept=1` mark only in a regular file this user
    /// owns: the server user owns the cluster directory (when rehearse is
    /// root) and a superuser script can write files there, so a planted mark,
    /// or a symlink to one, must not make the guardian leave a server running.
    @Test(arguments: ["symlink", "other-owner"])
    func aPlantedKeptMarkDoesNotStopTheGuardian(variant: String) throws {
        let dir = TempDir()
        let cluster = try PostgresCluster.start(parent: dir.url)
        let owner = cluster.directory.appendingPathComponent(PostgresCluster.ownerFile)
        try FileManager.default.removeItem(at: owner)
        switch variant {
        case "symlink":
            dir.write("mark", "pid=1 start=? kept=1\n")
            try FileManager.default.createSymbolicLink(at: owner, withDestinationURL: dir.file("mark"))
        default:
            try "pid=1 start=? kept=1\n".write(to: owner, atomically: true, encoding: .utf8)
            // As root the file goes to the server user; otherwise (no other
            // user to give it to) to nobody, when allowed.
            let other = getpwnam(cluster.runAs ?? "nobody")
            if getuid() == 0, let other { chown(owner.path, other.pointee.pw_uid, other.pointee.pw_gid) }
            if getuid() != 0 { try FileManager.default.removeItem(at: owner) }  // no other owner to plant as
        }
        cluster.abandonToGuardian()
        #expect(Self.eventually { postmasters(under: dir.url).isEmpty && dir.leftovers("rehearse-pg-").isEmpty },
                "server \(postmasters(under: dir.url)), directories \(dir.leftovers("rehearse-pg-"))")
        #expect(FileManager.default.fileExists(atPath: dir.file("mark").path) || variant != "symlink", "the link's target is not removed")
    }

    /// The inode of the guardian's pipe, as its standard input shows it.
    static func guardianPipeInode(of directory: URL) -> String? {
        guard let pid = guardians(of: directory).first,
              let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/0"), link.hasPrefix("pipe:") else { return nil }
        return link
    }

    static func descriptors(of pid: Int32) -> Set<String> {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
        return Set(fds.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\($0)") })
    }
}
