import Foundation
import Testing

/// A private dump copy left by a killed run is swept by the next run.
@Suite struct DumpWorkspaceSweepCLITests {
    @Test func aCopyLeftByAKilledRunIsRemovedByTheNextRun() throws {
        let s = Scratch()
        let stale = s.url.appendingPathComponent("rehearse-dump-dead01")
        try FileManager.default.createDirectory(at: stale, withIntermediateDirectories: true)
        try "real rows\n".write(to: stale.appendingPathComponent("dump"), atomically: true, encoding: .utf8)
        // a pid that does not exist
        try "2147483000\n".write(to: stale.appendingPathComponent("owner.pid"), atomically: true, encoding: .utf8)
        let live = s.url.appendingPathComponent("rehearse-dump-live01")
        try FileManager.default.createDirectory(at: live, withIntermediateDirectories: true)
        try "\(getpid())\n".write(to: live.appendingPathComponent("owner.pid"), atomically: true, encoding: .utf8)
        _ = try CLI.run(["lanes"], environment: s.env)
        #expect(!FileManager.default.fileExists(atPath: stale.path))
        #expect(FileManager.default.fileExists(atPath: live.path), "a live owner's copy stays")
    }
}
