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
        var entries: [String: String] = [:]
        for path in try files(in: directory) {
            entries[path] = try Digest.sha256Hex(fileAt: directory.appendingPathComponent(path))
        }
        let text = render(entries)
        try Data(text.utf8).write(to: directory.appendingPathComponent(fileName), options: .atomic)
        return entries
    }

    static func render(_ entries: [String: String]) -> String {
        entries.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            .map { "\(entries[$0]!)  \($0)\n" }.joined()
    }

    /// Relative paths of all regular files under `directory`, except the seal.
    static func files(in directory: URL) throws -> [String] {
        let base = directory.standardizedFileURL.path
        guard let walker = FileManager.default.enumerator(atPath: base) else {
            throw RehearseError.badInput("\(base): not a readable directory.")
        }
        var result: [String] = []
        while let rel = walker.nextObject() as? String {
            var isDir: ObjCBool = false
            FileManager.default.fileExists(atPath: base + "/" + rel, isDirectory: &isDir)
            if !isDir.boolValue && rel != fileName { result.append(rel) }
        }
        return result.sorted()
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
        let sealURL = directory.appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: sealURL.path) else {
            return [Finding(kind: .missing, path: fileName)]
        }
        guard let text = String(data: data, encoding: .utf8) else {
            return [Finding(kind: .malformed, path: "\(fileName): not UTF-8")]
        }
        var sealed: [String: String] = [:]
        var findings: [Finding] = []
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.isEmpty && n == text.split(separator: "\n", omittingEmptySubsequences: false).count - 1 { continue }
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
        let present = Set(try files(in: directory))
        for path in sealed.keys.sorted() {
            guard present.contains(path) else { findings.append(Finding(kind: .missing, path: path)); continue }
            if try Digest.sha256Hex(fileAt: directory.appendingPathComponent(path)) != sealed[path] {
                findings.append(Finding(kind: .changed, path: path))
            }
        }
        for path in present.sorted() where sealed[path] == nil {
            findings.append(Finding(kind: .extra, path: path))
        }
        return findings
    }
}
