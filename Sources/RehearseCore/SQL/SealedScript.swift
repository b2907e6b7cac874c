import Foundation
import RehearseCore

/// A script copied into a run folder, split into statements by the rules of
/// the engine that ran it, so the validator can tell which statements and
/// checks the sealed bytes hold without a database.
package struct SealedScript {
    package let script: SQLScript
    package let statements: [ScriptStatement]
    package let dialect: Dialect

    /// `engine` as evidence names it; nil for an engine rehearse does not have.
    package init?(bytes: [UInt8], path: String, engine: String) {
        guard let dialect = Dialect(rawValue: engine) else { return nil }
        self.init(bytes: bytes, path: path, dialect: dialect)
    }

    package init?(bytes: [UInt8], path: String, dialect: Dialect) {
        guard let text = String(validating: bytes, as: UTF8.self) else { return nil }
        self.dialect = dialect
        script = SQLScript(displayPath: path, url: URL(fileURLWithPath: "/dev/null"), text: text, sha256: Digest.sha256Hex(bytes))
        switch dialect {
        case .sqlite:
            guard let split = SQLiteStatements.split(text) else { return nil }
            statements = split
        case .postgres: statements = PostgresScript.statements(script)
        }
    }

    /// Start line of each statement, as the engines record it.
    package var lines: [Int] { statements.map { script.line(ofByteOffset: $0.startOffset) } }

    /// Each statement's check name, numbered as the engines number them.
    package var checkNames: [String] {
        statements.enumerated().map { n, s in s.checkName(number: n + 1, line: script.line(ofByteOffset: s.startOffset)) }
    }

}
