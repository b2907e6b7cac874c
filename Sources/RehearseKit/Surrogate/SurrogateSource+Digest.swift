/// The surrogate's tag, written into the database and every evidence file.
/// No output may drop or alter it.
public enum SurrogateTag {
    public static let generated = "GENERATED_SURROGATE_NOT_REAL_PRODUCTION_DUMP"
    /// The table that carries the tag inside a surrogate database.
    public static let provenanceTable = "rehearse_provenance"
}

extension SurrogateSource {
    /// What determines the generated data: generator version, schema and
    /// profile bytes. Birth, rollback and checks are digested separately so
    /// changing them does not change the surrogate.
    public func specDigest(dialect: String) throws -> String {
        let schema = try script(manifest.schema, dialect: dialect)
        let profileDigest = try read(manifest.profile, key: "profile", dialect: dialect).sha256
        var spec: JSONValue = [
            "generator": .string(SurrogatePlan.generatorVersion),
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

    public func loadProfile(dialect: String) throws -> ShapeProfile {
        let profile = try read(manifest.profile, key: "profile", dialect: dialect)
        return try ShapeProfile(parsing: InputText.decode(profile.bytes, file: profile.display), file: profile.display)
    }
}

/// A scale as people and evidence write it: `1`, `0.5`, `12.25`, always a
/// plain decimal (`0.00001`, never `1e-05`): the validator accepts no
/// exponent (rule R15). The digits are Swift's shortest round-trip ones.
public func describeScale(_ scale: Double) -> String {
    if scale == scale.rounded() && abs(scale) < 1e15 { return String(Int64(scale)) }
    let text = String(scale)
    guard scale.isFinite, let e = text.firstIndex(where: { $0 == "e" }), let exponent = Int(text[text.index(after: e)...]) else { return text }
    var mantissa = text[..<e]
    let sign = mantissa.hasPrefix("-") ? "-" : ""
    if !sign.isEmpty { mantissa = mantissa.dropFirst() }
    let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
    let digits = String(parts[0]) + (parts.count > 1 ? String(parts[1]) : "")
    let point = parts[0].count + exponent
    var plain = point <= 0 ? "0." + String(repeating: "0", count: -point) + digits
        : point >= digits.count ? digits + String(repeating: "0", count: point - digits.count)
        : String(digits.prefix(point)) + "." + String(digits.dropFirst(point))
    if plain.contains(".") {
        while plain.hasSuffix("0") { plain.removeLast() }
        if plain.hasSuffix(".") { plain.removeLast() }
    }
    return sign + plain
}

/// What a load put into the scratch database.
public struct LoadRecord: Sendable {
    public var rowsPerTable: [String: Int64]
    public var totalRows: Int64
    public var specDigest: String
    public var seed: UInt64
    public var scale: Double
    /// Roles a PostgreSQL schema file named and what stands for each in the
    /// scratch cluster: `scratch owner` (mapped), `created NOLOGIN` or
    /// `existing` (PgDumpSchemaPlan); recorded as evidence `source.roles`.
    public var roles: [String: String] = [:]
}
