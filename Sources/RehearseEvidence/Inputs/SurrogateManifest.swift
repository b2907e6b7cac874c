import Foundation
import RehearseCore

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

    package static let keys: Set<String> = ["name", "description", "schema", "profile", "birth", "rollback", "checks", "seed", "scale", "transactional", "postgres_superuser"]

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
