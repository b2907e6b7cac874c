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
    ///
    /// Uses `/proc` (Linux): the owner's start time tells it from a process
    /// that reused its pid (``ScratchOwner/processAlive(_:startTime:)``), and
    /// `/proc/<pid>/comm` and `cwd` tell a postmaster from another process
    /// (``killPostmaster(dataDirectory:)``). Where there is no `/proc`
    /// (macOS, the BSDs) it removes less, never more: a live pid counts as
    /// the owner, and a directory whose `postmaster.pid` names a live process
    /// stays, since that server can be neither proven ours nor stopped
    /// (``postmasterMayBeRunning(dataDirectory:procAvailable:)``). A mark
    /// without a pid proves no owner dead: its directory stays too.
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
            guard ownerProvenGone(ScratchOwner.fields(text)) else { continue }
            killPostmaster(dataDirectory: dir.appendingPathComponent("data"))
            if postmasterMayBeRunning(dataDirectory: dir.appendingPathComponent("data"), procAvailable: procAvailable) { continue }
            Interruption.removeTree(dir)
            if !FileManager.default.fileExists(atPath: dir.path) { removed.append(dir) }
        }
        return removed
    }

    /// Whether an owner mark's fields prove its owner gone, so its cluster
    /// may be swept: not kept, and a pid that no longer runs (or, with
    /// `/proc`, runs with another start time). A mark with no usable pid, or
    /// a live pid whose start time is unknown (`start=?`, or no `/proc`),
    /// proves nothing: false.
    package static func ownerProvenGone(_ fields: [String: String]) -> Bool {
        if fields["kept"] == "1" { return false }
        guard let pid = fields["pid"].flatMap({ Int32($0) }), pid > 0 else { return false }
        return !ScratchOwner.processAlive(pid, startTime: fields["start"])
    }

    /// Whether this system has `/proc` (Linux), which the sweep needs to
    /// prove an owner or a postmaster is not the process it seems to be.
    package static var procAvailable: Bool { FileManager.default.fileExists(atPath: "/proc/self/stat") }

    /// After ``killPostmaster(dataDirectory:)``: whether a server may still
    /// run in the data directory, so removing it must wait. With `/proc`,
    /// never (a postmaster of this directory was stopped; any other pid is
    /// not its server). Without `/proc` nothing was stopped, so a live pid in
    /// `postmaster.pid` may be that server: true.
    package static func postmasterMayBeRunning(dataDirectory: URL, procAvailable: Bool) -> Bool {
        guard !procAvailable,
              let text = try? String(contentsOf: dataDirectory.appendingPathComponent("postmaster.pid"), encoding: .utf8),
              let first = text.split(separator: "\n").first, let pid = Int32(first.trimmingCharacters(in: .whitespaces)), pid > 1 else { return false }
        return kill(pid, 0) == 0 || errno == EPERM
    }

    /// Sends SIGQUIT (immediate shutdown) to the postmaster named in
    /// postmaster.pid, if it is a postgres process, then SIGKILL if needed.
    /// Needs `/proc` (Linux) to prove that: without it, stops nothing.
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
