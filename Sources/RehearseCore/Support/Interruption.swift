import Dispatch
import Foundation

/// Removes scratch directories when the process is interrupted (SIGINT,
/// SIGTERM), so a cancelled rehearsal leaves nothing behind; directories
/// registered with `keep` are left and their path is printed instead.
public enum Interruption {
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
        var interrupted = false
        var sources: [DispatchSourceSignal] = []
    }
    private static let registry = Registry()

    /// Installs the handlers once; call from the executable's entry point.
    public static func install() {
        registry.lock.lock()
        defer { registry.lock.unlock() }
        guard registry.sources.isEmpty else { return }
        let queue = DispatchQueue(label: "rehearse.interruption")
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler { handle(sig) }
            source.resume()
            registry.sources.append(source)
        }
    }

    /// `stop` runs first when a signal arrives (a scratch server is stopped
    /// before its directory goes).
    public static func register(_ directory: URL, keep: Bool, stop: (@Sendable () -> Void)? = nil) {
        registry.lock.lock()
        registry.entries[directory] = keep
        registry.stoppers[directory] = stop
        registry.lock.unlock()
    }

    /// Runs `action` if a signal arrives before `cancel(key)`; its result is
    /// printed with the other clean-up lines.
    public static func onInterrupt(_ key: String, _ action: @escaping @Sendable () -> String) {
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

    public static func cancel(_ key: String) {
        registry.lock.lock()
        registry.actions[key] = nil
        registry.lock.unlock()
    }

    public static func unregister(_ directory: URL) {
        registry.lock.lock()
        registry.entries[directory] = nil
        registry.stoppers[directory] = nil
        registry.lock.unlock()
    }

    /// True once a signal arrived. Work failing because its scratch directory
    /// vanished under it must not report that failure: the handler is about to
    /// exit with the signal's status.
    public static var isInterrupted: Bool {
        registry.lock.lock()
        defer { registry.lock.unlock() }
        return registry.interrupted
    }

    /// Parks the calling thread if an interruption is being handled, so the
    /// handler's exit status (130 or 143) is the one the process ends with.
    public static func yieldToHandlerIfInterrupted() {
        guard isInterrupted else { return }
        while true { sleep(1) }
    }

    /// Removes a directory tree, trying again when a file vanished under it
    /// (another thread cleaning up the same scratch directory at once).
    public static func removeTree(_ dir: URL) {
        for _ in 0..<5 where FileManager.default.fileExists(atPath: dir.path) {
            try? FileManager.default.removeItem(at: dir)
        }
    }

    private static func handle(_ sig: Int32) {
        registry.lock.lock()
        registry.interrupted = true
        let entries = registry.entries
        let stoppers = registry.stoppers
        let actions = registry.actions
        let children = registry.children
        registry.lock.unlock()
        // Children first (SIGTERM, then SIGKILL after two seconds), then
        // servers, then directories.
        for pid in children { kill(pid, SIGTERM) }
        for _ in 0..<40 where children.contains(where: { kill($0, 0) == 0 }) { usleep(50_000) }
        for pid in children where kill(pid, 0) == 0 { kill(pid, SIGKILL) }
        for stop in stoppers.values { stop() }
        var message = "\nrehearse: interrupted by \(sig == SIGINT ? "SIGINT" : "SIGTERM"); no evidence was written.\n"
        for key in actions.keys.sorted() { message += "rehearse: " + actions[key]!() + "\n" }
        for (dir, keep) in entries {
            if keep {
                message += "rehearse: scratch database kept at \(dir.path)\n"
            } else {
                removeTree(dir)
                message += "rehearse: removed scratch directory \(dir.path)\n"
            }
        }
        FileHandle.standardError.write(Data(message.utf8))
        exit(128 + sig)
    }
}
