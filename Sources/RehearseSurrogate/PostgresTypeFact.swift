import RehearseCore
import RehearseEvidence

/// What the PostgreSQL catalog says about a column's type, read from the
/// scratch database once the schema has run (`PostgresTypeCatalog`): the
/// generator sees the schema file's types, not a guess from the column name.
/// Engine-free, so the generator and its tests need no libpq.
package indirect enum PostgresTypeFact: Sendable, Equatable {
    /// A built-in or extension scalar: `pg_type.typname` (int4, varchar,
    /// timestamptz …), its `typcategory` letter and the column's typmod (-1: none).
    case base(name: String, category: String, typmod: Int32)
    /// An enum with its labels in sort order (schema facts, not data).
    case enumeration(name: String, labels: [String])
    /// A domain: its base type and every CHECK of it and of the domains it is
    /// built on, as `pg_get_constraintdef` spells them (with `VALUE`).
    case domain(name: String, base: PostgresTypeFact, checks: [String])
    /// An array of the element type (any number of dimensions; generated as one).
    case array(PostgresTypeFact)
    /// A range type over its subtype.
    case range(name: String, subtype: PostgresTypeFact)
    /// A multirange over its range type.
    case multirange(name: String, range: PostgresTypeFact)
    /// A composite or pseudo type: no generator is derived for it.
    case other(name: String, kind: String)

    /// The scalar underneath domains.
    package var resolved: PostgresTypeFact {
        if case .domain(_, let base, _) = self { return base.resolved }
        return self
    }

    /// The base type's name underneath domains (nil for enums, arrays, ranges).
    package var baseName: String? {
        if case .base(let name, _, _) = resolved { return name }
        return nil
    }

    package var typmod: Int32 {
        if case .base(_, _, let m) = resolved { return m }
        return -1
    }

    /// A readable name for messages.
    package var display: String {
        switch self {
        case .base(let name, _, let typmod): typmod >= 0 ? "\(name)(typmod \(typmod))" : name
        case .enumeration(let name, _), .domain(let name, _, _), .range(let name, _), .multirange(let name, _), .other(let name, _): name
        case .array(let element): element.display + "[]"
        }
    }

    /// Every type-level fact in one line, for the profile and the fidelity
    /// report: a domain's base type and CHECKs, an enum's labels, an array's
    /// element type, a range's subtype, lengths, precision and scale. Schema
    /// text only, never a value.
    package var detail: String {
        let text: String
        switch self {
        case .base(let name, _, let typmod):
            if let (p, s) = numericPrecision { text = "\(name)(\(p),\(s))" }
            else if let n = maxLength, typmod >= 0 { text = "\(name)(\(n))" }
            else { text = typmod >= 0 ? "\(name)(typmod \(typmod))" : name }
        case .enumeration(let name, let labels):
            text = "enum \(name) (" + labels.map { "'" + $0.replacingOccurrences(of: "'", with: "''") + "'" }.joined(separator: ", ") + ")"
        case .domain(let name, let base, let checks):
            text = "domain \(name) over \(base.detail)" + checks.map { " " + $0 }.joined()
        case .array(let element): text = "array of \(element.detail)"
        case .range(let name, let subtype): text = "range \(name) over \(subtype.detail)"
        case .multirange(let name, let range): text = "multirange \(name) of \(range.detail)"
        case .other(let name, let kind): text = "\(kind) \(name)"
        }
        return text.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ")
    }

    /// Every CHECK of the domains on the way to the base type.
    package var domainChecks: [String] {
        if case .domain(_, let base, let checks) = self { return checks + base.domainChecks }
        return []
    }

    /// The declared maximum length of varchar(n), char(n), bit(n) and varbit(n).
    package var maxLength: Int64? {
        guard let name = baseName, typmod >= 0 else {
            return baseName == "name" ? 63 : baseName == "char" ? 1 : nil
        }
        switch name {
        case "varchar", "bpchar": return Int64(typmod) - 4
        case "bit", "varbit": return Int64(typmod)
        default: return nil
        }
    }

    /// numeric(p, s): precision and scale (a negative scale rounds to tens).
    package var numericPrecision: (precision: Int, scale: Int)? {
        guard baseName == "numeric", typmod >= 4 else { return nil }
        let t = Int(typmod) - 4
        var s = t & 0x7ff
        if s & 0x400 != 0 { s -= 0x800 }
        return ((t >> 16) & 0xffff, s)
    }

    /// The integer range a column of this type holds: int2/int4/int8 by
    /// width, numeric(p, 0) by precision.
    package var integerBounds: (lo: Int64, hi: Int64)? {
        switch baseName {
        case "int2": return (Int64(Int16.min), Int64(Int16.max))
        case "int4": return (Int64(Int32.min), Int64(Int32.max))
        case "int8": return (Int64.min, Int64.max)
        case "oid": return (0, Int64(UInt32.max))
        default:
            if let (p, s) = numericPrecision, s == 0, p <= 18 {
                let m = Self.power10(p) - 1
                return (-m, m)
            }
            return nil
        }
    }

    /// The largest magnitude numeric(p, s) holds (10^(p-s) - 10^-s).
    package var numericMagnitude: Double? {
        guard let (p, s) = numericPrecision else { return nil }
        return Double(sign: .plus, exponent: 0, significand: 1) * pow10(p - s) - pow10(-s)
    }

    private func pow10(_ e: Int) -> Double {
        var x = 1.0
        if e >= 0 { for _ in 0..<e { x *= 10 } } else { for _ in 0..<(-e) { x /= 10 } }
        return x
    }

    package static func power10(_ e: Int) -> Int64 {
        var x: Int64 = 1
        for _ in 0..<min(e, 18) { x *= 10 }
        return x
    }

    /// Whether values are text the name hints may shape (email, name, …).
    package var isTextual: Bool {
        switch resolved {
        case .base(let name, let category, _):
            return ["text", "varchar", "bpchar", "name", "citext"].contains(name) || (category == "S" && name != "char")
        default: return false
        }
    }

    /// SQLite-style affinity of the resolved type, for the code paths that
    /// reason in affinities (CHECK domains, the profiler's ranges).
    package var affinity: ColumnShape.Affinity {
        switch baseName {
        case "int2", "int4", "int8", "oid": return .integer
        case "float4", "float8": return .real
        case "numeric", "money": return .numeric
        case "bytea": return .blob
        default: return .text
        }
    }

    package var isInteger: Bool { ["int2", "int4", "int8"].contains(baseName ?? "") }
}
