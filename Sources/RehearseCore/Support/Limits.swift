/// Every bound on a number or size that comes from outside (command line,
/// manifest, profile, evidence under `--reproduce`), in one place so the
/// README, the messages and the checks cannot disagree.
///
/// Without them a hostile or mistaken value trapped the process
/// (`--scale 1e300`: "Double value cannot be converted to Int64"), ran until
/// killed (`rows: 1000000000000`) or took all memory (`--jobs 1000000000`).
/// Each limit is generous for a rehearsal and small enough that the code
/// behind it cannot overflow.
package enum Limits {
    /// Rows of one table, after scaling.
    package static let maxRowsPerTable: Int64 = 2_000_000_000
    /// Rows of all tables of one surrogate together, after scaling.
    package static let maxRowsPerRun: Int64 = 2_000_000_000
    /// `--scale` and the manifest's `scale`: finite, above 0, at most this.
    package static let maxScale: Double = 1_000_000
    /// `--jobs`: threads generating or fingerprinting.
    package static let maxJobs = 256
    /// Seeds are whole numbers from 0 to this (they are stored as signed
    /// 64-bit integers in evidence).
    package static let maxSeed: Int64 = .max
    /// A `hex` generator's length, in characters.
    package static let maxTextLength: Int64 = 65_536
    /// Values in one `categorical` generator, buckets in one observed fan-out.
    package static let maxListLength = 100_000
    /// A foreign key's `max_children` and `min_children` (children of one parent).
    package static let maxChildrenPerParent: Int64 = 1_000_000
    /// Magnitude of any real-valued generator parameter (bounds, mean,
    /// standard deviation, offsets): whole numbers of this size still fit a
    /// 64-bit integer column.
    package static let maxMagnitude: Double = 9e18
    /// Seconds a `timestamp_after` column may lie after its base column
    /// (about 10,000 years).
    package static let maxOffsetSeconds: Int64 = 315_576_000_000
    /// Years a date in a profile may name.
    package static let years: ClosedRange<Int64> = 1...9999
    /// A surrogate's name, in bytes: it becomes part of the run folder's
    /// name, and file names end at 255 bytes.
    package static let maxSurrogateNameLength = 128
    /// Names of tables and columns in a profile, in bytes.
    package static let maxNameLength = 1_024

    /// "2,000,000,000": limits in messages, grouped for reading.
    package static func grouped(_ n: Int64) -> String {
        let s = String(n.magnitude)
        var out = ""
        for (i, c) in s.enumerated() {
            if i > 0 && (s.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    /// Whether a scale is usable, else the sentence saying why not.
    package static func scaleProblem(_ scale: Double) -> String? {
        guard scale.isFinite, scale > 0 else { return "the scale must be a finite number greater than zero" }
        guard scale <= maxScale else { return "the scale \(scale) is above the maximum of \(grouped(Int64(maxScale)))" }
        return nil
    }
}

extension Int64 {
    /// The nearest Int64 to a Double, never trapping: NaN gives 0, values
    /// beyond the range give the end of the range.
    package init(clamping x: Double) {
        if x.isNaN { self = 0 } else if x >= 9.223372036854775e18 { self = .max } else if x <= -9.223372036854775e18 { self = .min } else { self = Int64(x) }
    }
}
