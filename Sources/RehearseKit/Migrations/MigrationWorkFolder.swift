import Foundation
import RehearseCore
import RehearseEvidence
import RehearseValidator
import RehearseSurrogate
import RehearseEngine
import RehearseSQLite
import RehearsePostgres

/// A private temporary folder (0700, removed at the end and on interruption)
/// holding one surrogate directory per step: the manifest, the schema before
/// the step, the profile, the up as birth and the down as rollback. The run
/// folder seals copies of all of them under `inputs/`.
package final class MigrationWorkFolder {
    package let url: URL

    package init(parent: URL?) throws {
        let base = (parent ?? FileManager.default.temporaryDirectory).appendingPathComponent("rehearse-migrations-XXXXXX").path
        var template = Array(base.utf8CString)
        guard let made = mkdtemp(&template) else {
            throw RehearseError.environment("Cannot create a temporary folder under \((parent ?? FileManager.default.temporaryDirectory).path): \(String(cString: strerror(errno))). Check that it exists and is writable.")
        }
        url = URL(fileURLWithPath: String(cString: made))
        Interruption.register(url, keep: false)
    }

    package func remove() {
        try? FileManager.default.removeItem(at: url)
        Interruption.unregister(url)
    }

    /// The manifest of one step's surrogate: the validator requires a step's
    /// sealed manifest to be exactly this for the walk's settings (W-F2).
    package static func manifest(label: String, seed: String, transactional: Bool, superuser: Bool) -> String {
        """
        # Written by rehearse migrations for one step: the schema is the
        # earlier migrations' ups, birth the step's up, rollback its down.
        name: \(label)
        schema: schema.sql
        profile: profile.yaml
        birth: birth.sql
        rollback: rollback.sql
        seed: \(seed)
        scale: 1
        transactional: \(transactional)
        postgres_superuser: \(superuser)

        """
    }

    /// Writes one step's surrogate directory and returns it.
    package func surrogate(label: String, schema: String, profile: String, birth: String, rollback: String, seed: UInt64,
                   transactional: Bool, superuser: Bool) throws -> URL {
        let dir = url.appendingPathComponent(label)
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let manifest = Self.manifest(label: label, seed: String(seed), transactional: transactional, superuser: superuser)
            for (name, text) in [("manifest.yaml", manifest), ("schema.sql", schema), ("profile.yaml", profile),
                                 ("birth.sql", birth), ("rollback.sql", rollback)] {
                try Data(text.utf8).write(to: dir.appendingPathComponent(name))
            }
        } catch {
            throw RehearseError.environment("Cannot write the step's surrogate under \(dir.path): \(SystemErrorText.describe(error)). Check the disk and the folder's permissions.")
        }
        return dir
    }
}
