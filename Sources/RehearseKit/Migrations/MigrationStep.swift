import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// A piece of a migration script: a whole file, or one section of a file
/// (a dbmate `-- migrate:up` part). `line` is the file line the text starts
/// on, so a failure inside the text is reported at the file's own line.
package struct MigrationScript: Sendable, Equatable {
    /// Path relative to the migrations directory, as reports show it.
    package var file: String
    package var line: Int
    package var text: String

    package init(file: String, line: Int = 1, text: String) {
        self.file = file
        self.line = line
        self.text = text
    }

    /// Whether the text holds no statement at all (only comments and blanks),
    /// split by the rules of the engine the walk runs on
    /// (``MigrationScan/dialect``): SQLite does not nest block comments, so
    /// `/* a /* b */ UPDATE t …; -- */` runs an UPDATE there and is a
    /// placeholder only to PostgreSQL. With no engine set, the text is empty
    /// only when both engines' splitters find no statement (issue 13, W-F12).
    package var isEmpty: Bool {
        switch MigrationScan.dialect {
        case .sqlite?: MigrationScan.statements(text, dialect: .sqlite).isEmpty
        case .postgres?: PostgresScript.statements(of: text).isEmpty
        case nil: PostgresScript.statements(of: text).isEmpty && MigrationScan.statements(text, dialect: .sqlite).isEmpty
        }
    }
}

/// One migration of a directory, as its project's runner sees it: a version,
/// its up, its down (nil when the project ships none) and what a walk must
/// say about it instead of rehearsing it (``skip``).
package struct MigrationStep: Sendable {
    /// Why a step is reported and not rehearsed.
    package enum Skip: Sendable, Equatable {
        /// No down (or a down with no statement) for an up that does something.
        case irreversible(String)
        /// Written in code (Go, Java, Ruby, ...): rehearse runs SQL only.
        case code(String)
        /// A Flyway `R__` repeatable: re-run on change, no version, no undo.
        case repeatable(String)
        /// A psql meta-command or the like that rehearse never runs.
        case notRehearsable(String)
        /// Up and down hold no statement (a placeholder).
        case empty(String)
        /// A file the project's own runner would apply (its file-name rule
        /// matches) but rehearse does not read: the walk cannot say it
        /// rehearsed everything, so it is never all-passed.
        case unread(String)

        package var status: String {
            switch self {
            case .irreversible: "IRREVERSIBLE"
            case .code, .repeatable, .empty, .unread: "SKIPPED"
            case .notRehearsable: "NOT_REHEARSABLE"
            }
        }

        package var reason: String {
            switch self {
            case .irreversible(let s), .code(let s), .repeatable(let s), .notRehearsable(let s), .empty(let s), .unread(let s): s
            }
        }
    }

    package var version: String
    package var name: String
    package var up: [MigrationScript]
    package var down: [MigrationScript]?
    /// A script that must succeed after the up (Sqitch `verify/`).
    package var verify: MigrationScript?
    /// False for migrations the project runs outside a transaction (dbmate
    /// `transaction:false`, pop `.autocommit`, Flyway `executeInTransaction=false`,
    /// a CONCURRENTLY statement).
    package var transactional = true
    /// Whether the project's runner wraps each migration in a transaction of
    /// its own (dbmate, Flyway, pop, golang-migrate's SQLite driver); Sqitch
    /// runs a script as it is. A script's own `BEGIN` then opens a
    /// transaction inside the runner's, which SQLite refuses.
    package var runnerWraps = true
    package var skip: Skip?
    /// What a reader changed or noticed, shown on the step's line.
    package var notes: [String] = []

    package init(version: String, name: String, up: [MigrationScript], down: [MigrationScript]?) {
        self.version = version
        self.name = name
        self.up = up
        self.down = down
    }

    /// Every file the step reads, for reports.
    package var files: [String] {
        var seen: [String] = []
        for s in up + (down ?? []) + (verify.map { [$0] } ?? []) where !seen.contains(s.file) { seen.append(s.file) }
        return seen
    }

    /// Classifies an ordinary step: irreversible when the down is missing or
    /// empty while the up does something; empty when neither does anything.
    /// Marks the step not rehearsable when one of its scripts holds
    /// `marker` (a runner's template or placeholder syntax that rehearse
    /// does not expand), naming the first file and line and why.
    package mutating func refuseText(_ marker: String, _ why: String) {
        guard skip == nil else { return }
        for script in up + (down ?? []) {
            for (i, line) in MigrationLines.split(script.text).enumerated() where line.contains(marker) {
                skip = .notRehearsable("\(script.file):\(script.line + i): `\(marker)` \(why)")
                return
            }
        }
    }

    package mutating func classify() {
        guard skip == nil else { return }
        let upEmpty = up.allSatisfy(\.isEmpty)
        let downEmpty = down?.allSatisfy(\.isEmpty) ?? true
        if upEmpty && downEmpty {
            skip = .empty("no statement in the up or the down (a placeholder); nothing to rehearse")
        } else if down == nil {
            skip = .irreversible("no down migration: the project cannot roll this version back")
        } else if downEmpty {
            skip = .irreversible("the down (\(down!.map(\.file).joined(separator: ", "))) holds no statement: the project declares this version irreversible")
        }
    }
}

/// Every step of a migrations directory in the order its runner applies them.
package struct MigrationSet: Sendable {
    /// Files the runner would apply that rehearse does not read (see ``unread(_:_:)``).
    package var unreadSteps: [MigrationStep] = []
    package var layout: MigrationLayout
    package var directory: URL
    package var steps: [MigrationStep]
    /// Files seen and not used, and other facts about the directory.
    package var notes: [String] = []

    /// Reports `file`, which the project's runner would apply but rehearse
    /// does not read, as a SKIPPED step after the others (so the walk's exit
    /// status is never 0 while it is there), with why.
    package mutating func unread(_ file: String, _ why: String) {
        let version = String(file.prefix { $0.isASCII && $0.isNumber })
        var step = MigrationStep(version: version.isEmpty ? "?" : version, name: file, up: [], down: nil)
        step.skip = .unread("\(file): \(why); the project's runner would apply it, rehearse did not read it")
        unreadSteps.append(step)
    }

}
