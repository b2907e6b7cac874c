import Foundation

/// UTC civil time without Foundation's calendars: exact, fast and the same
/// on every platform.
package enum CivilTime {
    /// The seconds ``format(_:)`` and ``days(year:month:day:)`` handle without
    /// overflow (about ±31 million years); profile dates stay in ``Limits/years``.
    package static let earliest: Int64 = -1_000_000_000_000_000
    package static let latest: Int64 = 1_000_000_000_000_000

    /// Days since 1970-01-01 of a proleptic Gregorian date.
    package static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    package static func civil(days z0: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    package static func parse(_ s: String) -> Int64? {
        let parts = s.split(whereSeparator: { $0 == " " || $0 == "T" })
        guard (1...2).contains(parts.count) else { return nil }
        let date = parts[0].split(separator: "-").compactMap { Int64($0) }
        guard date.count == 3, (1...12).contains(date[1]), (1...31).contains(date[2]),
              (-25_000_000...25_000_000).contains(date[0]) else { return nil }
        var seconds = days(year: date[0], month: date[1], day: date[2]) * 86400
        if parts.count == 2 {
            let time = parts[1].split(separator: ":").compactMap { Int64($0) }
            guard time.count == 3, (0..<24).contains(time[0]), (0..<60).contains(time[1]), (0..<60).contains(time[2]) else { return nil }
            seconds += time[0] * 3600 + time[1] * 60 + time[2]
        }
        return seconds
    }

    package static func format(_ seconds: Int64) -> String {
        let d = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let rem = seconds - d * 86400
        let (y, m, day) = civil(days: d)
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let year = String(y)
        return String(repeating: "0", count: max(0, 4 - year.count)) + year + "-" + two(m) + "-" + two(day)
            + " " + two(rem / 3600) + ":" + two(rem % 3600 / 60) + ":" + two(rem % 60)
    }
}
