import Foundation

/// The files of a run folder (or any sealed folder), read into memory once:
/// relative path → bytes. The validator and the seal check work on this, so
/// they see one consistent snapshot and can be fuzzed without a disk.
public struct RunFolder: Sendable {
    public var files: [String: [UInt8]]

    /// Folders larger than this are refused: evidence folders are small, and a
    /// validator must not be made to read without bound.
    public static let maxTotalBytes = 256 << 20

    public init(files: [String: [UInt8]]) {
        self.files = files
    }

    public init(directory: URL) throws {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: directory.path, isDirectory: &isDir), isDir.boolValue,
              let walker = fm.enumerator(atPath: directory.path) else {
            throw RehearseError.badInput("\(directory.path): no such run folder. Give a folder a rehearsal wrote (it holds evidence.json and SEAL.sha256), or another sealed folder.")
        }
        var files: [String: [UInt8]] = [:]
        var total = 0
        while let rel = walker.nextObject() as? String {
            let url = directory.appendingPathComponent(rel)
            let values = try? url.resourceValues(forKeys: [.isRegularFileKey, .isDirectoryKey])
            if values?.isDirectory == true { continue }
            guard values?.isRegularFile == true else {
                throw RehearseError.badInput("\(url.path): not a regular file (a link or device). A sealed folder holds regular files only.")
            }
            guard let data = fm.contents(atPath: url.path) else {
                throw RehearseError.environment("\(url.path): cannot be read. Check its permissions.")
            }
            total += data.count
            if total > Self.maxTotalBytes {
                throw RehearseError.badInput("\(directory.path): holds more than \(Self.maxTotalBytes >> 20) MiB; that is not a run folder.")
            }
            files[rel] = [UInt8](data)
        }
        self.files = files
    }

    /// Relative paths in byte order.
    public var paths: [String] {
        files.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }
}
