import Foundation

/// The manifest of a surrogate directory (`manifest.yaml`): which files hold
/// the schema, shape profile, birth, rollback and checks, and the default seed
/// and scale. Field reference: `schemas/manifest.schema.json`.
public struct SurrogateManifest: Sendable {
    public var name: String
    public var description: String
    public var schema: String
    public var profile: String
    public var birth: String
    public var rollback: String
    public var checksAfterBirth: String?
    public var checksAfterRollback: String?
    public var seed: UInt64
    public var scale: Double
    /// Whether birth and rollback run in one transaction (the default). Set
    /// `transactional: false` for statements PostgreSQL refuses inside one,
    /// such as `CREATE INDEX CONCURRENTLY`; each statement then commits alone.
    public var transactional = true
    /// PostgreSQL: run birth and rollback as the superuser rather than as the
    /// scratch database's owner (for an extension that is not trusted).
    public var postgresSuperuser = false

    public static let fileName = "manifest.yaml"

    public init(name: String, description: String = "", schema: String, profile: String, birth: String, rollback: String,
                checksAfterBirth: String? = nil, checksAfterRollback: String? = nil, seed: UInt64 = 1, scale: Double = 1) {
        self.name = name
        self.description = description
        self.schema = schema
        self.profile = profile
        self.birth = birth
        self.rollback = rollback
        self.checksAfterBirth = checksAfterBirth
        self.checksAfterRollback = checksAfterRollback
        self.seed = seed
        self.scale = scale
    }

    static let keys: Set<String> = ["name", "description", "schema", "profile", "birth", "rollback", "checks", "seed", "scale", "transactional", "postgres_superuser"]

    public init(parsing text: String, file: String) throws {
        let root = try YAMLNode.load(text: text, file: file)
        let m = try root.members(allowed: Self.keys)
        func required(_ key: String) throws -> YAMLNode {
            guard let v = m[key] else {
                throw root.fail("the required key '\(key)' is missing. Add it; see schemas/manifest.schema.json.")
            }
            return v
        }
        name = try required("name").string()
        description = try m["description"]?.string() ?? ""
        schema = try required("schema").string()
        profile = try required("profile").string()
        birth = try required("birth").string()
        rollback = try required("rollback").string()
        if let checks = m["checks"] {
            let c = try checks.members(allowed: ["after_birth", "after_rollback"])
            checksAfterBirth = try c["after_birth"]?.string()
            checksAfterRollback = try c["after_rollback"]?.string()
        }
        let seedValue = try m["seed"]?.int() ?? 1
        guard seedValue >= 0 else { throw m["seed"]!.fail("the seed must be zero or more.") }
        seed = UInt64(seedValue)
        scale = try m["scale"]?.double() ?? 1
        guard scale > 0 else { throw m["scale"]!.fail("the scale must be greater than zero.") }
        transactional = try m["transactional"]?.bool() ?? true
        postgresSuperuser = try m["postgres_superuser"]?.bool() ?? false
    }
}

/// A surrogate directory, resolved: its manifest and the files it names.
public struct SurrogateSource: Sendable {
    public var directory: URL
    public var manifest: SurrogateManifest

    public init(directory: URL, manifest: SurrogateManifest) {
        self.directory = directory
        self.manifest = manifest
    }

    /// Loads `DIR/manifest.yaml`.
    public init(directory: URL) throws {
        let manifestURL = directory.appendingPathComponent(SurrogateManifest.fileName)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDir), isDir.boolValue else {
            throw RehearseError.badInput("\(directory.path): no such surrogate directory. Give a bundled surrogate's name or a directory holding a \(SurrogateManifest.fileName).")
        }
        guard let data = FileManager.default.contents(atPath: manifestURL.path) else {
            throw RehearseError.badInput("\(manifestURL.path): the manifest is missing. A surrogate directory needs a \(SurrogateManifest.fileName); see surrogates/commerce for an example.")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw RehearseError.badInput("\(manifestURL.path): the manifest is not valid UTF-8.")
        }
        self.directory = directory
        self.manifest = try SurrogateManifest(parsing: text, file: manifestURL.path)
    }

    /// The file to use for `name` on an engine: `birth.sqlite.sql` wins over
    /// `birth.sql` when the engine is `sqlite`.
    public func file(_ name: String, dialect: String) -> (url: URL, display: String) {
        let base = directory.appendingPathComponent(name)
        let ext = base.pathExtension
        if !ext.isEmpty {
            let variantName = (name as NSString).deletingPathExtension + ".\(dialect).\(ext)"
            let variant = directory.appendingPathComponent(variantName)
            if FileManager.default.fileExists(atPath: variant.path) { return (variant, variantName) }
        }
        return (base, name)
    }

    public func script(_ name: String, dialect: String) throws -> SQLScript {
        let (url, display) = file(name, dialect: dialect)
        return try SQLScript(url: url, displayPath: display)
    }

    /// Finds a surrogate by name or path. A value with a `/`, or naming an
    /// existing directory, is a path; otherwise it is a bundled name looked up
    /// in `$REHEARSE_SURROGATES_PATH`, `./surrogates`, and beside the executable.
    public static func locate(_ nameOrPath: String, executable: URL? = nil) throws -> SurrogateSource {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if nameOrPath.contains("/") || (fm.fileExists(atPath: nameOrPath, isDirectory: &isDir) && isDir.boolValue) {
            return try SurrogateSource(directory: URL(fileURLWithPath: nameOrPath).standardizedFileURL)
        }
        let roots = searchRoots(executable: executable)
        for root in roots {
            let dir = root.appendingPathComponent(nameOrPath)
            if fm.fileExists(atPath: dir.appendingPathComponent(SurrogateManifest.fileName).path) {
                return try SurrogateSource(directory: dir.standardizedFileURL)
            }
        }
        let known = Set(roots.flatMap { root in
            ((try? fm.contentsOfDirectory(atPath: root.path)) ?? []).filter {
                fm.fileExists(atPath: root.appendingPathComponent($0).appendingPathComponent(SurrogateManifest.fileName).path)
            }
        }).sorted()
        let listed = known.isEmpty ? "none were found" : known.joined(separator: ", ")
        throw RehearseError.badInput("Unknown surrogate '\(nameOrPath)'. Known surrogates: \(listed) (looked in \(roots.map(\.path).joined(separator: ", "))). Give one of those names, or a path to a directory holding a \(SurrogateManifest.fileName).")
    }

    static func searchRoots(executable: URL?) -> [URL] {
        // Binary-relative share dir, then $REHEARSE_SURROGATES_PATH, then ./surrogates (Support/Resources.swift).
        Resources.surrogateSearchRoots(executable: executable)
    }
}
