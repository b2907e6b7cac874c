import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// dbmate: one `<version>_<name>.sql` per migration holding a
/// `-- migrate:up` section and a `-- migrate:down` section; an option after
/// the marker (`-- migrate:up transaction:false`) runs that section outside a
/// transaction. Versions are the leading digits, as strings; migrations run
/// in file-name order (dbmate sorts its files by name, so `10_a.sql` runs
/// before `9_b.sql`, and `02_b` and `2_a` are two versions).
package enum DbmateReader {
    package static func sectionMarker(in text: String) -> Bool {
        MigrationLines.split(text).contains { marker($0) != nil }
    }

    /// `(up, options)` for a marker line, nil for any other line. dbmate's
    /// own pattern is `^--\s*migrate:up` anchored at the line's start: an
    /// indented marker is an ordinary comment to dbmate, so it is one here
    /// (reading it as a marker would rehearse a down dbmate never runs).
    package static func marker(_ line: Substring) -> (up: Bool, options: String)? {
        // Go splits at LF and the pattern's `\s` takes the CR of a CRLF end.
        var t = MigrationLines.content(line)
        guard t.hasPrefix("--") else { return nil }
        t = t.dropFirst(2).drop { $0 == " " || $0 == "\t" }
        for (word, up) in [("migrate:up", true), ("migrate:down", false)] where t.hasPrefix(word) {
            let rest = t.dropFirst(word.count)
            guard rest.isEmpty || rest.first == " " || rest.first == "\t" || rest.first == "\r" else { return nil }
            return (up, rest.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return nil
    }

    package static func read(_ directory: URL) throws -> MigrationSet {
        var set = MigrationSet(layout: .dbmate, directory: directory, steps: [])
        for file in try MigrationFiles.list(directory) {
            guard let us = file.firstIndex(of: "_"), us != file.startIndex, file[..<us].allSatisfy({ $0.isASCII && $0.isNumber }) else {
                // dbmate's own rule is `^(\d+).*\.sql$`: `2.sql` and `3-b.sql` are migrations to it.
                if file.hasSuffix(".sql"), file.first?.isNumber == true, file.first?.isASCII == true {
                    set.unread(file, "dbmate applies every <digits>….sql file; rehearse reads <version>_<name>.sql")
                } else if file.hasSuffix(".sql") {
                    set.notes.append("\(file): not named <version>_<name>.sql; not read")
                }
                continue
            }
            if MigrationFiles.isCode(file) {
                var step = MigrationStep(version: String(file[..<us]), name: String(file[file.index(after: us)...]), up: [], down: nil)
                step.skip = .code("\(file) is a code migration; rehearse runs SQL only")
                set.steps.append(step)
                continue
            }
            guard file.hasSuffix(".sql") else { continue }
            let text = try MigrationFiles.read(directory, file)
            let name = String(file[file.index(after: us)...].dropLast(4))
            set.steps.append(try split(text, file: file, version: String(file[..<us]), name: name))
        }
        // dbmate's order: file names compared byte by byte, as Go compares strings.
        set.steps.sort { ($0.files.first ?? $0.version + "_" + $0.name).utf8.lexicographicallyPrecedes(($1.files.first ?? $1.version + "_" + $1.name).utf8) }
        // Two files of one version: dbmate records versions by their digits, so
        // once one is applied the other counts as applied and never runs.
        var seen: [String: String] = [:]
        for step in set.steps {
            let file = step.files.first ?? step.name
            if let other = seen[step.version] {
                throw RehearseError.badInput("\(directory.path): \(other) and \(file) have the same version \(step.version); dbmate would apply only the first and count the second as applied. Renumber one.")
            }
            seen[step.version] = file
        }
        let versions = set.steps.map(\.version)
        if zip(versions, versions.dropFirst()).contains(where: { MigrationFiles.numericLess(Substring($1), Substring($0)) }) {
            set.notes.append("versions of different lengths: dbmate applies files in name order (\(versions.prefix(6).joined(separator: ", "))\(versions.count > 6 ? ", …" : "")), which is not numeric order; the walk follows dbmate")
        }
        return set
    }

    /// Splits a dbmate file into its up and down sections, each keeping the
    /// file line it starts on.
    package static func split(_ text: String, file: String, version: String, name: String) throws -> MigrationStep {
        let lines = MigrationLines.split(text)
        if let n = MigrationLines.loneCR(text) {
            throw RehearseError.badInput("\(file):\(n): a carriage return (CR) inside the line, not before its line feed. dbmate splits at LF only and rehearse does not guess what the line then holds; save the file with LF (or CRLF) line ends.")
        }
        var up: (start: Int, end: Int, options: String)?
        var down: (start: Int, end: Int, options: String)?
        var current: Bool?
        for (i, line) in lines.enumerated() {
            if let m = marker(line) {
                if m.up ? up != nil : down != nil {
                    throw RehearseError.badInput("\(file):\(i + 1): a second -- migrate:\(m.up ? "up" : "down") section. dbmate files hold one of each; split the file.")
                }
                if current == true { up!.end = i } else if current == false { down!.end = i }
                if m.up { up = (i + 1, lines.count, m.options) } else { down = (i + 1, lines.count, m.options) }
                current = m.up
            }
        }
        guard let up else {
            throw RehearseError.badInput("\(file): no -- migrate:up section. dbmate runs nothing without one; add the marker line before the up statements.")
        }
        // dbmate refuses a statement before the first marker
        // ("statements defined outside of the '-- migrate:up' or
        // '-- migrate:down' blocks"): only blank and `--` lines may precede it.
        let first = min(up.start, down?.start ?? up.start) - 1
        for (i, line) in lines[..<first].enumerated() {
            let t = line.drop { $0.isWhitespace || $0 == "\u{0B}" || $0 == "\u{0C}" }
            if t.isEmpty || t.hasPrefix("--") { continue }
            throw RehearseError.badInput("\(file):\(i + 1): a statement before the first -- migrate: marker. dbmate refuses such a file (statements outside the up and down blocks); move it into a section.")
        }
        func section(_ r: (start: Int, end: Int, options: String)) -> MigrationScript {
            MigrationScript(file: file, line: r.start + 1, text: lines[r.start..<r.end].joined(separator: "\n"))
        }
        var step = MigrationStep(version: version, name: name, up: [section(up)], down: down.map { [section($0)] })
        for option in (up.options + " " + (down?.options ?? "")).split(separator: " ") where option.lowercased() == "transaction:false" {
            step.transactional = false
        }
        if !step.transactional { step.notes.append("transaction:false: the project runs it outside a transaction") }
        MigrationScan.mark(&step)
        return step
    }
}
