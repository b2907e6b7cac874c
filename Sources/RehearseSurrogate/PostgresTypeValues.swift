import RehearseCore
import RehearseEvidence

/// Values for a PostgreSQL type the catalog names, as pure functions of
/// (seed, table, column, row): uuid, numeric(p,s), date/time types, interval,
/// json(b), inet/cidr/macaddr, bit/varbit, money, tsvector, ranges,
/// multiranges, enums, arrays of any of these, and text that fits its
/// declared length. Values are `PostgresValue`s (see there for why), so a
/// binary COPY encoder can be added without touching these generators.
///
/// With a unique index `u` (a permutation of the row index), every type
/// that can hold that many values gives an injective value of `u`;
/// `capacity` says how many distinct values a type holds, so a unique
/// column whose type cannot is refused before any row is written.
package struct PostgresTypeGenerator: Sendable {
    package let fact: PostgresTypeFact

    /// Nil when no value can be derived for the type (a composite, a
    /// pseudo type, an extension type rehearse does not know).
    package init?(_ fact: PostgresTypeFact) {
        guard Self.supported(fact) else { return nil }
        self.fact = fact
    }

    package static func supported(_ fact: PostgresTypeFact) -> Bool {
        switch fact.resolved {
        case .base(let name, let category, _):
            return known.contains(name) || category == "S"
        case .enumeration(_, let labels): return !labels.isEmpty
        case .array(let element): return supported(element)
        case .range(_, let subtype): return supported(subtype)
        case .multirange(_, let range): return supported(range)
        case .domain, .other: return false
        }
    }

    package static let known: Set<String> = [
        "int2", "int4", "int8", "oid", "numeric", "float4", "float8", "money", "bool", "text", "varchar", "bpchar", "name", "char",
        "citext", "uuid", "date", "time", "timetz", "timestamp", "timestamptz", "interval", "json", "jsonb", "bytea", "inet",
        "cidr", "macaddr", "macaddr8", "bit", "varbit", "tsvector", "tsquery", "xml", "pg_lsn", "point", "lseg", "box", "path",
        "polygon", "circle", "line",
    ]

    /// How many distinct values the type holds (nil: more than any table).
    package var capacity: Int64? { Self.capacity(fact) }

    package static func capacity(_ fact: PostgresTypeFact) -> Int64? {
        switch fact.resolved {
        case .enumeration(_, let labels): return Int64(labels.count)
        case .base(let name, _, _):
            switch name {
            case "bool": return 2
            case "char": return 26
            case "bit", "varbit":
                let n = fact.resolved.maxLength ?? (name == "bit" ? 1 : 62)
                return n >= 62 ? nil : Int64(1) << n
            case "varchar", "bpchar":
                guard let n = fact.resolved.maxLength else { return nil }
                return n >= 12 ? nil : (0..<n).reduce(Int64(1)) { acc, _ in acc * 36 }
            case "time", "timetz": return 86_400_000_000
            case "numeric":
                guard let (p, _) = fact.resolved.numericPrecision, p < 18 else { return nil }
                return PostgresTypeFact.power10(p)
            default: return nil
            }
        default: return nil
        }
    }

    /// The value of row `row` (`unique`: the row's place in a permutation
    /// when the column must not repeat).
    package func value(_ rng: CounterRandom, row: Int64, unique: Int64?) -> PostgresValue {
        let d = Draws(rng: rng, row: row, salt: 30)
        if let jsonKind, ["json", "jsonb"].contains(fact.resolved.baseName ?? "") { return Self.json(jsonKind, d, unique: unique) }
        if leastElements > 0, case .array(let element) = fact.resolved {
            let n = leastElements + Int(d.below(UInt64(4 - min(leastElements, 3)), 1))
            return .array((0..<n).map { i in Self.make(element, d.with(salt: 100 &* UInt64(i + 1)), unique: i == 0 ? unique : nil) })
        }
        return Self.make(fact, d, unique: unique)
    }

    /// Set when a CHECK (`jsonb_typeof(x) = 'object'`) wants one JSON kind.
    package private(set) var jsonKind: String?
    /// Set when a CHECK (`cardinality(x) > 0`) wants arrays of at least this many elements (at most 3).
    package private(set) var leastElements = 0

    /// This generator, giving arrays of at least `n` elements.
    package func elements(atLeast n: Int) -> PostgresTypeGenerator {
        var g = self
        g.leastElements = max(0, min(n, 3))
        return g
    }

    /// This generator, giving only JSON values of one kind.
    package func json(_ kind: String?) -> PostgresTypeGenerator {
        var g = self
        g.jsonKind = kind
        return g
    }

    /// A JSON value of the kind `jsonb_typeof` names.
    package static func json(_ kind: String, _ d: Draws, unique: Int64?) -> PostgresValue {
        let n = unique.map(String.init) ?? String(d.below(1000, 2))
        let word = MadeUpText.word(d.bits(1))
        switch kind {
        case "object": return .literal("{\"id\": \(n), \"name\": \"\(word)\"}")
        case "array": return .literal("[\(n), \"\(word)\"]")
        case "number": return .literal(n)
        case "boolean": return .literal(d.bits(3) & 1 == 0 ? "true" : "false")
        default: return .literal("\"\(word)\(unique.map { "-\($0)" } ?? "")\"")
        }
    }

    /// Independent draws of one cell: `salt` separates array elements and range bounds.
    package struct Draws {
        package let rng: CounterRandom
        package let row: Int64
        package let salt: UInt64
        package func bits(_ k: UInt64) -> UInt64 { rng.bits(row, salt &+ k) }
        package func below(_ n: UInt64, _ k: UInt64) -> UInt64 { rng.below(n, row, salt &+ k) }
        package func with(salt s: UInt64) -> Draws { Draws(rng: rng, row: row, salt: salt &+ s) }
    }

    /// 2020-01-01 and six years on, as days and seconds since 1970.
    package static let firstDay: Int64 = 18262
    package static let daySpan: UInt64 = 6 * 365

    package static func make(_ fact: PostgresTypeFact, _ d: Draws, unique: Int64?) -> PostgresValue {
        let u = unique.map { UInt64(bitPattern: $0) }
        switch fact.resolved {
        case .enumeration(_, let labels):
            return .text(labels[Int(u.map { $0 % UInt64(labels.count) } ?? d.below(UInt64(labels.count), 0))])
        case .array(let element):
            // Zero to three elements; a unique array leads with a unique element.
            let n = unique == nil ? Int(d.below(4, 1)) : 1 + Int(d.below(3, 1))
            return .array((0..<n).map { i in make(element, d.with(salt: 100 &* UInt64(i + 1)), unique: i == 0 ? unique : nil) })
        case .range(_, let subtype):
            return range(subtype, d, unique: u)
        case .multirange(_, let rangeType):
            return .multirange([make(rangeType, d.with(salt: 500), unique: unique)])
        case .base(let name, _, _):
            return base(name, fact.resolved, d, unique: u)
        case .domain, .other:
            return .literal("")
        }
    }

    package static func base(_ name: String, _ fact: PostgresTypeFact, _ d: Draws, unique u: UInt64?) -> PostgresValue {
        let r = d.bits(0)
        switch name {
        case "int2", "int4", "int8", "oid":
            return .integer(Int64(bitPattern: u ?? d.below(1001, 0)))
        case "numeric":
            // Magnitudes up to 1000, within the declared precision: numeric(p, s)
            // holds `units` × 10^-s for |units| < 10^p.
            let (p, scale) = fact.numericPrecision ?? (12, 2)
            let digits = min(p, max(0, 3 + scale), 18)
            return .decimal(units: Int64(bitPattern: u ?? d.below(UInt64(PostgresTypeFact.power10(digits)), 0)), scale: scale)
        case "float4", "float8":
            return u.map { .double(Double($0)) } ?? .double(Double(d.below(100_000, 0)) / 100)
        case "money":
            return .decimal(units: Int64(bitPattern: u ?? d.below(100_000, 0)), scale: 2)
        case "bool":
            return .bool((u ?? r) & 1 == 1)
        case "char":
            return .text(String(UnicodeScalar(UInt8(97 + (u ?? r) % 26))))
        case "uuid":
            // Version 4 layout; a unique one carries the index in its low bits.
            let hi = (d.bits(1) & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000
            let lo = ((u ?? d.bits(2)) & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
            return .uuid(high: hi, low: lo)
        case "date":
            return .date(days: firstDay + Int64(bitPattern: u ?? d.below(daySpan, 0)))
        case "time", "timetz":
            return .time(micros: Int64(bitPattern: u ?? d.below(86_400_000_000, 0)), zoned: name == "timetz")
        case "timestamp", "timestamptz":
            let micros = u.map { Int64(bitPattern: $0) * 1_000_000 } ?? Int64(bitPattern: d.below(daySpan * 86_400_000_000, 0))
            return .timestamp(micros: firstDay * 86_400_000_000 + micros, zoned: name == "timestamptz")
        case "interval":
            if let u { return .interval(months: 0, days: 0, micros: Int64(bitPattern: u) * 1_000_000) }
            return .interval(months: Int32(d.below(24, 0)), days: Int32(d.below(31, 1)), micros: Int64(d.below(86_400_000_000, 2)))
        case "json", "jsonb":
            let word = MadeUpText.word(d.bits(1))
            if let u { return .literal("{\"id\": \(u), \"name\": \"\(word)\"}") }
            switch r % 4 {
            case 0: return .literal("{\"id\": \(d.below(1000, 2)), \"name\": \"\(word)\", \"active\": \(r & 16 == 0)}")
            case 1: return .literal("[\(d.below(100, 2)), \(d.below(100, 3)), \"\(word)\"]")
            case 2: return .literal("{\"meta\": {\"tags\": [\"\(word)\"], \"score\": \(Double(d.below(10000, 2)) / 100)}, \"note\": null}")
            default: return .literal("\"\(word)\"")
            }
        case "bytea":
            var bytes = withUnsafeBytes(of: d.bits(1).bigEndian, Array.init) + withUnsafeBytes(of: d.bits(2).bigEndian, Array.init)
            if let u { bytes.replaceSubrange(0..<8, with: withUnsafeBytes(of: u.bigEndian, Array.init)) }
            return .bytes(bytes)
        case "inet", "cidr":
            if let u {
                // IPv6 fd00::/8 (unique local) holds any index.
                let address: [UInt8] = [0xfd, 0, 0, 0, 0, 0, 0, 0] + withUnsafeBytes(of: u.bigEndian, Array.init)
                return .inet(address: address, prefix: 128, cidr: name == "cidr")
            }
            if name == "cidr" { return .inet(address: [10, UInt8(r >> 8 & 255), UInt8(r >> 16 & 255), 0], prefix: 24, cidr: true) }
            return .inet(address: [10, UInt8(r >> 8 & 255), UInt8(r >> 16 & 255), UInt8(r >> 24 & 255)], prefix: 32, cidr: false)
        case "macaddr", "macaddr8":
            let n = name == "macaddr" ? 6 : 8
            // 0x02: a locally administered address, never a vendor's.
            let body = withUnsafeBytes(of: (u ?? r).bigEndian, Array.init).suffix(n - 1)
            return .mac([0x02] + body)
        case "bit", "varbit":
            let declared = fact.maxLength
            let n = name == "bit" ? Int(declared ?? 1) : Int(min(declared ?? 8, 8))
            let length = name == "bit" || u != nil ? n : 1 + Int(d.below(UInt64(max(n, 1)), 1))
            let source = u ?? r
            return .bits((0..<length).map { i in i < 64 && (source >> UInt64(i)) & 1 == 1 })
        case "tsvector":
            let words = (0..<3).map { MadeUpText.word(d.bits(UInt64(1 + $0))) }
            return .literal((words + (u.map { ["u\($0)"] } ?? [])).joined(separator: " "))
        case "tsquery":
            return .literal(MadeUpText.word(d.bits(1)) + " & " + (u.map { "u\($0)" } ?? MadeUpText.word(d.bits(2))))
        case "xml":
            return .literal("<item n=\"\(u ?? d.below(1000, 1))\">\(MadeUpText.word(d.bits(2)))</item>")
        case "pg_lsn":
            return .literal(String(u ?? d.below(1 << 40, 1) >> 32, radix: 16, uppercase: true) + "/" + String((u ?? r) & 0xFFFF_FFFF, radix: 16, uppercase: true))
        case "point":
            return .literal("(\(u ?? d.below(1000, 1)),\(d.below(1000, 2)))")
        case "lseg", "box":
            let x = u ?? d.below(1000, 1), y = d.below(1000, 2)
            return .literal(name == "box" ? "(\(x + 1),\(y + 1)),(\(x),\(y))" : "[(\(x),\(y)),(\(x + 1),\(y + 1))]")
        case "path", "polygon":
            let x = u ?? d.below(1000, 1), y = d.below(1000, 2)
            return .literal(name == "path" ? "[(\(x),\(y)),(\(x + 1),\(y)),(\(x + 1),\(y + 1))]" : "((\(x),\(y)),(\(x + 1),\(y)),(\(x + 1),\(y + 1)))")
        case "circle":
            return .literal("<(\(u ?? d.below(1000, 1)),\(d.below(1000, 2))),\(1 + d.below(10, 3))>")
        case "line":
            return .literal("{1,-1,\(u ?? d.below(1000, 1))}")
        default:
            // Text of any kind: made-up words, or for a unique column a
            // compact base-36 number that fits the declared length.
            return .text(text(fact, d, unique: u))
        }
    }

    /// Made-up text within the declared length.
    package static func text(_ fact: PostgresTypeFact, _ d: Draws, unique u: UInt64?) -> String {
        let limit = fact.maxLength.map { Int(max($0, 1)) }
        guard let u else {
            let word = MadeUpText.word(d.bits(1))
            return limit.map { String(word.prefix($0)) } ?? word
        }
        let digits = String(u, radix: 36)
        guard let limit else { return MadeUpText.word(d.bits(1)) + "-" + digits }
        // Left-padded to (at most) eight places; `capacity` keeps the index
        // below 36^limit, so the digits always fit.
        return String(repeating: "0", count: max(0, min(limit, 8) - digits.count)) + String(digits.suffix(limit))
    }

    /// `[lower, upper)` with lower < upper in the subtype's order.
    package static func range(_ subtype: PostgresTypeFact, _ d: Draws, unique u: UInt64?) -> PostgresValue {
        let start = u.map { $0 &* 2 } ?? d.below(1000, 7)
        let width = 1 + (u == nil ? d.below(100, 8) : 0)
        switch subtype.baseName {
        case "int2", "int4", "int8":
            return .range(lower: .integer(Int64(start)), upper: .integer(Int64(start + width)))
        case "numeric", "float4", "float8":
            return .range(lower: .decimal(units: Int64(start) * 100, scale: 2), upper: .decimal(units: Int64(start + width) * 100, scale: 2))
        case "date":
            return .range(lower: .date(days: firstDay + Int64(start)), upper: .date(days: firstDay + Int64(start + width)))
        case "timestamp", "timestamptz":
            let zoned = subtype.baseName == "timestamptz"
            let base = firstDay * 86_400_000_000
            return .range(lower: .timestamp(micros: base + Int64(start) * 3_600_000_000, zoned: zoned),
                          upper: .timestamp(micros: base + Int64(start + width) * 3_600_000_000, zoned: zoned))
        default:
            // A subtype whose order rehearse does not know: the empty range
            // is valid for every range type.
            return .emptyRange
        }
    }
}
