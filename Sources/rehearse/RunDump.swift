import ArgumentParser
import Foundation
import RehearseKit

extension Rehearse.Run {
    /// `--dump PATH --grant FILE --trust FILE`: the grant is checked before
    /// the dump is restored (see DumpCloneRun).
    func runDumpClone(dump: String, grant: String, trust: String) throws {
        throw RehearseError(.refused, "Refused: --dump is not wired in this build yet.")
    }
}
