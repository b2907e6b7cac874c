import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// What one rehearsal of a walk runs: a single step (step mode) or the
/// steps k..m together (range mode), with its scripts prepared for the
/// dialect, or the reason it cannot be rehearsed there.
package struct MigrationUnit {
    package var index: Int
    package var version: String
    package var name: String
    package var files: [String]
    package var up: [MigrationScript] = []
    package var down: [MigrationScript] = []
    package var verify: [MigrationScript] = []
    package var transactional = true
    /// Whether the project's runner wraps each migration in its own transaction (``MigrationStep/runnerWraps``).
    package var runnerWraps = true
    /// The steps before this unit, whose ups make the schema it starts from.
    package var historyEnd: Int
    package var skip: MigrationStep.Skip?
    package var notes: [String] = []

    /// One step, prepared for `dialect`.
    package static func step(_ step: MigrationStep, at index: Int, dialect: Dialect) -> MigrationUnit {
        var unit = MigrationUnit(index: index, version: step.version, name: step.name, files: step.files, historyEnd: index,
                                 skip: step.skip, notes: step.notes)
        unit.transactional = step.transactional
        unit.runnerWraps = step.runnerWraps
        guard step.skip == nil else { return unit }
        unit.add(up: step.up, down: step.down ?? [], verify: step.verify, dialect: dialect)
        return unit
    }

    /// Steps `range` together: ups in order, downs in reverse.
    package static func range(_ steps: [MigrationStep], _ range: ClosedRange<Int>, dialect: Dialect) -> MigrationUnit {
        let first = steps[range.lowerBound], last = steps[range.upperBound]
        var unit = MigrationUnit(index: range.lowerBound, version: "\(first.version)..\(last.version)",
                                 name: "\(range.count) steps", files: [], historyEnd: range.lowerBound)
        var ups: [MigrationScript] = [], downs: [MigrationScript] = [], verifies: [MigrationScript] = []
        for i in range {
            let s = steps[i]
            unit.files += s.files
            unit.notes += s.notes.map { "\(s.version): \($0)" }
            if !s.transactional { unit.transactional = false }
            if !s.runnerWraps { unit.runnerWraps = false }
            switch s.skip {
            case nil:
                ups += s.up
                downs = (s.down ?? []) + downs
                if let v = s.verify { verifies.append(v) }
            case .empty?:
                continue
            case let skip?:
                if unit.skip == nil || skip.status == "IRREVERSIBLE" {
                    unit.skip = skip
                }
                unit.notes.append("\(s.version) \(s.name): \(skip.status.lowercased()): \(skip.reason)")
            }
        }
        if let skip = unit.skip {
            unit.skip = {
                switch skip {
                case .irreversible: .irreversible("the range holds a step with no usable down; see the notes")
                default: .notRehearsable("the range holds a step rehearse cannot run; see the notes")
                }
            }()
            return unit
        }
        unit.add(up: ups, down: downs, verify: nil, dialect: dialect)
        unit.verify = verifies.map { MigrationScan.prepare($0, dialect: dialect, wrapperEnds: MigrationScan.endWords.union(["rollback"])).script }
        return unit
    }

    private mutating func add(up: [MigrationScript], down: [MigrationScript], verify: MigrationScript?, dialect: Dialect) {
        var prepared: [MigrationScan.Prepared] = []
        for s in up + down { prepared.append(MigrationScan.prepare(s, dialect: dialect)) }
        if let meta = prepared.compactMap(\.metaCommand).first {
            skip = .notRehearsable(meta)
            return
        }
        notes += prepared.flatMap(\.notes)
        let own = prepared.contains(where: \.ownTransactions)
        if dialect == .sqlite {
            if own {
                skip = .notRehearsable("the script controls its own transactions (see the note); SQLite runs a rehearsal script in one transaction that it must keep open, so rehearse cannot run it there. Rehearse it on PostgreSQL (--engine postgres), where it runs statement by statement")
                return
            }
            // The runner would open the script's BEGIN inside its own
            // transaction, which SQLite refuses: the real run fails.
            if runnerWraps, let w = prepared.first(where: \.wrapped) {
                skip = .notRehearsable("\(w.script.file) wraps itself in BEGIN … COMMIT, but this layout's runner already runs each migration in a transaction, and SQLite refuses a transaction inside another (\"cannot start a transaction within a transaction\"): the runner cannot apply it on SQLite. Remove the script's own BEGIN and COMMIT")
                return
            }
            // SQLite runs a script in one transaction whatever the marker says,
            // so a step the runner runs outside one (where PRAGMA foreign_keys,
            // for one, takes effect) is not rehearsed as the runner runs it.
            if !transactional {
                skip = .notRehearsable("the layout marks this migration to run outside a transaction (see the note); on SQLite rehearse runs every script in one transaction, where some statements act differently (PRAGMA foreign_keys is ignored inside one), so it cannot rehearse the step as the runner runs it. Rehearse it on PostgreSQL (--engine postgres), or drop the marker if the migration does not need it")
                return
            }
        } else if own || prepared.contains(where: \.concurrently) || !transactional {
            transactional = false
            notes.append("run statement by statement, outside one transaction (PostgreSQL)")
        }
        self.up = Array(prepared.prefix(up.count).map(\.script))
        self.down = Array(prepared.dropFirst(up.count).map(\.script))
        if let verify {
            self.verify = [MigrationScan.prepare(verify, dialect: dialect, wrapperEnds: MigrationScan.endWords.union(["rollback"])).script]
        }
    }

    /// A name safe for folders and run IDs: `0007-20240101_add_users`.
    package var label: String {
        let raw = String(format: "%04d", index + 1) + "-" + version + "-" + name
        let safe = raw.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") ? $0 : "-" }
        return String(String(safe).prefix(80))
    }
}
