/// What a database looked like at one moment, independent of its physical
/// layout: a canonical description of every schema object and, per table, the
/// row count and an order-independent digest of the typed rows.
public struct Fingerprint: Sendable, Equatable {
    /// Canonical description of each schema object, keyed `"<kind> <name>"`
    /// (e.g. `table customers`, `index orders_by_status`).
    public var objects: [String: JSONValue]
    public var tables: [String: TableFingerprint]
    /// Physical leftovers worth knowing that are not drift, e.g. PostgreSQL's
    /// dropped columns that stay in the catalog until a rewrite. They do not
    /// take part in equality.
    public var residue: [String] = []

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
    public var rows: Int64
    /// Hex of the lane-wise sum (mod 2^64 per lane) of each row's SHA-256: the
    /// same for any row order, and different when a row is duplicated.
    public var digest: String
}

/// Adds row digests into an order-independent multiset digest.
struct MultisetDigest {
    private(set) var lanes: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    private(set) var count: Int64 = 0

    /// Adds one row's 32-byte digest, read as four big-endian words; no
    /// allocation, as this runs once per row of every table.
    mutating func add<D: Sequence>(_ digest: D) where D.Element == UInt8 {
        var w = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        var i = 0
        for b in digest {
            switch i >> 3 {
            case 0: w.0 = w.0 << 8 | UInt64(b)
            case 1: w.1 = w.1 << 8 | UInt64(b)
            case 2: w.2 = w.2 << 8 | UInt64(b)
            case 3: w.3 = w.3 << 8 | UInt64(b)
            default: break
            }
            i += 1
        }
        lanes.0 &+= w.0
        lanes.1 &+= w.1
        lanes.2 &+= w.2
        lanes.3 &+= w.3
        count += 1
    }

    var hex: String {
        [lanes.0, lanes.1, lanes.2, lanes.3].map { w in
            let s = String(w, radix: 16)
            return String(repeating: "0", count: 16 - s.count) + s
        }.joined()
    }
}
