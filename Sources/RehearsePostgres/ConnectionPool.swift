import Foundation
import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

/// Connections that run independent load steps side by side.
package final class ConnectionPool: @unchecked Sendable {
    // @unchecked: `connections` slots are each used by one worker at a time;
    // `next` and `failure` are only touched under `lock`.
    private let lock = NSLock()
    private var connections: [PGConnection?]
    private let open: @Sendable () throws -> PGConnection

    package init(first: PGConnection, open: @escaping @Sendable () throws -> PGConnection, size: Int) {
        connections = [first] + Array(repeating: nil, count: max(0, size - 1))
        self.open = open
    }

    /// Runs every task, each on one of the pool's connections; the first
    /// failure is thrown once the running tasks end (no new task starts).
    package func run(_ tasks: [(PGConnection) throws -> Void]) throws {
        guard !tasks.isEmpty else { return }
        final class State: @unchecked Sendable {
            // @unchecked: guarded by the pool's lock.
            var next = 0
            var failure: Error?
        }
        let state = State()
        nonisolated(unsafe) let tasks = tasks
        let workers = min(connections.count, tasks.count)
        DispatchQueue.concurrentPerform(iterations: workers) { slot in
            while true {
                lock.lock()
                guard state.failure == nil, state.next < tasks.count else { lock.unlock(); return }
                let task = tasks[state.next]
                state.next += 1
                var conn = connections[slot]
                lock.unlock()
                do {
                    if conn == nil {
                        conn = try open()
                        lock.lock()
                        connections[slot] = conn
                        lock.unlock()
                    }
                    try task(conn!)
                } catch {
                    lock.lock()
                    if state.failure == nil { state.failure = error }
                    lock.unlock()
                    return
                }
            }
        }
        if let failure = state.failure { throw failure }
    }
}

/// Rows loaded so far, across connections, reported as progress.
package final class LoadCounter: @unchecked Sendable {
    // @unchecked: every field is touched only under `lock`.
    private let lock = NSLock()
    private var done: Int64 = 0
    private var lastReport: Int64 = 0
    private let total: Int64
    private let progress: ProgressHandler?
    private let clock = ContinuousClock.now

    package init(total: Int64, progress: ProgressHandler?) {
        self.total = total
        self.progress = progress
    }

    package func add(_ rows: Int64, table: String) {
        lock.lock()
        defer { lock.unlock() }
        done += rows
        guard let progress, done - lastReport >= 16384 || done == total else { return }
        lastReport = done
        progress(ProgressEvent(phase: "load", item: table, done: done, total: total, elapsedMicros: (ContinuousClock.now - clock).microseconds))
    }
}
