import RehearseCore
import RehearseEvidence
import RehearseSurrogate

/// Progress of long work, for a terminal to draw. The library only reports;
/// the command line decides whether anything is shown.
public struct ProgressEvent: Sendable {
    public var phase: String
    public var item: String
    public var done: Int64
    public var total: Int64
    public var elapsedMicros: Int64

    package init(phase: String, item: String, done: Int64, total: Int64, elapsedMicros: Int64) {
        self.phase = phase
        self.item = item
        self.done = done
        self.total = total
        self.elapsedMicros = elapsedMicros
    }
}

public typealias ProgressHandler = @Sendable (ProgressEvent) -> Void
