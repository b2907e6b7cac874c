import Foundation
import Testing

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
