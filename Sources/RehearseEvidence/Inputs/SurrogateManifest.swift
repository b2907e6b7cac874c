import Foundation
import RehearseCore

/// The manifest of a surrogate directory (`manifest.yaml`): which files hold
/// the schema, shape profile, birth, rollback and checks, and the default seed
/// and scale. Field reference: `schemas/manifest.schema.json`.
public struct SurrogateManifest: Sendable {
    /// The surrogate's name, 1 to 128 UTF-8 bytes; part of the run folder's name.
    public var name: String
    /// Free text for people; empty when the manifest gives none.
    public var description: String
    /// The schema file, relative to the surrogate directory.
    public var schema: String
    /// The shape profile file, relative to the surrogate directory.
    public var profile: String
    /// The birth script, relative to the surrogate directory.
    public var birth: String
    /// The rollback script, relative to the surrogate directory.
    public var rollback: String
    /// The checks run after birth (`checks.after_birth`); nil when there are none.
    public var checksAfterBirth: String?
    /// The checks run after rollback (`checks.after_rollback`); nil when there are none.
    public var checksAfterRollback: String?
    /// The default seed of the generated data (1 when the manifest gives none).
    public var seed: UInt64
    /// The default factor on the profile's row counts (1 when the manifest gives none).
    public var scale: Double
    /// Whether birth and rollback run in one transaction (the default). Set
    /// `transactional: false` for statements PostgreSQL refuses inside one,
    /// such as `CREATE INDEX CONCURRENTLY`; each statement then commits alone.
    public var transactional = true
    /// PostgreSQL: run birth and rollback as the superuser rather than as the
    /// scratch database's owner (for an extension that is not trusted).
    public var postgresSuperuser = false

    /// The manifest's file name inside a surrogate directory.
    public static let fileName = "manifest.yaml"

    /// A manifest from values, unchecked; `transactional` and `postgresSuperuser` keep their defaults.
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

    package static let keys: Set<String> = ["name", "description", "schema", "profile", "birth", "rollback", "checks", "seed", "scale", "transactional", "postgres_superuser"]

    /// Parses `manifest.yaml` text; `file` names it in messages.
    /// Throws a ``RehearseError`` of code `badInput` (exit 2) on an unknown or missing key, a bad name length, a negative seed or a scale out of range.
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
        guard (1...Limits.maxSurrogateNameLength).contains(name.utf8.count) else {
            throw m["name"]!.fail("the name must be 1 to \(Limits.maxSurrogateNameLength) bytes long (it becomes part of the run folder's name), not \(name.utf8.count).")
        }
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
        if let problem = Limits.scaleProblem(scale) { throw m["scale"]!.fail("\(problem). Give a scale above 0 and at most \(Limits.grouped(Int64(Limits.maxScale))).") }
        transactional = try m["transactional"]?.bool() ?? true
        postgresSuperuser = try m["postgres_superuser"]?.bool() ?? false
    }
}
