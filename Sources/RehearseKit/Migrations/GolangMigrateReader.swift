import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// golang-migrate: `<version>_<name>.up.sql` and `<version>_<name>.down.sql`,
/// versions compared as unsigned numbers (as golang-migrate parses them).
/// A `<version>_<name>.go` beside them is a code migration: reported, skipped.
package enum GolangMigrateReader {
    package struct Name { var version: Substring; var name: Substring; var up: Bool }

    package static func parse(_ file: String) -> Name? {
        guard let us = file.firstIndex(of: "_") else { return nil }
        let version = file[..<us]
        guard !version.isEmpty, version.allSatisfy(\.isASCII), version.allSatisfy(\.isNumber) else { return nil }
        let rest = file[file.index(after: us)...]
        for (suffix, up) in [(".up.sql", true), (".down.sql", false)] where rest.hasSuffix(suffix) {
            return Name(version: version, name: rest.dropLast(suffix.count), up: up)
        }
        return nil
    }

    /// golang-migrate's file-name rule: digits, `_`, then `.up.` or `.down.` and any extension.
    package static func runnerWouldRead(_ file: String) -> Bool {
        guard let us = file.firstIndex(of: "_"), us != file.startIndex, file[..<us].allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
        let rest = file[file.index(after: us)...]
        return rest.range(of: ".up.") != nil || rest.range(of: ".down.") != nil
    }

    package static func read(_ directory: URL) throws -> MigrationSet {
        let names = try MigrationFiles.list(directory)
        var ups: [Substring: (String, String)] = [:], downs: [Substring: String] = [:]
        var set = MigrationSet(layout: .golangMigrate, directory: directory, steps: [])
        var codeSteps: [MigrationStep] = []
        for file in names {
            if let n = parse(file) {
                // golang-migrate refuses two files for one version and direction;
                // picking one would rehearse a file the project may never run.
                let key = Substring(String(n.version.drop { $0 == "0" }))
                if let other = n.up ? ups[key]?.1 : downs[key] {
                    throw RehearseError.badInput("\(directory.path): \(other) and \(file) are both the \(n.up ? "up" : "down") of version \(n.version); golang-migrate refuses the pair. Remove or renumber one.")
                }
                if n.up { ups[key] = (String(n.name), file) } else { downs[key] = file }
            } else if MigrationFiles.isCode(file), let us = file.firstIndex(of: "_"), file[..<us].allSatisfy(\.isNumber), us != file.startIndex {
                var step = MigrationStep(version: String(file[..<us]), name: String(file[file.index(after: us)...]), up: [], down: nil)
                step.skip = .code("\(file) is a code migration; rehearse runs SQL only")
                codeSteps.append(step)
            } else if runnerWouldRead(file) {
                // golang-migrate's own rule, `^([0-9]+)_(.*)\.(down|up)\.(.*)$`,
                // takes any extension (`.up.SQL`, `.up.txt`).
                set.unread(file, "named like a golang-migrate migration with an extension other than .sql")
            } else if file.hasSuffix(".sql") {
                set.notes.append("\(file): not named <version>_<name>.up.sql or .down.sql; not read")
            }
        }
        for (version, file) in downs where ups[version] == nil {
            set.unread(file, "a down with no up")
        }
        var steps = codeSteps
        for (version, (name, upFile)) in ups {
            let up = MigrationScript(file: upFile, text: try MigrationFiles.read(directory, upFile))
            let down = try downs[version].map { [MigrationScript(file: $0, text: try MigrationFiles.read(directory, $0))] }
            var step = MigrationStep(version: String(upFile.prefix { $0 != "_" }), name: name, up: [up], down: down)
            _ = version
            MigrationScan.mark(&step)
            steps.append(step)
        }
        set.steps = steps.sorted { MigrationFiles.numericLess(Substring($0.version), Substring($1.version)) }
        return set
    }
}
