import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator

/// `validate WALK --against DIR`: the walk's inventory compared with a
/// migrations directory as it is now. Plain validation proves the steps are
/// those of the files the walk recorded; only this (or a signature by someone
/// who checked) ties those files to the project's real directory: a walk of a
/// copy with a lossy migration removed, genuine in every other way, is found
/// here (issue 13, attack-w13 W-F1).
package enum MigrationWalkAgainst {
    package static func check(walk: URL, directory: URL) throws -> [ValidationFinding] {
        let folder = try RunFolder(directory: walk)
        guard let index = folder.file(named: MigrationWalk.indexFile).flatMap({ try? JSONValue.parseStrict($0) }),
              let layout = index["layout"]?.stringValue.flatMap(MigrationLayout.init(rawValue:)),
              let dialect = index["dialect"]?.stringValue.flatMap(Dialect.init(rawValue:)) else {
            return [ValidationFinding(rule: "W1", path: MigrationWalk.indexFile, message: "names no layout and dialect to read \(directory.path) by")]
        }
        let recorded: [MigrationInventory.Entry]
        switch MigrationInventory.recorded(index, in: folder) {
        case .failure(let why): return [ValidationFinding(rule: "W1", path: MigrationWalk.indexFile, message: why.message)]
        case .success(let r): recorded = r.1
        }
        let log = MigrationFileLog()
        // Read as the walk read it, so the same files count as read.
        _ = try MigrationFiles.$source.withValue(.disk(log)) { try layout.read(directory, dialect: dialect) }
        let now = try MigrationInventory.take(directory, log: log)
        func key(_ e: MigrationInventory.Entry) -> String { "\(e.kind) \(e.sha256 ?? "-")" }
        let before = Dictionary(recorded.map { ($0.path, key($0)) }, uniquingKeysWith: { a, _ in a })
        let after = Dictionary(now.map { ($0.path, key($0)) }, uniquingKeysWith: { a, _ in a })
        var findings: [ValidationFinding] = []
        for path in Set(before.keys).union(after.keys).sorted() where before[path] != after[path] {
            let what = before[path] == nil ? "is in \(directory.path) but not in the walk's inventory"
                : after[path] == nil ? "is in the walk's inventory but not in \(directory.path)"
                : "differs between the walk's inventory and \(directory.path)"
            findings.append(ValidationFinding(rule: "W1", path: path, message: what + ": the walk is not a walk of this directory as it is"))
        }
        return findings
    }
}
