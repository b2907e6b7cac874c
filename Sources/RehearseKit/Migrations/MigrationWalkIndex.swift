import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// `walk.json`: the walk's own record, beside `steps/<label>/` (one sealed
/// run folder per rehearsed step) and `verify/` (Sqitch verify scripts as
/// run). It lists every step in order (rehearsed or not, with why), what
/// re-birth found (the re-born fingerprint, to compare with the step's
/// evidence), and the walk's exit status. The walk folder's `SEAL.sha256`
/// covers every file under it, the step folders' own seals included.
package enum MigrationWalkIndex {
    /// v2 records the directory's inventory (and seals the files read), binds
    /// each step to its run folder's digests, and is signable; v1 did none of
    /// these and is refused by the validator.
    package static let format = "https://rehearse.dev/migrations-walk/v2"
    package static let formatV1 = "https://rehearse.dev/migrations-walk/v1"
    /// A step run folder's own record of re-birth and verify.
    package static let stepRecordFile = "walk-step.json"
    package static let stepRecordFormat = "https://rehearse.dev/migrations-walk-step/v1"
    package static let preludeFile = "prelude.sql"
    package static let baselineFile = "baseline.sql"
    /// The profile the walk was given (or its default), sealed with the walk:
    /// each step's profile is this one filtered for the step's schema.
    package static let profileFile = "profile.yaml"

    package static func json(_ walk: MigrationWalkResult, inventory: [MigrationInventory.Entry], prelude: MigrationScript?, baseline: MigrationScript?, profile: String, options: MigrationWalk.Options) -> JSONValue {
        [
            "format": .string(format),
            "tool": ["name": "rehearse", "version": .string(RehearseVersion.current)],
            "layout": .string(walk.layout.rawValue),
            "directory": .string(walk.directory),
            "dialect": .string(walk.dialect.rawValue),
            "mode": .string(walk.mode),
            "from": options.from.map { .string($0) } ?? .null,
            "to": options.to.map { .string($0) } ?? .null,
            "seed": .integer(Int64(clamping: options.seed)),
            "rows": options.profile == nil ? .integer(options.rows) : .null,
            "profile": ["file": .string(options.profile?.lastPathComponent ?? "(default)"), "sha256": .string(Digest.sha256Hex(Data(profile.utf8)))],
            "postgres_superuser": .bool(options.postgresSuperuser),
            "prelude": prelude.map { ["file": .string($0.file), "sha256": .string(Digest.sha256Hex(Data($0.text.utf8)))] } ?? .null,
            "inventory": MigrationInventory.json(inventory),
            "baseline": baseline.map { ["file": .string($0.file), "sha256": .string(Digest.sha256Hex(Data($0.text.utf8)))] } ?? .null,
            "notes": .array(walk.notes.map { .string($0) }),
            "steps": .array(walk.steps.map(\.json)),
            "summary": .string(walk.summary),
            "exit_status": .integer(Int64(walk.exitStatus)),
        ]
    }

    package static func write(_ walk: MigrationWalkResult, inventory: [MigrationInventory.Entry], prelude: MigrationScript?, baseline: MigrationScript?, profile: String, options: MigrationWalk.Options, to folder: URL) throws {
        let value = json(walk, inventory: inventory, prelude: prelude, baseline: baseline, profile: profile, options: options)
        do {
            // The prelude as applied, sealed with the walk (its digest is in walk.json).
            if let prelude { try Data(prelude.text.utf8).write(to: folder.appendingPathComponent(preludeFile)) }
            if let baseline { try Data(baseline.text.utf8).write(to: folder.appendingPathComponent(baselineFile)) }
            try Data(profile.utf8).write(to: folder.appendingPathComponent(profileFile))
            try Data(value.canonicalBytes).write(to: folder.appendingPathComponent(MigrationWalk.indexFile), options: .atomic)
        } catch {
            throw RehearseError.environment("Cannot write \(folder.appendingPathComponent(MigrationWalk.indexFile).path): \(SystemErrorText.describe(error)).")
        }
        try Seal.write(directory: folder)
    }
}
