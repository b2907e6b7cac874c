import Foundation

/// Removes a directory tree without following anything in it: every entry
/// is examined and removed relative to an open descriptor of its directory,
/// and a subdirectory is entered only through `O_NOFOLLOW | O_DIRECTORY`.
/// A tree another (less privileged) user can write into (a cluster's data
/// directory, a directory the dump reader may write) may change while root
/// removes it: a subdirectory swapped for a symlink after it was listed must
/// not make root unlink files wherever the link points (attack-d15 D-F1b).
/// A path-based walk (FileManager.removeItem) resolves every name again.
package enum SafeRemoval {
    /// Removes `path` (a file, a link, or a directory and all it holds);
    /// true when nothing is left at `path`.
    @discardableResult
    package static func removeTree(_ path: String) -> Bool {
        let parent = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let parentFD = open(parent.isEmpty ? "." : parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard parentFD >= 0 else { return false }
        defer { close(parentFD) }
        remove(name, in: parentFD, depth: 0)
        var st = stat()
        return fstatat(parentFD, name, &st, AT_SYMLINK_NOFOLLOW) != 0
    }

    /// Deeper trees are left (and reported by the caller's check): no
    /// scratch tree rehearse makes is this deep.
    static let maxDepth = 128

    static func remove(_ name: String, in dirFD: Int32, depth: Int) {
        var st = stat()
        guard fstatat(dirFD, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { return }
        if st.st_mode & S_IFMT != S_IFDIR {
            unlinkat(dirFD, name, 0)
            return
        }
        guard depth < maxDepth else { return }
        let fd = openat(dirFD, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        if fd < 0 {
            // Swapped for a link or file since the stat: remove the entry itself.
            if errno == ELOOP || errno == ENOTDIR { unlinkat(dirFD, name, 0) }
            return
        }
        for child in entries(fd) { remove(child, in: fd, depth: depth + 1) }
        close(fd)
        unlinkat(dirFD, name, AT_REMOVEDIR)
    }

    /// The names in an open directory, `.` and `..` left out.
    static func entries(_ fd: Int32) -> [String] {
        let copy = dup(fd)
        guard copy >= 0, let dir = fdopendir(copy) else {
            if copy >= 0 { close(copy) }
            return []
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let bytes = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if bytes == [46] || bytes == [46, 46] { continue }
            // A name that is not UTF-8 cannot round-trip through String: it is
            // removed through its raw bytes.
            guard let name = String(validating: bytes, as: UTF8.self) else {
                var raw = bytes.map { CChar(bitPattern: $0) } + [0]
                var st = stat()
                if fstatat(fd, &raw, &st, AT_SYMLINK_NOFOLLOW) == 0 {
                    unlinkat(fd, &raw, st.st_mode & S_IFMT == S_IFDIR ? AT_REMOVEDIR : 0)
                }
                continue
            }
            names.append(name)
        }
        return names
    }
}
