import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// A script rehearse writes from pieces of migration files (the history
/// before a step, an up, a range of downs), with a map from its own lines
/// back to the files' lines, so that a failure at `birth.sql:12` is
/// reported at the migration file and line that hold the statement.
package struct ComposedScript {
    package struct Segment: Equatable { var line: Int; var file: String; var fileLine: Int }

    package private(set) var text = ""
    package private(set) var segments: [Segment] = []
    private var nextLine = 1

    /// Appends a whole script; its first line maps to `script.line`.
    package mutating func append(_ script: MigrationScript) {
        append(text: script.text, file: script.file, fileLine: script.line)
    }

    package mutating func append(text piece: String, file: String, fileLine: Int) {
        // A file name is never SQL: anything but printable ASCII (a newline
        // would end the comment and make the rest of the name a statement)
        // is written as `?`.
        let shown = String(String.UnicodeScalarView(file.unicodeScalars.map { $0.value >= 0x20 && $0.value < 0x7f ? $0 : "?" }))
        let header = "-- rehearse: \(shown):\(fileLine)\n"
        text += header
        nextLine += 1
        segments.append(Segment(line: nextLine, file: file, fileLine: fileLine))
        text += piece
        if !piece.hasSuffix("\n") { text += "\n" }
        nextLine += piece.utf8.reduce(0) { $0 + ($1 == 0x0a ? 1 : 0) } + (piece.hasSuffix("\n") ? 0 : 1)
    }

    /// The migration file and line of one of this script's lines.
    package func locate(_ line: Int) -> (file: String, line: Int)? {
        guard let s = segments.last(where: { $0.line <= line }) else { return nil }
        return (s.file, s.fileLine + line - s.line)
    }

    /// Rewrites `name:LINE` (and `name:LINE:COL`) in a message to the
    /// migration file's own position.
    package func relocate(_ message: String, name: String) -> String {
        var out = ""
        var rest = Substring(message)
        while let r = rest.range(of: name + ":") {
            out += rest[..<r.lowerBound]
            let digits = rest[r.upperBound...].prefix { $0.isASCII && $0.isNumber }
            if let n = Int(digits), let at = locate(n) {
                out += "\(at.file):\(at.line)"
                rest = rest[rest.index(r.upperBound, offsetBy: digits.count)...]
                // The column counts in the composed text too; it is the same text, keep it.
            } else {
                out += rest[r]
                rest = rest[r.upperBound...]
            }
        }
        return out + rest
    }
}
