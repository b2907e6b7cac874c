import RehearseCore

/// The surrogate's tag, written into the database and every evidence file.
/// No output may drop or alter it.
package enum SurrogateTag {
    package static let generated = "GENERATED_SURROGATE_NOT_REAL_PRODUCTION_DUMP"
    /// The table that carries the tag inside a surrogate database.
    package static let provenanceTable = "rehearse_provenance"
}

/// A scale as people and evidence write it: `1`, `0.5`, `12.25`, always a
/// plain decimal (`0.00001`, never `1e-05`): the validator accepts no
/// exponent (rule R15). The digits are Swift's shortest round-trip ones.
package func describeScale(_ scale: Double) -> String {
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

/// The names a dump clone's evidence uses.
package enum DumpCloneEvidence {
    /// The tag a dump clone carries instead of the surrogate's.
    package static let tag = "REAL_DUMP_CLONE"
    /// The run folder file holding the exact grant bytes, sealed with the run,
    /// so `validate --trust` can re-verify its signatures.
    package static let grantFile = "grant.dsse.json"
}
