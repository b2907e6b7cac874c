import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// Escaping for every value a report takes from evidence. Evidence names
/// come from the schema and scripts under rehearsal, so a table may be named
/// `</td><script>` or `]]>`; each format gets its own function and renderers
/// never interpolate a raw evidence string.
package enum ReportEscaping {
    /// XML 1.0 text and attribute values (HTML uses the same). Characters
    /// XML 1.0 cannot hold at all (most C0 controls, lone surrogates cannot
    /// occur in a Swift String, U+FFFE/U+FFFF) become U+FFFD, so the document
    /// always parses; quotes are escaped so the result is safe in attributes.
    package static func xml(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                let v = scalar.value
                if v < 0x20 || v == 0xFFFE || v == 0xFFFF || (0x7F...0x9F).contains(v) {
                    out += "\u{FFFD}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// HTML body and attribute text: the XML escape (the page is served as
    /// HTML, where the same five entities mean the same).
    package static func html(_ s: String) -> String { xml(s) }

    /// Markdown (GitHub-flavoured) inline text, also safe inside a table
    /// cell: HTML is escaped (comments render raw HTML), every punctuation
    /// character Markdown gives meaning to is backslash-escaped, and line
    /// breaks become spaces so a value cannot end a table row.
    package static func markdown(_ s: String) -> String {
        var out = ""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\n", "\r", "\t": out += " "
            case "\\", "`", "*", "_", "{", "}", "[", "]", "(", ")", "#", "+", "-", ".", "!", "|", "~", "\"", "'", "$", "@", ":", "=":
                out += "\\"
                out.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
                    out += "\u{FFFD}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// Digests and paths in the code style: the text is escaped like any
    /// other (Markdown still parses between inline HTML tags, and a backtick
    /// in a name cannot close a span early) inside a `<code>` element, which
    /// needs no delimiter from the text.
    package static func markdownCode(_ s: String) -> String { "<code>\(markdown(s))</code>" }
}
