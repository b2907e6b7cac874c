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

/// The stale-cluster sweep removes a directory only when its owner is proven
/// gone. No server needed: the clusters here are fake directories with an
/// owner mark (and sometimes a postmaster.pid), which is all the sweep reads.
@Suite struct StaleClusterSweepTests {
    /// A fake cluster directory under `dir` with the given owner mark.
    func fakeCluster(in dir: TempDir, _ name: String, owner: String, postmasterPid: Int32? = nil) throws -> URL {
        let cluster = dir.url.appendingPathComponent(PostgresCluster.directoryPrefix + name)
        let data = cluster.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        try owner.write(to: cluster.appendingPathComponent(PostgresCluster.ownerFile), atomically: true, encoding: .utf8)
        if let postmasterPid {
            try "\(postmasterPid)\n\(data.path)\n".write(to: data.appendingPathComponent("postmaster.pid"), atomically: true, encoding: .utf8)
        }
        return cluster
    }

    /// A pid that ran and has exited (and been reaped).
    func exitedPid() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }

    @Test func aLiveOwnerWithAnUnknownStartTimeIsNotSwept() throws {
        let dir = TempDir()
        let unknown = try fakeCluster(in: dir, "unknown00001", owner: "pid=\(getpid()) start=? kept=0\n")
        let missing = try fakeCluster(in: dir, "missing00001", owner: "pid=\(getpid()) kept=0\n")
        #expect(PostgresCluster.cleanStale(in: dir.url).isEmpty)
        #expect(FileManager.default.fileExists(atPath: unknown.path))
        #expect(FileManager.default.fileExists(atPath: missing.path))
    }

    @Test func aMarkThatNamesNoOwnerIsNotSwept() throws {
        let dir = TempDir()
        let marks = ["start=1 kept=0\n", "pid=abc start=1 kept=0\n", "pid=0 start=? kept=0\n", "pid=-1 start=? kept=0\n", "\n"]
        let clusters = try marks.enumerated().map { try fakeCluster(in: dir, "nopid\(String(repeating: "0", count: 6))\($0.offset)", owner: $0.element) }
        #expect(PostgresCluster.cleanStale(in: dir.url).isEmpty)
        for cluster in clusters { #expect(FileManager.default.fileExists(atPath: cluster.path), "\(cluster.lastPathComponent)") }
    }

    @Test func aDeadOwnersClusterIsSweptAndAKeptOneStays() throws {
        let dir = TempDir()
        let pid = try exitedPid()
        let dead = try fakeCluster(in: dir, "dead00000001", owner: "pid=\(pid) start=1 kept=0\n")
        let kept = try fakeCluster(in: dir, "kept00000001", owner: "pid=\(pid) start=1 kept=1\n")
        #expect(PostgresCluster.cleanStale(in: dir.url).map(\.lastPathComponent) == [dead.lastPathComponent])
        #expect(!FileManager.default.fileExists(atPath: dead.path))
        #expect(FileManager.default.fileExists(atPath: kept.path))
    }

    @Test func ownerProofNeedsADeadPid() throws {
        let pid = try exitedPid()
        #expect(PostgresCluster.ownerProvenGone(["pid": String(pid), "start": "1", "kept": "0"]))
        #expect(!PostgresCluster.ownerProvenGone(["pid": String(pid), "start": "1", "kept": "1"]))
        #expect(!PostgresCluster.ownerProvenGone(["pid": String(getpid()), "start": "?", "kept": "0"]))
        #expect(!PostgresCluster.ownerProvenGone(["pid": String(getpid()), "kept": "0"]))
        #expect(!PostgresCluster.ownerProvenGone(["start": "1", "kept": "0"]))
        #expect(!PostgresCluster.ownerProvenGone(["pid": "0", "kept": "0"]))
    }

    /// Without /proc the sweep cannot prove a postmaster ours nor stop it: a
    /// live pid in postmaster.pid keeps the directory. With /proc the
    /// postmaster was handled by killPostmaster, so nothing waits.
    @Test func withoutProcALivePostmasterPidKeepsTheDirectory() throws {
        let dir = TempDir()
        let live = try fakeCluster(in: dir, "livepm000001", owner: "pid=1 kept=0\n", postmasterPid: getpid())
        let gone = try fakeCluster(in: dir, "deadpm000001", owner: "pid=1 kept=0\n", postmasterPid: try exitedPid())
        let none = try fakeCluster(in: dir, "nopm00000001", owner: "pid=1 kept=0\n")
        let data = { (cluster: URL) in cluster.appendingPathComponent("data") }
        #expect(PostgresCluster.postmasterMayBeRunning(dataDirectory: data(live), procAvailable: false))
        #expect(!PostgresCluster.postmasterMayBeRunning(dataDirectory: data(gone), procAvailable: false))
        #expect(!PostgresCluster.postmasterMayBeRunning(dataDirectory: data(none), procAvailable: false))
        #expect(!PostgresCluster.postmasterMayBeRunning(dataDirectory: data(live), procAvailable: true))
    }
}
