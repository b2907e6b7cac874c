import Foundation

/// What to clean up when the process is interrupted (SIGINT, SIGTERM), so a
/// cancelled rehearsal leaves nothing behind: scratch directories (those
/// registered with `keep` are left and their path is printed instead), the
/// servers in them, scratch databases on a server, and child programs.
///
/// The library only keeps this register and does the clean-up when asked: it
/// installs no signal handler, never exits and never parks a thread. The
/// executable's handler calls ``cleanUp(after:)``, prints its lines and ends
/// the process with 128 plus the signal (the CLI's `Signals`). From that
/// moment nothing new starts: starting a child program or a scratch cluster
/// throws `CancellationError`.
package enum Interruption {
    private final class Registry: @unchecked Sendable {
        // @unchecked: every access to `entries` holds `lock`.
        let lock = NSLock()
        var entries: [URL: Bool] = [:]
        /// Run before a directory is removed or kept, e.g. to stop a server in it.
        var stoppers: [URL: @Sendable () -> Void] = [:]
        /// Other clean-ups (e.g. a scratch database on a server), each
        /// returning the line to print.
        var actions: [String: @Sendable () -> String] = [:]
        /// Programs running on behalf of a scratch database (initdb, pg_ctl, cp).
        var children: Set<Int32> = []
        /// The signal whose clean-up began, once one did.
        var signal: Int32?
    }
    private static let registry = Registry()

    /// `stop` runs first when a signal arrives (a scratch server is stopped
    /// before its directory goes).
    package static func register(_ directory: URL, keep: Bool, stop: (@Sendable () -> Void)? = nil) {
        registry.lock.lock()
        registry.entries[directory] = keep
        registry.stoppers[directory] = stop
        registry.lock.unlock()
    }

    /// Runs `action` if a signal arrives before `cancel(key)`; its result is
    /// printed with the other clean-up lines.
    package static func onInterrupt(_ key: String, _ action: @escaping @Sendable () -> String) {
        registry.lock.lock()
        registry.actions[key] = action
        registry.lock.unlock()
    }

    package static func track(child pid: Int32) {
        registry.lock.lock()
        registry.children.insert(pid)
        registry.lock.unlock()
    }

    package static func untrack(child pid: Int32) {
        registry.lock.lock()
        registry.children.remove(pid)
        registry.lock.unlock()
    }

    /// Drops the clean-up `onInterrupt(key)` registered: it is done.
    package static func cancel(_ key: String) {
        registry.lock.lock()
        registry.actions[key] = nil
        registry.lock.unlock()
    }

    /// Forgets `directory` (and its stopper): it was removed, or is handed
    /// over and no longer the clean-up's.
    package static func unregister(_ directory: URL) {
        registry.lock.lock()
        registry.entries[directory] = nil
        registry.stoppers[directory] = nil
        registry.lock.unlock()
    }

    /// True once a signal arrived (``cleanUp(after:)`` began). Work failing
    /// because its scratch directory vanished under it must not report that
    /// failure: the handler is about to exit with the signal's status.
    package static var isInterrupted: Bool { signal != nil }

    /// The signal being handled (SIGINT or SIGTERM), once one arrived.
    package static var signal: Int32? {
        registry.lock.lock()
        defer { registry.lock.unlock() }
        return registry.signal
    }

    /// Throws `CancellationError` once a signal arrived, so nothing new
    /// starts while the handler cleans up; its caller unwinds and the
    /// executable ends with the handler's status (130 or 143).
    package static func stopIfInterrupted() throws {
        if isInterrupted { throw CancellationError() }
    }

    /// Removes a directory tree, trying again when a file vanished under it
    /// (another thread cleaning up the same scratch directory at once),
    /// without following any link in it (``SafeRemoval``).
    package static func removeTree(_ dir: URL) {
        for _ in 0..<5 where !SafeRemoval.removeTree(dir.path) {}
    }

    /// Cleans up after `sig` arrived and returns what was done, one line per
    /// clean-up (a removed or kept directory, a dropped database). Children
    /// first (SIGTERM, then SIGKILL after two seconds), then servers, then
    /// directories. The process is marked interrupted first, so nothing new
    /// starts meanwhile. The caller prints the lines and ends the process
    /// (exit status 128 + `sig`); this never exits.
    package static func cleanUp(after sig: Int32) -> [String] {
        registry.lock.lock()
        registry.signal = sig
        let entries = registry.entries
        let stoppers = registry.stoppers
        let actions = registry.actions
        let children = registry.children
        registry.lock.unlock()
        for pid in children { kill(pid, SIGTERM) }
        for _ in 0..<40 where children.contains(where: { kill($0, 0) == 0 }) { usleep(50_000) }
        for pid in children where kill(pid, 0) == 0 { kill(pid, SIGKILL) }
        for stop in stoppers.values { stop() }
        var lines: [String] = []
        for key in actions.keys.sorted() { lines.append(actions[key]!()) }
        for (dir, keep) in entries {
            if keep {
                lines.append("scratch database kept at \(dir.path)")
            } else {
                removeTree(dir)
                lines.append("removed scratch directory \(dir.path)")
            }
        }
        return lines
    }
}
