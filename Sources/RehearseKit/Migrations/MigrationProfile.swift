import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// The profile a walk was given describes the tables of the whole history,
/// but the schema before an early step has only some of them, and the
/// generator refuses a profile that names a table the schema lacks. Each
/// step's profile is the one given with the entries of `tables:` that the
/// step's schema does not create left out (a text filter over the block
/// layout `rehearse profile` writes: two-space table keys under `tables:`).
package enum MigrationProfile {
    package static func filter(_ profile: String, schema: String) -> (text: String, leftOut: [String]) {
        var out: [String] = []
        var leftOut: [String] = []
        var inTables = false
        var dropping = false
        for line in MigrationLines.split(profile) {
            let indent = line.prefix { $0 == " " }.count
            let body = line.dropFirst(indent)
            if indent == 0 && !body.isEmpty && !body.hasPrefix("#") {
                inTables = body.hasPrefix("tables:")
                dropping = false
            } else if inTables && indent == 2 && !body.hasPrefix("#"), let colon = body.firstIndex(of: ":") {
                var name = String(body[..<colon]).trimmingCharacters(in: .whitespaces)
                if name.count >= 2, name.first == "\"" || name.first == "'" { name = String(name.dropFirst().dropLast()) }
                dropping = !creates(schema, table: name)
                if dropping { leftOut.append(name) }
            }
            if !(dropping && (indent >= 2 || body.isEmpty)) { out.append(String(line)) }
        }
        // A `tables:` left with no entry is an empty mapping, not a null.
        if let i = out.firstIndex(where: { $0.hasPrefix("tables:") && $0.trimmingCharacters(in: .whitespaces) == "tables:" }),
           !out[(i + 1)...].contains(where: { $0.hasPrefix("  ") && !$0.trimmingCharacters(in: .whitespaces).hasPrefix("#") }) {
            out[i] = "tables: {}"
        }
        return (out.joined(separator: "\n"), leftOut)
    }

    /// Whether the schema text creates a table of this name (bare, quoted or schema-qualified).
    package static func creates(_ schema: String, table: String) -> Bool {
        let bare = table.split(separator: ".").last.map(String.init) ?? table
        let name = NSRegularExpression.escapedPattern(for: bare)
        let pattern = #"(?i)create\s+(?:unlogged\s+)?table\s+(?:if\s+not\s+exists\s+)?(?:[\w"]+\.)?"?"# + name + #""?[\s(]"#
        return schema.range(of: pattern, options: .regularExpression) != nil
    }
}
