import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The owner mark of a scratch directory (an SQLite scratch folder, an
/// ephemeral PostgreSQL cluster): `pid=… start=… kept=0|1`, so a later run's
/// sweep can tell a live owner from a dead one and never touches a kept one.
///
/// The process start time comes from `/proc` (Linux). Where there is no
/// `/proc`, a live pid is taken as the owner (``processAlive(_:startTime:)``
/// answers true): the sweep then removes less, never more.
package enum ScratchOwner {
    /// The mark's file name inside a scratch directory.
    package static let file = "rehearse-owner"
    /// Ephemeral PostgreSQL clusters' directory prefix; their own sweep stops
    /// the server before removing one, so the SQLite sweep leaves them alone.
    package static let postgresDirectoryPrefix = "rehearse-pg-"

    /// The `key=value` words of an owner mark (a cluster's owner file, a
    /// scratch database's comment).
    package static func fields<S: StringProtocol>(_ text: S) -> [String: String] {
        Dictionary(text.split(whereSeparator: \.isWhitespace).compactMap { part -> (String, String)? in
            let kv = part.split(separator: "=", maxSplits: 1)
            return kv.count == 2 ? (String(kv[0]), String(kv[1])) : nil
        }, uniquingKeysWith: { a, _ in a })
    }

    package static func mark(keep: Bool) -> String {
        "pid=\(getpid()) start=\(processStartTime(getpid()) ?? "?") kept=\(keep ? 1 : 0)\n"
    }

    /// Field 22 of /proc/<pid>/stat: the start time, which tells a live owner
    /// from an unrelated process that reused its pid.
    package static func processStartTime(_ pid: Int32) -> String? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let rest = stat[stat.index(after: close)...].split(separator: " ")
        return rest.count > 19 ? String(rest[19]) : nil
    }

    package static func processAlive(_ pid: Int32, startTime: String?) -> Bool {
        guard kill(pid, 0) == 0 || errno == EPERM else { return false }
        guard let startTime, startTime != "?", let now = processStartTime(pid) else { return true }
        return now == startTime
    }
}
