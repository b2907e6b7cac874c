import Foundation
import RehearseCore
import RehearseEvidence
import RehearseSurrogate

/// Where the migration readers get a directory's names and bytes: the
/// directory itself (a walk, recording what it listed and read), or the
/// copy a walk folder sealed (the validator reading the directory again, by
/// the layout's own rules, exactly as the walk read it).
package enum MigrationFileSource: Sendable {
    case disk(MigrationFileLog?)
    case recorded(MigrationRecordedDirectory)
}

/// What a reader read from the directory: each file's relative path and bytes.
package final class MigrationFileLog: @unchecked Sendable {
    private let lock = NSLock()
    private var files: [String: [UInt8]] = [:]

    package init() {}

    func note(_ relative: String, _ bytes: [UInt8]) {
        lock.lock()
        defer { lock.unlock() }
        files[relative] = bytes
    }

    package var read: [String: [UInt8]] {
        lock.lock()
        defer { lock.unlock() }
        return files
    }
}

/// A directory as a walk recorded it: its top-level entries and the bytes
/// of every file a reader read.
package struct MigrationRecordedDirectory: Sendable {
    package var topLevel: [String]
    /// Entries below the top-level folders that are not folders (relative paths).
    package var nested: [String] = []
    package var bytes: [String: [UInt8]]
}

/// `walk.json`'s `inventory`: every entry at the top of the migrations
/// directory (files with their SHA-256; folders and other kinds named) and
/// every file a reader read below it, each read file's bytes sealed in the
/// walk folder as `source/<sha256>` (by digest, so no file name of the
/// project becomes a path of the evidence).
package enum MigrationInventory {
    package static let sourceFolder = "source"

    /// Why a walk folder's inventory cannot be read.
    package struct Problem: Error { package var message: String }

    package struct Entry: Sendable, Equatable {
        package var path: String
        package var kind: String
        package var sha256: String?
        package var bytes: Int64?
        package var read: Bool

        package var json: JSONValue {
            ["path": .string(path), "kind": .string(kind), "sha256": sha256.map { .string($0) } ?? .null,
             "bytes": bytes.map { .integer($0) } ?? .null, "read": .bool(read)]
        }
    }

    /// The inventory of `directory` after a reader read `log`'s files.
    package static func take(_ directory: URL, log: MigrationFileLog) throws -> [Entry] {
        var entries: [String: Entry] = [:]
        let base = SurrogateSource.realPath(directory.path) ?? directory.path
        for name in try MigrationFiles.list(directory) {
            var st = stat()
            let path = base + "/" + name
            guard lstat(path, &st) == 0 else { entries[name] = Entry(path: name, kind: "unreadable", read: false); continue }
            switch st.st_mode & S_IFMT {
            case S_IFREG:
                let bytes = try? SurrogateSource.readConfined(path, display: name, key: "migration").bytes
                entries[name] = Entry(path: name, kind: "file", sha256: bytes.map { Digest.sha256Hex($0) }, bytes: Int64(st.st_size), read: false)
            case S_IFDIR: entries[name] = Entry(path: name, kind: "directory", read: false)
            case S_IFLNK: entries[name] = Entry(path: name, kind: "link", read: false)
            default: entries[name] = Entry(path: name, kind: "other", read: false)
            }
        }
        // Every entry below the top-level folders is inventoried too (W-F4):
        // Flyway and pop read sub-folders, and the validator must derive the
        // same "not read" steps the walk reported for them.
        for path in try MigrationFiles.nested(directory) {
            var st = stat()
            let full = base + "/" + path
            guard lstat(full, &st) == 0 else { entries[path] = Entry(path: path, kind: "unreadable", read: false); continue }
            if st.st_mode & S_IFMT == S_IFREG {
                let bytes = try? SurrogateSource.readConfined(full, display: path, key: "migration").bytes
                entries[path] = Entry(path: path, kind: "file", sha256: bytes.map { Digest.sha256Hex($0) }, bytes: Int64(st.st_size), read: false)
            } else {
                entries[path] = Entry(path: path, kind: st.st_mode & S_IFMT == S_IFLNK ? "link" : "other", read: false)
            }
        }
        for (path, bytes) in log.read {
            entries[path] = Entry(path: path, kind: "file", sha256: Digest.sha256Hex(bytes), bytes: Int64(bytes.count), read: true)
        }
        return entries.values.sorted { $0.path < $1.path }
    }

    /// Writes the read files' bytes under `source/` of the walk folder.
    package static func writeSources(_ log: MigrationFileLog, to folder: URL) throws {
        let dir = folder.appendingPathComponent(sourceFolder)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for bytes in log.read.values {
            let target = dir.appendingPathComponent(Digest.sha256Hex(bytes))
            if !FileManager.default.fileExists(atPath: target.path) { try Data(bytes).write(to: target) }
        }
    }

    package static func json(_ entries: [Entry]) -> JSONValue {
        ["count": .integer(Int64(entries.count)), "files": .array(entries.map(\.json))]
    }

    /// The directory a sealed walk folder records, or why it cannot be had.
    package static func recorded(_ index: JSONValue, in folder: RunFolder) -> Result<(MigrationRecordedDirectory, [Entry]), Problem> {
        guard let files = index["inventory"]?["files"]?.arrayValue, index["inventory"]?["count"]?.integerValue == Int64(files.count) else {
            return .failure(Problem(message: "has no inventory of the migrations directory (or its count does not match its files)"))
        }
        var entries: [Entry] = [], top: [String] = [], nested: [String] = [], bytes: [String: [UInt8]] = [:]
        for f in files {
            guard let path = f["path"]?.stringValue, let kind = f["kind"]?.stringValue, let read = f["read"]?.boolValue else {
                return .failure(Problem(message: "inventory entry \(f.canonicalString) lacks path, kind or read"))
            }
            let entry = Entry(path: path, kind: kind, sha256: f["sha256"]?.stringValue, bytes: f["bytes"]?.integerValue, read: read)
            if entries.contains(where: { $0.path == path }) { return .failure(Problem(message: "inventory lists \(path) twice")) }
            entries.append(entry)
            if !path.contains("/") { top.append(path) } else if kind != "directory" { nested.append(path) }
            if read {
                guard let digest = entry.sha256, let copy = folder.file(named: sourceFolder + "/" + digest), Digest.sha256Hex(copy) == digest else {
                    return .failure(Problem(message: "inventory file \(path) was read, but \(sourceFolder)/\(entry.sha256 ?? "?") does not hold bytes of its digest"))
                }
                bytes[path] = copy
            }
        }
        return .success((MigrationRecordedDirectory(topLevel: top.sorted(), nested: nested.sorted(), bytes: bytes), entries))
    }
}
