import ArgumentParser
import Foundation
import RehearseCore
import RehearseEngine
import RehearseEvidence
import RehearseKit
import RehearsePostgres
import RehearseSQLite
import RehearseSurrogate
import RehearseValidator

/// Terminal output: colour only on a terminal and never when NO_COLOR is set;
/// progress only on a terminal and never with --quiet.
enum Console {
    static let stdoutIsTerminal = isatty(STDOUT_FILENO) == 1
    static let stderrIsTerminal = isatty(STDERR_FILENO) == 1
    static let colour = stdoutIsTerminal && (ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
        && ProcessInfo.processInfo.environment["TERM"] != "dumb"

    static func paint(_ text: String, _ code: String) -> String {
        colour ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }
    static func green(_ s: String) -> String { paint(s, "32") }
    static func red(_ s: String) -> String { paint(s, "31") }
    static func dim(_ s: String) -> String { paint(s, "2") }
    static func bold(_ s: String) -> String { paint(s, "1") }

    static func error(_ message: String) {
        FileHandle.standardError.write(Data("rehearse: error: \(message)\n".utf8))
    }

    /// Writes a line to standard output unbuffered, so live phase lines and
    /// progress on stderr interleave correctly.
    static func out(_ line: String = "") {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    static func duration(_ micros: Int64) -> String {
        if micros < 1_000 { return "\(micros) µs" }
        if micros < 10_000_000 { return "\(micros / 1_000) ms" }
        return String(format: "%.1f s", Double(micros) / 1e6)
    }

    static func grouped(_ n: Int64) -> String {
        let s = String(n.magnitude)
        var out = ""
        for (i, c) in s.enumerated() {
            if i > 0 && (s.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    /// A progress handler drawing one updating line on stderr, or nil when
    /// stderr is not a terminal or quiet output was asked for.
    static func progress(quiet: Bool) -> ProgressHandler? {
        guard stderrIsTerminal, !quiet else { return nil }
        return { event in
            let rate = event.elapsedMicros > 0 ? Int64(Double(event.done) / (Double(event.elapsedMicros) / 1e6)) : 0
            let pct = event.total > 0 ? event.done * 100 / event.total : 100
            let width = 24
            let filled = Int(pct) * width / 100
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            var line = "\r\u{1B}[2K  \(event.phase) \(bar) \(pct)%  \(grouped(event.done))/\(grouped(event.total)) rows  \(grouped(rate)) rows/s  (\(event.item))"
            if event.done >= event.total { line += "\r\u{1B}[2K" }
            FileHandle.standardError.write(Data(line.utf8))
        }
    }
}

/// The command line's checks of numbers against ``Limits``, shared by every
/// command that takes them, so each says the same sentence (exit 2).
enum OptionBounds {
    static func check(seed: Int64?, scale: Double?, jobs: Int?) throws {
        if let seed, seed < 0 { throw ValidationError("--seed must be zero or more.") }
        if let scale, !(scale > 0 && scale.isFinite) { throw ValidationError("--scale must be a number greater than zero.") }
        if let scale, let problem = Limits.scaleProblem(scale) {
            throw ValidationError("--scale: \(problem). Give a number above 0 and at most \(Limits.grouped(Int64(Limits.maxScale))).")
        }
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be 1 or more.") }
        if let jobs, jobs > Limits.maxJobs {
            throw ValidationError("--jobs must be at most \(Limits.maxJobs) (rehearse's limit), not \(jobs).")
        }
    }
}
