import Crypto
import RehearseCore

/// What a database looked like at one moment, independent of its physical
/// layout: a canonical description of every schema object and, per table, the
/// row count and a digest of the typed rows in a canonical order.
public struct Fingerprint: Sendable, Equatable {
    /// Canonical description of each schema object, keyed `"<kind> <name>"`
    /// (e.g. `table customers`, `index orders_by_status`).
    public var objects: [String: JSONValue]
    /// Row count and data digest of each table, by table name.
    public var tables: [String: TableFingerprint]
    /// Physical leftovers worth knowing that are not drift, e.g. PostgreSQL's
    /// dropped columns that stay in the catalog until a rewrite. They do not
    /// take part in equality.
    public var residue: [String] = []

    /// A fingerprint with no residue.
    public init(objects: [String: JSONValue], tables: [String: TableFingerprint]) {
        self.objects = objects
        self.tables = tables
    }

    /// Equal when schema and data are: residue is reported, never compared.
    public static func == (a: Fingerprint, b: Fingerprint) -> Bool {
        a.objects == b.objects && a.tables == b.tables
    }

    /// SHA-256 of each object's canonical description.
    public var objectDigests: [String: String] {
        objects.mapValues { Digest.sha256Hex($0.canonicalBytes) }
    }

    /// One digest over the whole schema.
    public var schemaDigest: String {
        Digest.sha256Hex(JSONValue.object(objectDigests.mapValues { .string($0) }).canonicalBytes)
    }

    /// One digest over all the data.
    public var dataDigest: String {
        let members = tables.mapValues { t -> JSONValue in ["rows": .integer(t.rows), "digest": .string(t.digest)] }
        return Digest.sha256Hex(JSONValue.object(members).canonicalBytes)
    }

    /// The form recorded in evidence: digests and counts, no values.
    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "schema_digest": .string(schemaDigest),
            "data_digest": .string(dataDigest),
            "objects": .object(objectDigests.mapValues { .string($0) }),
            "tables": .object(tables.mapValues { ["rows": .integer($0.rows), "digest": .string($0.digest)] }),
        ]
        if !residue.isEmpty { o["residue"] = .array(residue.map { .string($0) }) }
        return .object(o)
    }
}

/// Row count and multiset digest of one table.
public struct TableFingerprint: Sendable, Equatable {
    /// How many rows the table holds.
    public var rows: Int64
    /// Hex SHA-256 of the rows' encodings in a canonical order (the engine
    /// decides it from the rows alone, never from storage order).
    public var digest: String

    package init(rows: Int64, digest: String) {
        self.rows = rows
        self.digest = digest
    }
}

/// A table's data digest: SHA-256 over its rows' encodings in one canonical
/// order, and the row count. A sum of row hashes (the digest before this) is
/// order-free but not collision-resistant: a lattice reduction finds small
/// sets of rows to delete and duplicate whose hashes cancel in the sum, so a
/// lossy rollback could keep the digest. Hashing in a canonical order has
/// SHA-256's collision resistance.
package struct OrderedDigest {
    private var hasher = SHA256()
    package private(set) var count: Int64 = 0

    package mutating func add(_ row: [UInt8]) {
        hasher.update(data: row)
        count += 1
    }

    package var fingerprint: TableFingerprint {
        TableFingerprint(rows: count, digest: Digest.hex(Array(hasher.finalize())))
    }

    package init(count: Int64 = 0) {
        self.count = count
    }
}

/// Fingerprint entries keyed by object name. Swift's `String` equality is
/// Unicode canonical equivalence, but SQLite and PostgreSQL compare names by
/// bytes: `"café"` (NFC) and `"café"` (e + U+0301) are two tables to them,
/// one key to a `[String: …]`, so the second would silently replace the first
/// and whatever a rollback left in it would go unseen. Every key whose bytes
/// differ from an equal key already present is kept as a collision, and the
/// fingerprint refuses to stand (``checked``).
package struct NameKeyed<Value> {
    package private(set) var values: [String: Value] = [:]
    package private(set) var collisions: [(String, String)] = []

    package subscript(key: String) -> Value? {
        get { values[key] }
        set {
            if newValue != nil, let index = values.index(forKey: key), !values[index].key.utf8.elementsEqual(key.utf8) {
                collisions.append((values[index].key, key))
            }
            values[key] = newValue
        }
    }

    /// The entries, or an error naming the first pair of names that differ
    /// only in Unicode normalization (exit 1: the rehearsal cannot be judged).
    package func checked() throws -> [String: Value] {
        guard let (a, b) = collisions.first else { return values }
        func visible(_ s: String) -> String {
            s.unicodeScalars.map { $0.isASCII ? String($0) : String(format: "\\u{%04X}", $0.value) }.joined()
        }
        throw RehearseError.rehearsalFailed("The database holds two objects whose names are the same text in different Unicode spellings: '\(visible(a))' and '\(visible(b))'. The engine tells them apart by bytes, but a fingerprint keyed by text could not, so one of them would go unseen; rehearse stops rather than judge it. Rename one of them.")
    }

    package init(values: [String: Value] = [:], collisions: [(String, String)] = []) {
        self.values = values
        self.collisions = collisions
    }
}
