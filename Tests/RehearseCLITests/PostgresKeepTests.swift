import Foundation
import Testing

@Suite(// Skipped where the PostgreSQL server is not installed (one line at the end of the run counts them).
       .enabled(if: PostgresServer.found(), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)")) struct PostgresKeepTests {
    @Test func keepLeavesAStoppedClusterThatTheNextRunDoesNotSweep() throws {
        let s = Scratch()
        let r = try CLI.run(["--engine", "postgres", "--scale", "0.02", "--keep", "--out", s.path("run")], environment: s.env)
        #expect(r.status == 0, "\(r.all)")
        #expect(r.stdout.contains("Scratch database kept at: \(s.url.path)/rehearse-pg-"))
        #expect(r.stdout.contains("start it with pg_ctl -D"))
        let kept = s.leftovers.filter { $0.hasPrefix("rehearse-pg-") }
        #expect(kept.count == 1)
        #expect(PostgresCLITests.postmasters(under: s.url).isEmpty, "a kept cluster is stopped")
        // A second run in the same TMPDIR sweeps stale clusters but not a kept one.
        let again = try CLI.run(["--engine", "postgres", "--scale", "0.02", "--out", s.path("run2")], environment: s.env)
        #expect(again.status == 0, "\(again.all)")
        #expect(s.leftovers.filter { $0.hasPrefix("rehearse-pg-") } == kept)
        #expect(FileManager.default.fileExists(atPath: s.url.appendingPathComponent(kept[0]).appendingPathComponent("data/PG_VERSION").path))
    }
}
