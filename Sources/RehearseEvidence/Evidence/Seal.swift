import Foundation
import RehearseCore

/// The seal of a run folder: `SEAL.sha256`, one line per artifact in the
/// format `sha256sum` reads (`<hex>  <relative path>`), sorted by path. It
/// proves the bytes are the ones sealed (integrity); it does not prove who
/// sealed them: anyone who can rewrite a file can rewrite the seal beside it.
package enum Seal {
    package static let fileName = "SEAL.sha256"

    /// Hashes every file under `directory` (except the seal) and writes the
    /// seal. A folder with a link, FIFO or non-portable name is not sealed:
    /// `sha256sum` and this tool could disagree about what such a seal covers.
    @discardableResult
    package static func write(directory: URL) throws -> [String: String] {
        let folder = try RunFolder(directory: directory)
        if let first = folder.refused.first {
            throw RehearseError.badInput("\(directory.path)/\(first.path): \(first.reason). Remove or rename it, then seal again.")
        }
        let entries = entries(for: folder)
        do {
            try Data(render(entries).utf8).write(to: directory.appendingPathComponent(fileName), options: .atomic)
        } catch {
            throw RehearseError.environment("Cannot write \(directory.appendingPathComponent(fileName).path): \(SystemErrorText.describe(error)).")
        }
        return entries
    }

    /// The seal's entries for a folder: every file but the seal itself.
    package static func entries(for folder: RunFolder) -> [String: String] {
        var entries: [String: String] = [:]
        for (path, bytes) in folder.files where !Self.isSealFile(path) {
            entries[path] = Digest.sha256Hex(bytes)
        }
        return entries
    }

    /// Byte comparison with the seal's own name (never String ==, which
    /// equates Unicode-equivalent names).
    package static func isSealFile(_ path: String) -> Bool {
        path.utf8.elementsEqual(fileName.utf8)
    }

    /// The seal file's exact text for these entries: sorted by path bytes, one line each.
    package static func render(_ entries: [String: String]) -> String {
        entries.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            .map { "\(entries[$0]!)  \($0)\n" }.joined()
    }

    package struct Finding: Sendable, Equatable, CustomStringConvertible {
        package enum Kind: String, Sendable { case missing, extra, changed, malformed, refused }
        package var kind: Kind
        /// The file concerned (every non-printable or non-ASCII byte shown as `\xNN`).
        package var path: String
        /// For `malformed` and `refused`: what is wrong, as a sentence.
        package var detail: String = ""
        /// What is wrong with the file, without its name (findings that carry
        /// the path separately must not repeat it).
        package var sentence: String {
            switch kind {
            case .missing: "sealed but missing"
            case .extra: "present but not sealed"
            case .changed: "bytes differ from the seal"
            case .malformed, .refused: detail
            }
        }
        package var description: String { "\(path): \(sentence)" }
    }

    /// Recomputes every digest and compares with the seal: each missing, extra
    /// or changed file is named.
    package static func verify(directory: URL) throws -> [Finding] {
        verify(try RunFolder(directory: directory))
    }

    /// Names are compared as bytes throughout: a seal line and a file match
    /// only when their names have the same bytes, and only names in the
    /// portable set are admitted on either side, so `sha256sum -c` and this
    /// check always agree about which file a line covers.
    package static func verify(_ folder: RunFolder) -> [Finding] {
        var findings: [Finding] = folder.refused.map { Finding(kind: .refused, path: $0.path, detail: $0.reason) }
        // Names of an in-memory folder are checked too (the fuzzer builds them).
        var present: [[UInt8]: [UInt8]] = [:]
        for (name, bytes) in folder.files {
            let key = Array(name.utf8)
            guard RunFolder.isPortable(key) else {
                findings.append(Finding(kind: .refused, path: RunFolder.display(key), detail: "the name is outside the portable set [A-Za-z0-9._-] with '/' between components"))
                continue
            }
            present[key] = bytes
        }
        let sealName = Array(fileName.utf8)
        guard let bytes = present[sealName] else {
            return findings + [Finding(kind: .missing, path: fileName)]
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            return findings + [Finding(kind: .malformed, path: fileName, detail: "not UTF-8")]
        }
        var sealed: [[UInt8]: String] = [:]
        var order: [[UInt8]] = []
        var malformed = false
        let lines = Array(bytes).split(separator: 0x0A, omittingEmptySubsequences: false)
        for (n, line) in lines.enumerated() {
            if line.isEmpty && n == lines.count - 1 { continue }
            let where_ = "\(fileName) line \(n + 1)"
            let line = Array(line)
            guard line.count > 66, line[64] == 0x20, line[65] == 0x20,
                  let hex = String(validating: line[0..<64], as: UTF8.self), Digest.isSHA256Hex(hex) else {
                findings.append(Finding(kind: .malformed, path: where_, detail: "expected '<64 lowercase hex digits>  <relative path>'"))
                malformed = true
                continue
            }
            let name = Array(line[66...])
            guard RunFolder.isPortable(name) else {
                findings.append(Finding(kind: .malformed, path: where_,
                                        detail: "the name '\(RunFolder.display(name))' is outside the portable set [A-Za-z0-9._-] with '/' between components (no leading '/', no empty, '.' or '..' component)"))
                malformed = true
                continue
            }
            if sealed[name] != nil {
                findings.append(Finding(kind: .malformed, path: where_, detail: "\(RunFolder.display(name)) is listed twice"))
                malformed = true
            }
            sealed[name] = hex
            order.append(name)
        }
        if !malformed {
            let canonical = order.sorted { $0.lexicographicallyPrecedes($1) }
            if canonical != order || Set(order).count != order.count || !(text.isEmpty || text.hasSuffix("\n")) {
                findings.append(Finding(kind: .malformed, path: fileName, detail: "not in canonical form (sorted by name bytes, one line per file, final newline)"))
            }
        }
        for name in sealed.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            let shown = RunFolder.display(name)
            guard let content = present[name] else { findings.append(Finding(kind: .missing, path: shown)); continue }
            if Digest.sha256Hex(content) != sealed[name] {
                findings.append(Finding(kind: .changed, path: shown))
            }
        }
        for name in present.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) where name != sealName && sealed[name] == nil {
            findings.append(Finding(kind: .extra, path: RunFolder.display(name)))
        }
        return findings
    }
}
