import Foundation

/// Checks, before any work starts, that a folder rehearse will write (the
/// run folder, `--out`) can be created and written.
///
/// Without it an unusable `--out` (under /proc, through a dangling link,
/// below a regular file, in a read-only folder) surfaced only after the whole
/// rehearsal, as Foundation's "The file doesn’t exist. (NSCocoaErrorDomain
/// error 512.)". Permission bits cannot answer the question (root ignores
/// them, a read-only mount does not show in them), so the test that decides
/// is a probe file created in the nearest existing folder and removed again.
package enum OutputLocation {
    /// Folders that are views of the kernel or of devices, not storage: a
    /// folder there either cannot be made or would not hold evidence.
    package static let pseudoRoots = ["/proc", "/sys", "/dev"]

    /// Throws bad input (exit 2) with a sentence when `directory` cannot
    /// become a run folder. `option` names where the path came from.
    package static func check(_ directory: URL, option: String = "--out") throws {
        try check(directory, shown: directory.standardizedFileURL.path, option: option,
                  advice: "Give \(option) a new or empty folder on a writable disk.")
    }

    /// For an option naming a new file (`generate --out FILE`): its folder must
    /// pass the same check, and nothing (not even a dangling link, which
    /// SQLite would follow) may exist at the file's own path.
    package static func checkNewFile(_ file: URL, option: String = "--out") throws {
        let path = file.standardizedFileURL.path
        let advice = "Give \(option) a new file name in a writable folder."
        var st = stat()
        if lstat(path, &st) == 0 {
            throw RehearseError.badInput(st.st_mode & S_IFMT == S_IFLNK
                ? "\(option) \(path) is a symbolic link; rehearse never writes through a link. \(advice)"
                : "\(path) already exists. Give \(option) a new file name; rehearse never overwrites a database.")
        }
        try check(file.deletingLastPathComponent(), shown: path, option: option, advice: advice)
    }

    package static func check(_ directory: URL, shown: String, option: String, advice: String) throws {
        let path = directory.standardizedFileURL.path
        func refuse(_ why: String) -> RehearseError {
            .badInput("\(option) \(shown): \(why). \(advice)")
        }
        // Walk down from the root: every existing component must be a folder
        // (or a link to one); the first missing one ends the walk.
        var nearest = "/"
        var current = ""
        let components = path.split(separator: "/", omittingEmptySubsequences: true)
        for (index, component) in components.enumerated() {
            current += "/" + component
            var st = stat()
            guard lstat(current, &st) == 0 else {
                if errno == ENOENT { break }
                throw refuse("\(current) cannot be examined (\(SystemErrorText.posix(errno)))")
            }
            if st.st_mode & S_IFMT == S_IFLNK {
                var target = stat()
                guard stat(current, &target) == 0 else {
                    let points = (try? FileManager.default.destinationOfSymbolicLink(atPath: current)).map { " to \($0)" } ?? ""
                    throw refuse("\(current) is a symbolic link\(points), which does not exist (a dangling link)")
                }
                st = target
            }
            guard st.st_mode & S_IFMT == S_IFDIR else {
                let what = st.st_mode & S_IFMT == S_IFREG ? "a file" : "not a folder"
                throw refuse(index == components.count - 1 && shown == path ? "it is \(what), not a folder" : "\(current) is \(what), so nothing can be created below it")
            }
            nearest = current
        }
        // The nearest folder as resolved, so a link into /proc counts as /proc.
        let resolved = URL(fileURLWithPath: nearest).resolvingSymlinksInPath().path
        if let root = pseudoRoots.first(where: { resolved == $0 || resolved.hasPrefix($0 + "/") }) {
            throw refuse((resolved == root ? root : "\(resolved) is under \(root), which") + " holds views of the kernel or devices, not files")
        }
        // The probe: created exclusively, never following a link, then removed.
        let probe = (nearest == "/" ? "" : nearest) + "/.rehearse-probe-\(getpid())-\(UUID().uuidString.prefix(8))"
        let fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw refuse("rehearse cannot create files in \(nearest) (\(SystemErrorText.posix(errno)))")
        }
        let wrote = write(fd, "x", 1)
        let writeError = errno
        close(fd)
        unlink(probe)
        guard wrote == 1 else {
            throw refuse("rehearse cannot write files in \(nearest) (\(SystemErrorText.posix(writeError)))")
        }
    }
}

extension OutputLocation {
    /// Writes `bytes` to a file that must not exist yet, created exclusively
    /// (`O_CREAT | O_EXCL`, links not followed), so no earlier file is ever
    /// overwritten, not even one that appears between a check and the write.
    /// `what` names the file in messages ("a grant").
    package static func createNew(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644, what: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else {
            if errno == EEXIST {
                throw RehearseError.badInput("\(path) already exists. Choose another --out; rehearse never overwrites \(what).")
            }
            throw RehearseError.environment("Cannot write \(path) (\(String(cString: strerror(errno)))). Check that its folder exists and is writable.")
        }
        defer { close(fd) }
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else {
                let reason = String(cString: strerror(errno))
                unlink(path)
                throw RehearseError.environment("Cannot write \(path) (\(reason)). Check the disk and retry.")
            }
            written += n
        }
    }
}
