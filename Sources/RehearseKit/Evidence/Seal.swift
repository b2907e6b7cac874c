import Foundation

/// The seal of a run folder: `SEAL.sha256`, one line per artifact in the
/// format `sha256sum` reads (`<hex>  <relative path>`), sorted by path. It
/// proves the bytes are the ones sealed (integrity); it does not prove who
/// sealed them: anyone who can rewrite a file can rewrite the seal beside it.
public enum Seal {
    public static let fileName = "SEAL.sha256"

    /// Hashes every file under `directory` (except the seal) and writes the seal.
    @discardableResult
    public static func write(directory: URL) throws -> [String: String] {
        let entries = entries(for: try RunFolder(directory: directory))
        do {
            try Data(render(entries).utf8).write(to: directory.appendingPathComponent(fileName), options: .atomic)
        } catch {
            throw RehearseError.environment("Cannot write \(directory.appendingPathComponent(fileName).path): \(SystemErrorText.describe(error)).")
        }
        return entries
    }

    /// The seal's entries for a folder: every file but the seal itself.
    public static func entries(for folder: RunFolder) -> [String: String] {
        var entries: [String: String] = [:]
        for (path, bytes) in folder.files where path != fileName {
            entries[path] = Digest.sha256Hex(bytes)
        }
        return entries
    }

    /// The seal file's exact text for these entries: sorted by path bytes, one line each.
    public static func render(_ entries: [String: String]) -> String {
        entries.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            .map { "\(entries[$0]!)  \($0)\n" }.joined()
    }

    public struct Finding: Sendable, Equatable, CustomStringConvertible {
        public enum Kind: String, Sendable { case missing, extra, changed, malformed }
        public var kind: Kind
        public var path: String
        public var description: String {
            switch kind {
            case .missing: "\(path): sealed but missing"
            case .extra: "\(path): present but not sealed"
            case .changed: "\(path): bytes differ from the seal"
            case .malformed: "\(path)"
            }
        }
    }

    /// Recomputes every digest and compares with the seal: each missing, extra
    /// or changed file is named.
    public static func verify(directory: URL) throws -> [Finding] {
        verify(try RunFolder(directory: directory))
    }

    public static func verify(_ folder: RunFolder) -> [Finding] {
        guard let bytes = folder.files[fileName] else {
            return [Finding(kind: .missing, path: fileName)]
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            return [Finding(kind: .malformed, path: "\(fileName): not UTF-8")]
        }
        var sealed: [String: String] = [:]
        var findings: [Finding] = []
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (n, line) in lines.enumerated() {
            if line.isEmpty && n == lines.count - 1 { continue }
            let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, parts[1].isEmpty, Digest.isSHA256Hex(String(parts[0])), !parts[2].isEmpty,
                  !parts[2].hasPrefix("/"), !parts[2].split(separator: "/").contains("..") else {
                findings.append(Finding(kind: .malformed, path: "\(fileName) line \(n + 1): expected '<64 hex digits>  <relative path>'"))
                continue
            }
            let path = String(parts[2])
            if sealed[path] != nil {
                findings.append(Finding(kind: .malformed, path: "\(fileName) line \(n + 1): \(path) is listed twice"))
            }
            sealed[path] = String(parts[0])
        }
        if findings.isEmpty, render(sealed) != text {
            findings.append(Finding(kind: .malformed, path: "\(fileName): not in canonical form (sorted, one line per file, final newline)"))
        }
        for path in sealed.keys.sorted() {
            guard let content = folder.files[path] else { findings.append(Finding(kind: .missing, path: path)); continue }
            if Digest.sha256Hex(content) != sealed[path] {
                findings.append(Finding(kind: .changed, path: path))
            }
        }
        for path in folder.paths where path != fileName && sealed[path] == nil {
            findings.append(Finding(kind: .extra, path: path))
        }
        return findings
    }
}
