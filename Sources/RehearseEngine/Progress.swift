import RehearseCore
import RehearseEvidence
import RehearseSurrogate

/// Progress of long work, for a terminal to draw. The library only reports;
/// the command line decides whether anything is shown.
public struct ProgressEvent: Sendable {
    /// The work under way (`load`).
    public var phase: String
    /// What is being worked on: the table being loaded.
    public var item: String
    /// Units done so far (rows, for a load), over all items.
    public var done: Int64
    /// Units to do in all; `done` reaches it at the end.
    public var total: Int64
    /// Time since the work started, in microseconds.
    public var elapsedMicros: Int64

    package init(phase: String, item: String, done: Int64, total: Int64, elapsedMicros: Int64) {
        self.phase = phase
        self.item = item
        self.done = done
        self.total = total
        self.elapsedMicros = elapsedMicros
    }
}

/// Receives progress events; may be called from the loader's worker threads, so it must not assume one.
public typealias ProgressHandler = @Sendable (ProgressEvent) -> Void
