import RehearseCore
import RehearseEvidence

/// The edge cases of time and number types, the second half of the mix
/// (EdgeCaseMix holds text, NULLs, 0, negatives and repeats). Migrations get
/// these wrong in ways the middle of a range never shows: a cast to
/// `timestamp(0)` or to `date` that drops the microseconds, a conversion
/// through a local zone across a DST change, a bound check that forgets the
/// leap day, an `infinity` a client library cannot parse, an int8 squeezed
/// into int4, a float rounded through numeric. Each list holds only values
/// the column's type stores (PostgreSQL: by its catalog type; SQLite: in the
/// very format the timestamp generator writes, ISO text or epoch seconds).
/// The mix adds them only to columns without CHECKs, keys or a profile
/// generator, so no constraint can reject them.
extension ColumnEdges {
    /// An instant's edge cases as `YYYY-MM-DD HH:MM:SS[.ffffff]`: the epoch,
    /// the last microsecond of a leap day, both sides of the 2021 European
    /// DST changes (01:00 UTC, spring and autumn), full microsecond
    /// precision, and the last microsecond of year 9999.
    package static let instants = [
        "1970-01-01 00:00:00", "2024-02-29 23:59:59.999999", "2021-03-28 00:59:59.999999", "2021-03-28 01:00:00",
        "2021-10-31 00:59:59.999999", "2021-10-31 01:00:00", "2023-06-15 10:20:30.123457", "9999-12-31 23:59:59.999999",
    ]

    /// The same instants as whole epoch seconds (SQLite INTEGER timestamps),
    /// plus one before the epoch.
    package static let epochSeconds: [Int64] = [0, 1_709_251_199, 1_616_893_199, 1_616_893_200, 1_635_641_999, 1_635_642_000, 253_402_300_799, -1]

    /// The time edge cases for `column`, or none when its values are not
    /// times. `inferredTimestamp`: the generator writes timestamps (SQLite).
    package static func temporalValues(_ column: ColumnShape, inferredTimestamp: Bool) -> [DatabaseValue] {
        if let fact = column.pgType {
            switch fact.resolved.baseName {
            case "timestamp":
                return (instants + ["infinity", "-infinity"]).map { .text($0) }
            case "timestamptz":
                // UTC instants, written with their offset so the session zone cannot move them.
                return (instants.map { $0 + "+00" } + ["infinity", "-infinity"]).map { .text($0) }
            case "date":
                return ["1970-01-01", "2024-02-29", "2021-03-28", "2021-10-31", "9999-12-31", "infinity", "-infinity"].map { .text($0) }
            case "time":
                return ["00:00:00", "23:59:59.999999", "24:00:00", "10:20:30.123457"].map { .text($0) }
            case "timetz":
                return ["00:00:00+00", "23:59:59.999999+00", "10:20:30.123457+00"].map { .text($0) }
            default:
                return []
            }
        }
        guard inferredTimestamp else { return [] }
        // SQLite: no infinity (text dates compare as text; the word would sort among digits).
        return column.affinity == .integer ? epochSeconds.map { .integer($0) } : instants.map { .text($0) }
    }

    /// A number type's bounds and extreme magnitudes: the int2/int4/int8
    /// minimum on PostgreSQL, the 64-bit bounds of an SQLite INTEGER, and tiny
    /// and huge floats inside the type's range.
    package static func numberExtremes(_ column: ColumnShape) -> [DatabaseValue] {
        if let fact = column.pgType?.resolved {
            // Only the lower bound: the shape does not say which columns a
            // sequence feeds (DEFAULT nextval, identity), and the loader moves
            // each sequence past the largest loaded value, so the type's
            // maximum there would make the birth's next INSERT overflow.
            if let (lo, _) = fact.integerBounds, column.affinity == .integer { return [.integer(lo)] }
            switch fact.baseName {
            case "float4": return [.real(1e-30), .real(3e38), .real(-3e38)]
            case "float8": return [.real(1e-300), .real(1e300), .real(-1e300), .real(5e-324)] + fullPrecision
            default: return []
            }
        }
        switch column.affinity {
        case .integer: return [.integer(Int64.min), .integer(Int64.max)]
        case .real: return [.real(1e-300), .real(1e300), .real(-1e300), .real(5e-324)] + fullPrecision
        default: return []
        }
    }

    /// Doubles that need all 17 significant digits: a round trip through
    /// text (SQLite writes 15 digits), numeric(p,s) or float4 changes them
    /// (0.1 + 0.2, 1e15 + 0.125, pi); red team X-F7.
    package static let fullPrecision: [DatabaseValue] = [.real(0.1 + 0.2), .real(1e15 + 0.125), .real(3.141592653589793)]
}

extension ColumnEdges {
    /// Made-up text that trips naive code: one per kind of trap.
    package static let decorations: [@Sendable (String) -> String] = [
        { $0.uppercased() },
        { String($0.enumerated().map { $0.offset % 2 == 0 ? Character($0.element.uppercased()) : $0.element }) },
        { $0.prefix(1).uppercased() + $0.dropFirst() },
        { "  " + $0 + " " },
        { $0 + " café" },
        { "Zoë " + $0 },
        { $0 + " 東京" },
        { $0 + " 🙂" },
        { $0 + " e\u{0301}" },
        { $0 + "\u{00A0}" },
        { $0 + "\t" },
        { "\n" + $0 + "\r\n" },
        { String($0.prefix($0.count / 2)) + "  " + String($0.dropFirst($0.count / 2)) },
        { "\u{200B}" + $0 + "\u{FEFF}" },
        { String(repeating: $0.isEmpty ? "x" : $0 + " ", count: 300 / max($0.count + 1, 1) + 1) },
        // Only in the sweep (the random share picks the ones above): text
        // that looks like a number (a cast to INTEGER and back loses the
        // zeros and the trailing zero; red team X-F1), and text past the
        // common 1000/4096 limits (a substr() to a new CHECK cuts it; X-F8).
        { _ in "007" },
        { _ in "1.50" },
        { String(repeating: $0.isEmpty ? "x" : $0 + " ", count: 5000 / max($0.count + 1, 1) + 1) },
    ]

    /// The order the sweep (below) takes the text variants in, most telling
    /// first, so a table with few rows still gets the empty string, padding
    /// and case: indexes into `decorations`, then -1 for the empty string,
    /// -2 for a value at the declared length, -3 for a repeat.
    package static let textSweep = [-1, 3, 0, 14, 17, 15, 16, -2, 10, 11, 9, 13, 4, 8, 6, 7, 5, 2, 1, 12, -3]

    /// A pool value's case variant: the first slot's value always UPPER, the
    /// others UPPER, Capitalized or as they are by a hash of the value. Equal
    /// values get equal variants, so a pool of N distinct values stays N
    /// (its values are lower case); a learned low-cardinality column now
    /// holds mixed case, so an upper/lower round trip FAILs (red team X-F4b).
    package static func poolCased(_ s: String, first: String) -> String {
        if s == first { return s.uppercased() }
        var h: UInt64 = 0xcbf29ce484222325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
        switch h % 3 {
        case 1: return s.uppercased()
        case 2: return s.prefix(1).uppercased() + s.dropFirst()
        default: return s
        }
    }
}
