/// An error a person can act on: what happened, where, and what to do next.
///
/// The ``Code`` decides the process exit status (see the README's table), so a
/// script can tell a failed rehearsal from bad input or a governance refusal.
public struct RehearseError: Error, CustomStringConvertible, Sendable {
    /// The class of failure. A struct over a private enum so codes can be added
    /// without breaking callers that switch on them.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Storage: Hashable, Sendable {
            case rehearsalFailed, badInput, refused, environment, evidenceRejected, inconclusive
        }
        private let storage: Storage
        private init(_ storage: Storage) { self.storage = storage }

        /// The rehearsal ran and found drift or a failing check (exit 1).
        public static let rehearsalFailed = Code(.rehearsalFailed)
        /// A file, manifest, profile or option is wrong (exit 2).
        public static let badInput = Code(.badInput)
        /// Governance refused the request: lane, grant or isolation (exit 3).
        public static let refused = Code(.refused)
        /// The machine could not do what was asked: disk, permissions, libraries (exit 4).
        public static let environment = Code(.environment)
        /// Evidence failed validation: tampered, inconsistent or malformed (exit 5).
        public static let evidenceRejected = Code(.evidenceRejected)
        /// The rehearsal restored everything, but its birth did not exercise
        /// its data changes, so it proves nothing about data (exit 6; never PASS).
        public static let inconclusive = Code(.inconclusive)

        /// The documented process exit status for this code.
        public var exitStatus: Int32 {
            switch storage {
            case .rehearsalFailed: 1
            case .badInput: 2
            case .refused: 3
            case .environment: 4
            case .evidenceRejected: 5
            case .inconclusive: 6
            }
        }

        /// The class in words ("bad input", "environment problem", ...).
        public var description: String {
            switch storage {
            case .rehearsalFailed: "rehearsal failed"
            case .badInput: "bad input"
            case .refused: "refused"
            case .environment: "environment problem"
            case .evidenceRejected: "evidence rejected"
            case .inconclusive: "inconclusive"
            }
        }
    }

    /// The class of failure; it decides the exit status (``ExitStatus``).
    public var code: Code
    /// Whole sentences: what happened, where, and what to do.
    public var message: String
    /// The error this one was made from (a SQLite or libpq error, a file
    /// system error), kept for a caller that wants to inspect it. It never
    /// changes what is printed: ``description`` is the message alone.
    public var underlying: (any Error)?

    /// An error of class `code` saying `message`, with no underlying cause.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// An error with `code` and `message` that keeps `error` as its cause.
    public static func wrapping(_ error: any Error, code: Code, message: String) -> RehearseError {
        var wrapped = RehearseError(code, message)
        wrapped.underlying = error
        return wrapped
    }

    /// The message alone, whatever the cause: what the CLI prints.
    public var description: String { message }

    package static func badInput(_ message: String) -> RehearseError { .init(.badInput, message) }
    package static func environment(_ message: String) -> RehearseError { .init(.environment, message) }
    package static func refused(_ message: String) -> RehearseError { .init(.refused, message) }
    package static func rehearsalFailed(_ message: String) -> RehearseError { .init(.rehearsalFailed, message) }
}
