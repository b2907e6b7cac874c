import Foundation
import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

/// Clusters left behind by runs that died (the stale-cluster sweep).
extension PostgresCluster {
    // MARK: - Stale clusters

    /// Removes clusters under `parent` whose owning rehearse process is gone
    /// (killed with SIGKILL, or a crashed machine): stops a server still
    /// running there, then deletes the directory. Kept clusters stay.
    /// Returns the directories removed.
    @discardableResult
    public static func cleanStale(in parent: URL) -> [URL] {
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
}
