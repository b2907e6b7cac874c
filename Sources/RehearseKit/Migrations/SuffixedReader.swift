import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// Dialect-suffixed files as gobuffalo pop and ory/popx read them:
/// `<version>_<name>[.<dialect>][.autocommit].(up|down).sql`. For each version
/// and direction the file of the rehearsal's dialect wins (`sqlite3` and
/// `sqlite` are one dialect, as are `postgres`, `postgresql` and `pg`), the
/// undialected file is the fallback, and a version with files for other
/// dialects only does not exist for this one. pop runs every version as its
/// own migration, so each version is one step, even where a project splits
/// one change into several consecutive versions. `.autocommit` files run
/// outside a transaction; `.fizz` files are pop's own DSL, not SQL: skipped.
package enum SuffixedReader {
    package struct Name { var version: Substring; var name: Substring; var dialect: String?; var autocommit: Bool; var up: Bool; var fizz: Bool }

    package static let aliases: [String: String] = ["sqlite3": "sqlite", "sqlite": "sqlite", "postgres": "postgres", "postgresql": "postgres",
                                            "pg": "postgres", "mysql": "mysql", "cockroach": "cockroach", "cockroachdb": "cockroach",
                                            "mariadb": "mysql"]

    package static func parse(_ file: String) -> Name? {
        guard let us = file.firstIndex(of: "_"), us != file.startIndex else { return nil }
        let version = file[..<us]
        guard version.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        var parts = file[file.index(after: us)...].split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 3, let ext = parts.popLast(), ext == "sql" || ext == "fizz", let dir = parts.popLast(), dir == "up" || dir == "down" else { return nil }
        var autocommit = false
        if parts.count >= 2, parts.last == "autocommit" { autocommit = true; parts.removeLast() }
        var dialect: String?
        if parts.count >= 2, let d = aliases[parts.last!.lowercased()] { dialect = d; parts.removeLast() }
        return Name(version: version, name: parts.joined(separator: ".")[...], dialect: dialect, autocommit: autocommit, up: dir == "up", fizz: ext == "fizz")
    }

    package static func read(_ directory: URL, dialect: Dialect) throws -> MigrationSet {
        var set = MigrationSet(layout: .suffixed, directory: directory, steps: [])
        let want = aliases[dialect.rawValue] ?? dialect.rawValue
        // version -> direction -> (file, parsed), the dialect's file preferred over the undialected one.
        var chosen: [Substring: [Bool: (String, Name)]] = [:]
        for file in try MigrationFiles.list(directory) {
            guard let n = parse(file) else {
                if file.hasSuffix(".sql") { set.notes.append("\(file): not named <version>_<name>[.<dialect>].(up|down).sql; not read") }
                continue
            }
            guard n.dialect == nil || n.dialect == want else { continue }
            if let existing = chosen[n.version]?[n.up] {
                // Two files of one version, direction and dialect (`.sqlite.` and
                // `.sqlite3.`, or two names): pop would run both or refuse; rehearse refuses.
                if (existing.1.dialect == nil) == (n.dialect == nil) {
                    throw RehearseError.badInput("\(directory.path): \(existing.0) and \(file) are both the \(n.up ? "up" : "down") of version \(n.version) for \(n.dialect ?? "every dialect"). Remove or renumber one.")
                }
                if n.dialect == nil { continue }
            }
            chosen[n.version, default: [:]][n.up] = (file, n)
        }
        // pop (filepath.Walk) and popx (fs.WalkDir) read sub-folders too (W-F4).
        for path in try MigrationFiles.nested(directory) {
            if let n = parse(String(path.split(separator: "/").last ?? "")), n.dialect == nil || n.dialect == want {
                set.unread(path, "in a sub-folder; pop walks sub-folders and runs it, rehearse reads the top level only")
            }
        }
        for (version, files) in chosen {
            guard let (upFile, upName) = files[true] else {
                set.unread(files[false]!.0, "a down with no up for \(want)")
                continue
            }
            var step = MigrationStep(version: String(version), name: String(upName.name), up: [], down: nil)
            if upName.fizz || files[false]?.1.fizz == true {
                step.skip = .code("\(upName.fizz ? upFile : files[false]!.0) is a fizz migration (pop's DSL, not SQL); not rehearsed")
                set.steps.append(step)
                continue
            }
            step.up = [MigrationScript(file: upFile, text: try MigrationFiles.read(directory, upFile))]
            step.down = try files[false].map { [MigrationScript(file: $0.0, text: try MigrationFiles.read(directory, $0.0))] }
            if upName.autocommit || files[false]?.1.autocommit == true {
                step.transactional = false
                step.notes.append(".autocommit: the project runs it outside a transaction")
            }
            // pop renders every SQL migration as a Go template first (W-F21).
            step.refuseText("{{", "is Go template syntax; pop renders each migration as a template before it runs it, and rehearse does not")
            MigrationScan.mark(&step)
            set.steps.append(step)
        }
        set.steps.sort { MigrationFiles.numericLess(Substring($0.version), Substring($1.version)) }
        return set
    }
}
