import RehearseCore
import RehearseEvidence

extension SurrogateSource {
    /// What determines the generated data: generator version, schema and
    /// profile bytes. Birth, rollback and checks are digested separately so
    /// changing them does not change the surrogate.
    public func specDigest(dialect: Dialect) throws -> String {
        let schema = try script(manifest.schema, dialect: dialect)
        let profileDigest = try read(manifest.profile, key: "profile", dialect: dialect).sha256
        var spec: JSONValue = [
            "generator": .string(generator),
            "schema_sha256": .string(schema.sha256),
            "profile_sha256": .string(profileDigest),
        ]
        // Targeting reads the birth: the same schema and profile with another
        // birth can give other rows, so then the birth is part of the spec.
        if try loadProfile(dialect: dialect).edgeCases.targeting {
            spec = spec.with("birth_sha256", .string(try script(manifest.birth, dialect: dialect).sha256))
            spec = spec.with("rollback_sha256", .string(try script(manifest.rollback, dialect: dialect).sha256))
        }
        return Digest.sha256Hex(spec.canonicalBytes)
    }

    package func loadProfile(dialect: Dialect) throws -> ShapeProfile {
        let profile = try read(manifest.profile, key: "profile", dialect: dialect)
        var shape = try ShapeProfile(parsing: InputText.decode(profile.bytes, file: profile.display), file: profile.display)
        if !SurrogatePlan.sweeps(generator) { shape.edgeCases.sweep = false }
        return shape
    }
}
