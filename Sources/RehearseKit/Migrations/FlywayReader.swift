import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// Flyway: `V<version>__<desc>.sql` versioned migrations, `U<version>__<desc>.sql`
/// undo files, `R__<desc>.sql` repeatables (reported, never rehearsed: they
/// have no version and no undo). Versions are compared as Flyway does: parts
/// split at `.` or `_`, each compared as a number, so 1.10 follows 1.9,
/// V001 is version 1, and trailing zero parts do not count (1.0 = 1); two
/// files of one version are refused, as Flyway refuses them.
package enum FlywayReader {
    package struct Name { var prefix: Character; var version: [Substring]; var description: String }

    package static func parse(_ file: String) -> Name? {
        guard file.hasSuffix(".sql"), let prefix = file.first, "VUR".contains(prefix),
              let sep = file.range(of: "__") else { return nil }
        let versionText = file[file.index(after: file.startIndex)..<sep.lowerBound]
        let description = String(file[sep.upperBound...].dropLast(4))
        if prefix == "R" { return versionText.isEmpty ? Name(prefix: "R", version: [], description: description) : nil }
        let parts = versionText.split(omittingEmptySubsequences: false) { $0 == "." || $0 == "_" }
        guard !parts.isEmpty, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }) else { return nil }
        return Name(prefix: prefix, version: parts, description: description)
    }

    /// Flyway's normal form of a version: parts as numbers, trailing zeros dropped.
    package static func normal(_ parts: [Substring]) -> [Substring] {
        var p = parts.map { part -> Substring in
            let d = part.drop { $0 == "0" }
            return d.isEmpty ? "0" : d
        }
        while p.count > 1, p.last == "0" { p.removeLast() }
        return p
    }

    package static func less(_ a: [Substring], _ b: [Substring]) -> Bool {
        for i in 0..<max(a.count, b.count) {
            let x = i < a.count ? a[i] : "0", y = i < b.count ? b[i] : "0"
            if x != y { return MigrationFiles.numericLess(x, y) }
        }
        return false
    }

    package static func read(_ directory: URL) throws -> MigrationSet {
        var set = MigrationSet(layout: .flyway, directory: directory, steps: [])
        let names = try MigrationFiles.list(directory)
        var versioned: [[Substring]: (Name, String)] = [:], undo: [[Substring]: String] = [:]
        var repeatables: [MigrationStep] = []
        for file in names {
            guard let n = parse(file) else {
                if file.first == "V" || file.first == "U", MigrationFiles.isCode(file) {
                    var step = MigrationStep(version: String(file.dropFirst().prefix { $0 != "_" }), name: file, up: [], down: nil)
                    step.skip = .code("\(file) is a code migration; rehearse runs SQL only")
                    repeatables.append(step)
                } else if let why = runsUnread(file) {
                    set.unread(file, why)
                } else if file.hasSuffix(".sql"), let first = file.first, "VUR".contains(first) {
                    set.unread(file, "starts like a Flyway migration but its version or description could not be read")
                } else if file.hasSuffix(".sql") {
                    set.notes.append("\(file): not a Flyway V, U or R file name; not read")
                }
                continue
            }
            let key = normal(n.version)
            switch n.prefix {
            case "R":
                var step = MigrationStep(version: "R", name: n.description, up: [], down: nil)
                step.skip = .repeatable("\(file) is a repeatable migration (re-applied whenever it changes, never undone); not rehearsed")
                repeatables.append(step)
            case "U":
                if let other = undo[key] { throw duplicate(directory, file, other) }
                undo[key] = file
            default:
                if let other = versioned[key] { throw duplicate(directory, file, other.1) }
                versioned[key] = (n, file)
            }
        }
        // Flyway scans a location's sub-folders too: a migration, callback or
        // baseline there runs, and rehearse reads the top level only (W-F4).
        for path in try MigrationFiles.nested(directory) {
            let name = String(path.split(separator: "/").last ?? "")
            if parse(name) != nil || runsUnread(name) != nil || (name.hasSuffix(".sql") && name.first.map { "VUR".contains($0) } == true) {
                set.unread(path, "in a sub-folder of the location; Flyway scans sub-folders and runs it, rehearse reads the top level only")
            }
        }
        for (key, file) in undo where versioned[key] == nil { set.unread(file, "an undo with no versioned migration") }
        for (key, (n, file)) in versioned {
            let up = MigrationScript(file: file, text: try MigrationFiles.read(directory, file))
            let down = try undo[key].map { [MigrationScript(file: $0, text: try MigrationFiles.read(directory, $0))] }
            var step = MigrationStep(version: n.version.joined(separator: "."), name: n.description, up: [up], down: down)
            try readConf(directory, file, into: &step)
            // Flyway replaces ${…} placeholders by default (${flyway:filename}
            // is V2__b.sql in the up and U2__b.sql in the undo); rehearse
            // runs the text as is, so the step is not rehearsed (W-F17).
            step.refuseText("${", "is a Flyway placeholder, which Flyway replaces before it runs the script (built-in ones differ between the V and U file); rehearse does not replace placeholders")
            MigrationScan.mark(&step)
            if case .irreversible? = step.skip, down == nil {
                step.skip = .irreversible("no undo file U\(n.version.joined(separator: "."))__*.sql: the project cannot roll this version back")
            }
            set.steps.append(step)
        }
        set.steps.sort { less(normal($0.version.split(separator: ".")), normal($1.version.split(separator: "."))) }
        set.steps += repeatables
        return set
    }

    /// A script's `.conf` (Java properties, as Flyway reads it: `=`, `:` or
    /// blank between key and value, LF, CRLF or CR line ends, `#` and `!`
    /// comments). `executeInTransaction=false` runs the script outside a
    /// transaction; any other setting (`shouldExecute`,
    /// `placeholderReplacement`, `encoding`, ...) changes what Flyway runs in
    /// a way rehearse does not implement, so the step is not rehearsable,
    /// named. A conf that cannot be read is refused, never ignored (W-F5).
    package static func readConf(_ directory: URL, _ file: String, into step: inout MigrationStep) throws {
        let name = file + ".conf"
        guard MigrationFiles.exists(directory, name) else { return }
        let conf = try MigrationFiles.read(directory, name)
        for (key, value) in MigrationLines.properties(conf) {
            let v = value.trimmingCharacters(in: .whitespaces).lowercased()
            if key.lowercased() == "executeintransaction" && (v == "false" || v == "true") {
                if v == "false" {
                    step.transactional = false
                    step.notes.append("\(name): executeInTransaction=false: the project runs it outside a transaction")
                }
            } else if step.skip == nil {
                step.skip = .notRehearsable("\(name): \(key)=\(value): a Flyway script setting rehearse does not implement (it changes what Flyway runs)")
            }
        }
    }

    /// Flyway's SQL callback events (`afterMigrate.sql`, `beforeEachUndo__x.sql`).
    package static let callbacks: Set<String> = [
        "beforemigrate", "beforerepeatables", "beforeeachmigrate", "beforeeachmigratestatement", "aftereachmigratestatement",
        "aftereachmigratestatementerror", "aftereachmigrate", "aftereachmigrateerror", "aftermigrate", "aftermigrateapplied",
        "afterversioned", "aftermigrateerror", "beforeundo", "beforeeachundo", "beforeeachundostatement", "aftereachundostatement",
        "aftereachundostatementerror", "aftereachundo", "aftereachundoerror", "afterundo", "afterundoerror", "beforeclean",
        "afterclean", "aftercleanerror", "beforeinfo", "afterinfo", "afterinfoerror", "beforevalidate", "aftervalidate",
        "aftervalidateerror", "beforebaseline", "afterbaseline", "afterbaselineerror", "beforerepair", "afterrepair",
        "afterrepairerror", "createschema", "beforecreateschema", "beforeconnect", "afterconnect"]

    /// Why a file Flyway runs is one rehearse does not (a SQL callback, a
    /// `B` baseline migration), or nil: such a file makes the walk not proven.
    package static func runsUnread(_ file: String) -> String? {
        guard file.hasSuffix(".sql") else { return nil }
        let stem = String(file.dropLast(4))
        let event = stem.range(of: "__").map { String(stem[..<$0.lowerBound]) } ?? stem
        if callbacks.contains(event.lowercased()) {
            return "a Flyway SQL callback (\(event)), which Flyway runs around migrate or undo; rehearse does not run callbacks"
        }
        if file.first == "B", let sep = file.range(of: "__"), file[file.index(after: file.startIndex)..<sep.lowerBound].first?.isNumber == true {
            return "a Flyway baseline migration, which Flyway applies in place of the versions up to it on an empty database; rehearse does not"
        }
        return nil
    }

    package static func duplicate(_ directory: URL, _ a: String, _ b: String) -> RehearseError {
        .badInput("\(directory.path): \(a) and \(b) have the same version (Flyway compares versions as numbers: V001 is V1, 1.0 is 1) and Flyway refuses the pair. Rename one.")
    }
}
