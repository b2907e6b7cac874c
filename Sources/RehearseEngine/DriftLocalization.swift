import RehearseCore
import RehearseEvidence

/// A column of a drifted table as the pre-birth reference has it: its name
/// and its position in the primary key (nil outside it).
package struct DriftColumn: Sendable {
    package var name: String
    package var keyPosition: Int?
    /// The engine's spelling of the column's type, where it needs one to stage rows.
    package var type: String

    package init(name: String, keyPosition: Int?, type: String = "") {
        self.name = name
        self.keyPosition = keyPosition
        self.type = type
    }
}

/// The engine hooks of drift localization (`DriftLocalization`): each
/// engine compares the current table with the rebuilt pre-birth one in its
/// own SQL and renders keys as text; the order of the questions, what is
/// made of the answers, and the notes are written once.
///
/// The key-based questions take the primary key (in key order) and the
/// compared non-key columns; a row "differs" when it was removed or when
/// any compared column differs.
package protocol DriftLocatorHooks {
    /// The reference's columns and the current table's column names, or nil
    /// when the table cannot be found again.
    mutating func columns(of table: String) throws -> (reference: [DriftColumn], current: Set<String>)?
    /// Makes the reference rows of the columns both sides have comparable
    /// with the current ones (PostgreSQL copies them into its session).
    mutating func stage(_ table: String, common: [DriftColumn]) throws
    /// Releases what `stage` made; called whenever `stage` succeeded.
    mutating func unstage(_ table: String)
    /// Whole-row multisets (no usable key): rows only after, rows only before.
    func wholeRowDifference(_ table: String, columns: [String]) throws -> (added: Int64, removed: Int64)
    func removedCount(_ table: String, key: [String]) throws -> Int64
    func addedCount(_ table: String, key: [String]) throws -> Int64
    /// Per compared column, the rows where it differs; then the rows where any does.
    func changedCounts(_ table: String, key: [String], compared: [String]) throws -> (perColumn: [Int64], changed: Int64)
    /// The first keys (in key order) of changed rows, as text.
    func changedKeys(_ table: String, key: [String], compared: [String], limit: Int) throws -> [String]
    /// The first keys (in key order) of removed rows, as text.
    func removedKeys(_ table: String, key: [String], limit: Int) throws -> [String]
    /// The lowest and highest key of the differing rows, in the key's own order.
    func keyRange(_ table: String, key: [String], compared: [String]) throws -> (low: String, high: String)?
}

extension DriftLocatorHooks {
    package mutating func stage(_ table: String, common: [DriftColumn]) throws {}
    package mutating func unstage(_ table: String) {}
}

/// Drift localization, for every engine: each drifted table present on
/// both sides is narrowed to rows and columns; a table that cannot be
/// localized keeps its drift and says why in its note. Localization only
/// adds detail: it never removes or hides a drifted table.
package enum DriftLocalization {
    package static let sampleLimit = 5
    package static let notFoundNote = "the table could not be found again to localize its rows"
    package static func failedNote(_ error: any Error) -> String { "rows could not be localized: \(error)" }

    /// Every table the drift names on both sides, localized with the
    /// locator `make` returns; when the locator cannot even be made, every
    /// such table says so.
    /// The pipeline's start, the same on every engine: the pre-birth state
    /// is rebuilt in `reference` (a fresh scratch database the engine made
    /// beside the current one) by `rebuildPre`; only when the rebuilt data
    /// fingerprints as the recorded pre-birth state are rows compared, else
    /// every drifted table says why it was not localized.
    package static func localize<Hooks: DriftLocatorHooks>(_ drift: Drift, pre: Fingerprint, reference: ScratchEngine,
                                                           rebuildPre: (ScratchEngine) throws -> Void,
                                                           locator make: () throws -> Hooks) throws -> Drift {
        try rebuildPre(reference)
        let rebuilt = try reference.fingerprint()
        var result = drift
        guard rebuilt.tables == pre.tables else {
            for i in result.data.indices { result.data[i].note = "the pre-birth state could not be rebuilt identically, so rows were not localized" }
            return result
        }
        localize(&result, locator: make)
        return result
    }

    package static func localize<Hooks: DriftLocatorHooks>(_ drift: inout Drift, locator make: () throws -> Hooks) {
        let tables = drift.data.indices.filter { drift.data[$0].rowsBefore != nil && drift.data[$0].rowsAfter != nil }
        guard !tables.isEmpty else { return }
        var locator: Hooks
        do { locator = try make() } catch {
            for i in tables { drift.data[i].note = failedNote(error) }
            return
        }
        for i in tables { localize(&drift.data[i], with: &locator) }
    }

    /// One table. An error leaves the table as the drift found it, with a note.
    package static func localize<Hooks: DriftLocatorHooks>(_ change: inout TableChange, with locator: inout Hooks) {
        var localized = change
        do {
            try locate(&localized, with: &locator)
            change = localized
        } catch {
            change.note = failedNote(error)
        }
    }

    private static func locate<Hooks: DriftLocatorHooks>(_ change: inout TableChange, with locator: inout Hooks) throws {
        let table = change.table
        guard let (before, after) = try locator.columns(of: table) else {
            change.note = notFoundNote
            return
        }
        let common = before.filter { after.contains($0.name) }
        guard !common.isEmpty else { return }
        try locator.stage(table, common: common)
        defer { locator.unstage(table) }

        let key = before.compactMap { c in c.keyPosition.map { (c.name, $0) } }.sorted { $0.1 < $1.1 }.map(\.0)
        guard !key.isEmpty, key.allSatisfy(after.contains) else {
            change.matchedBy = "whole row (no primary key)"
            let (added, removed) = try locator.wholeRowDifference(table, columns: common.map(\.name))
            change.removed = removed
            change.added = added
            return
        }
        change.matchedBy = "primary key (\(key.joined(separator: ", ")))"
        change.removed = try locator.removedCount(table, key: key)
        change.added = try locator.addedCount(table, key: key)
        let compared = common.map(\.name).filter { !key.contains($0) }
        if compared.isEmpty {
            change.changed = 0
        } else {
            let (perColumn, changed) = try locator.changedCounts(table, key: key, compared: compared)
            for (name, n) in zip(compared, perColumn) where n > 0 { change.columns[name] = n }
            change.changed = changed
            change.sampleKeys = try locator.changedKeys(table, key: key, compared: compared, limit: sampleLimit)
        }
        if change.sampleKeys.count < sampleLimit, (change.removed ?? 0) > 0 {
            change.sampleKeys += try locator.removedKeys(table, key: key, limit: sampleLimit - change.sampleKeys.count).map { "removed " + $0 }
        }
        // The key range the differing rows span: where to look first.
        if (change.changed ?? 0) + (change.removed ?? 0) > 0, let (low, high) = try locator.keyRange(table, key: key, compared: compared) {
            change.note = TableChange.keyRangeNote(key: key, low: low, high: high)
        }
    }
}
