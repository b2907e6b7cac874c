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

/// The SQLite scratch sweep removes only what a dead run left: never a
/// live run's directory, a kept one, or one whose mark names no owner.
@Suite struct SQLiteScratchSweepTests {
    /// A pid that existed and is gone: a child that has exited and was reaped.
    func deadPid() throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/true")
        try p.run()
        p.waitUntilExit()
        return p.processIdentifier
    }

    func plant(_ dir: TempDir, _ name: String, mark: String) throws -> URL {
        let d = dir.url.appendingPathComponent(SQLiteScratch.directoryPrefix + name)
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        try mark.write(to: d.appendingPathComponent(ScratchOwner.file), atomically: true, encoding: .utf8)
        return d
    }

    @Test func onlyADeadOwnersDirectoryIsSwept() throws {
        let dir = TempDir()
        let dead = try plant(dir, "dead", mark: "pid=\(try deadPid()) start=1 kept=0\n")
        let live = try plant(dir, "live", mark: ScratchOwner.mark(keep: false))
        let kept = try plant(dir, "kept", mark: "pid=\(try deadPid()) start=1 kept=1\n")
        let nobody = try plant(dir, "nobody", mark: "kept=0\n")
        let junk = try plant(dir, "junk", mark: "pid=abc start=1 kept=0\n")
        let removed = SQLiteScratch.cleanStale(in: dir.url)
        #expect(removed.map(\.lastPathComponent) == [dead.lastPathComponent])
        for d in [live, kept, nobody, junk] { #expect(FileManager.default.fileExists(atPath: d.path), "\(d.lastPathComponent)") }
        #expect(!FileManager.default.fileExists(atPath: dead.path))
    }
}
