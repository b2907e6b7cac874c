import Foundation
import RehearseCore
import RehearseEvidence
import RehearseEngine

extension PostgresScript {
    /// A failure located in the script: at the server's error position when it
    /// gave one, else at the statement's start.
    package static func failure(_ error: PGError, statement: ScriptStatement, in script: SQLScript) -> ScriptFailure {
        var offset = statement.startOffset
        if let position = error.position { offset += byteOffset(ofPosition: position, in: statement.sql) }
        return ScriptFailure(in: script, atByteOffset: offset, statement: statement.sql, engineMessage: "PostgreSQL error \(error)")
    }
}
