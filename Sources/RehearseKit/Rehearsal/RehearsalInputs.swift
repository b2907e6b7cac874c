import Foundation
import RehearseCore
import RehearseEvidence
import RehearseSurrogate

/// Every file a rehearsal reads, read ONCE, checked and digested up front.
/// The run uses these bytes (``source`` returns them instead of reading the
/// disk again) and the evidence writer seals these same bytes under
/// `inputs/`, so the file that ran and the file sealed cannot differ.
package struct RehearsalInputs: Sendable {
    package struct File: Sendable {
        package var role: String
        /// Path as the manifest names it, relative to the surrogate directory
        /// (e.g. `checks/after-birth.sql`, or `../commerce/schema.sql` to share a file).
        package var path: String
        package var sha256: String
        package var url: URL
        /// The bytes read, digested, run and sealed.
        package var bytes: Data
    }

    package var files: [File]
    package var schema: SQLScript
    package var birth: SQLScript
    package var rollback: SQLScript
    package var checksAfterBirth: SQLScript?
    package var checksAfterRollback: SQLScript?
    /// The surrogate with every input pinned to the bytes read here: loading
    /// it (and the reference load of drift localization) reads no file again.
    package var source: SurrogateSource

    /// Where a role's copy lives in the run folder: `inputs/<role>.<extension>`.
    package static func runPath(role: String, of path: String) -> String {
        EvidenceWriter.inputPath(role: role, of: path)
    }

    /// Reads and checks every input (confinement, size, bytes; see
    /// ``SurrogateSource/read(_:key:dialect:)`` and ``InputText``), then
    /// refuses a schema that carries data (``SchemaDataGuard``), all before
    /// anything is provisioned.
    package init(source: SurrogateSource, dialect: Dialect) throws {
        let m = source.manifest
        func input(_ name: String, _ key: String) throws -> InputFile { try source.read(name, key: key, dialect: dialect) }
        let manifestFile: InputFile
        if let pinned = source.manifestFile {
            manifestFile = pinned
        } else {
            // A source built in memory (no manifest read from disk): read it now, by the same rules.
            let path = (SurrogateSource.realPath(source.directory.path) ?? source.directory.path) + "/" + SurrogateManifest.fileName
            do {
                let read = try SurrogateSource.readConfined(path, display: SurrogateManifest.fileName, key: "manifest")
                _ = try InputText.decode(read.bytes, file: SurrogateManifest.fileName)
                manifestFile = InputFile(key: "manifest", display: SurrogateManifest.fileName, url: read.url, bytes: read.bytes, sha256: Digest.sha256Hex(read.bytes))
            } catch let refusal as SurrogateSource.InputRefusal {
                throw RehearseError.badInput(refusal.missing ? "\(path): the manifest is missing." : "\(path): the manifest \(refusal.message)")
            }
        }
        let schemaFile = try input(m.schema, "schema")
        let profileFile = try input(m.profile, "profile")
        let birthFile = try input(m.birth, "birth")
        let rollbackFile = try input(m.rollback, "rollback")
        let afterBirth = try m.checksAfterBirth.map { try input($0, "checks.after_birth") }
        let afterRollback = try m.checksAfterRollback.map { try input($0, "checks.after_rollback") }

        schema = try SQLScript(file: schemaFile)
        birth = try SQLScript(file: birthFile)
        rollback = try SQLScript(file: rollbackFile)
        checksAfterBirth = try afterBirth.map(SQLScript.init(file:))
        checksAfterRollback = try afterRollback.map(SQLScript.init(file:))
        try SchemaDataGuard.check(schema, dialect: dialect)

        var files: [(String, InputFile)] = [("manifest", manifestFile), ("schema", schemaFile), ("profile", profileFile),
                                            ("birth", birthFile), ("rollback", rollbackFile)]
        if let f = afterBirth { files.append(("checks_after_birth", f)) }
        if let f = afterRollback { files.append(("checks_after_rollback", f)) }
        self.files = files.map { File(role: $0.0, path: $0.1.display, sha256: $0.1.sha256, url: $0.1.url, bytes: $0.1.bytes) }
        self.source = source.pinning(files.map(\.1))
    }
}
