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
            case "float8": return [.real(1e-300), .real(1e300), .real(-1e300), .real(5e-324)]
            default: return []
            }
        }
        switch column.affinity {
        case .integer: return [.integer(Int64.min), .integer(Int64.max)]
        case .real: return [.real(1e-300), .real(1e300), .real(-1e300), .real(5e-324)]
        default: return []
        }
    }
}
