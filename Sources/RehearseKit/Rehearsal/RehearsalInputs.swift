import Foundation

/// Every file a rehearsal reads, loaded and digested up front. They are
/// copied into the run folder so its evidence can be checked on its own.
public struct RehearsalInputs: Sendable {
    public struct File: Sendable {
        public var role: String
        /// Path as the manifest names it, relative to the surrogate directory
        /// (e.g. `checks/after-birth.sql`, or `../commerce/schema.sql` to share a file).
        public var path: String
        public var sha256: String
        public var url: URL
    }

    public var files: [File]
    public var birth: SQLScript
    public var rollback: SQLScript
    public var checksAfterBirth: SQLScript?
    public var checksAfterRollback: SQLScript?

    /// Where a role's copy lives in the run folder: `inputs/<role>.<extension>`.
    public static func runPath(role: String, of path: String) -> String {
        let ext = (path as NSString).pathExtension
        return EvidenceWriter.inputsFolder + "/" + role + (ext.isEmpty ? "" : "." + ext)
    }

    init(source: SurrogateSource, dialect: String) throws {
        let m = source.manifest
        birth = try source.script(m.birth, dialect: dialect)
        rollback = try source.script(m.rollback, dialect: dialect)
        checksAfterBirth = try m.checksAfterBirth.map { try source.script($0, dialect: dialect) }
        checksAfterRollback = try m.checksAfterRollback.map { try source.script($0, dialect: dialect) }
        let schema = try source.script(m.schema, dialect: dialect)
        let profile = source.file(m.profile, dialect: dialect)
        guard FileManager.default.fileExists(atPath: profile.url.path) else {
            throw RehearseError.badInput("\(profile.display): the profile is missing (looked at \(profile.url.path)). Create it or fix 'profile' in the manifest.")
        }
        let manifestURL = source.directory.appendingPathComponent(SurrogateManifest.fileName)
        var files = [
            File(role: "manifest", path: SurrogateManifest.fileName, sha256: try Digest.sha256Hex(fileAt: manifestURL), url: manifestURL),
            File(role: "schema", path: schema.displayPath, sha256: schema.sha256, url: schema.url),
            File(role: "profile", path: profile.display, sha256: try Digest.sha256Hex(fileAt: profile.url), url: profile.url),
            File(role: "birth", path: birth.displayPath, sha256: birth.sha256, url: birth.url),
            File(role: "rollback", path: rollback.displayPath, sha256: rollback.sha256, url: rollback.url),
        ]
        if let c = checksAfterBirth { files.append(File(role: "checks_after_birth", path: c.displayPath, sha256: c.sha256, url: c.url)) }
        if let c = checksAfterRollback { files.append(File(role: "checks_after_rollback", path: c.displayPath, sha256: c.sha256, url: c.url)) }
        self.files = files
    }
}
