import Foundation

/// The process exit status of an outcome, decided in one place (the README's
/// table): the CLI asks here and never spells a status out itself.
///
/// | status | meaning |
/// | --- | --- |
/// | 0 | passed |
/// | 1 | rehearsal failed |
/// | 2 | bad input |
/// | 3 | refused |
/// | 4 | environment problem |
/// | 5 | evidence rejected |
/// | 6 | inconclusive |
/// | 130 / 143 | interrupted by SIGINT / SIGTERM |
public enum ExitStatus {
    /// The status of a run that ended with `error`: a ``RehearseError``'s
    /// code decides; a `CancellationError` is an interruption (128 plus the
    /// signal that arrived, SIGINT's 130 when none did); anything else (a
    /// SQLite or libpq error, a file system error no code path translated)
    /// is an environment problem (4), never bad input: nothing the user gave
    /// was shown to be wrong.
    public static func of(_ error: any Error) -> Int32 {
        switch error {
        case let error as RehearseError: error.code.exitStatus
        case is CancellationError: 128 + (Interruption.signal ?? SIGINT)
        default: RehearseError.Code.environment.exitStatus
        }
    }
}
