import Crypto
import RehearseCore

/// The rows of the provenance table a surrogate carries. The loader writes
/// them; the validator recomputes their digest from the evidence, which binds
/// the pre-birth fingerprint to the tag, spec digest and seed the evidence
/// claims: fingerprints copied from another run, or a tag edited in either
/// place, no longer match.
package enum SurrogateProvenance {
    package static func rows(specDigest: String, seed: String, scale: String, generator: String, name: String) -> [(key: String, value: String)] {
        [("tag", SurrogateTag.generated), ("spec_digest", specDigest), ("seed", seed),
         ("scale", scale), ("generator", generator), ("surrogate", name)]
    }

    /// The table fingerprint those rows must have (columns `key`, `value`,
    /// both text) in a given engine's fingerprint.
    package static func expectedFingerprint(engine: String, _ rows: [(key: String, value: String)]) -> TableFingerprint {
        if engine == Dialect.postgres.rawValue {
            return PostgresCopyText.orderedDigest(rows.map { [$0.key, $0.value] })
        }
        return expectedFingerprint(rows)
    }

    /// The SQLite form: the typed row encodings hashed in key order (the
    /// key column is text with SQLite's default BINARY collation: bytes).
    package static func expectedFingerprint(_ rows: [(key: String, value: String)]) -> TableFingerprint {
        var digest = OrderedDigest()
        var buffer: [UInt8] = []
        for row in rows.sorted(by: { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }) {
            buffer.removeAll(keepingCapacity: true)
            for text in [row.key, row.value] {
                buffer.append(3)
                withUnsafeBytes(of: UInt64(text.utf8.count).littleEndian) { buffer.append(contentsOf: $0) }
                buffer.append(contentsOf: text.utf8)
            }
            digest.add(buffer)
        }
        return digest.fingerprint
    }
}
