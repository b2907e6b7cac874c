import Foundation
import RehearseCore
import RehearseEvidence

/// A surrogate directory, resolved: its manifest and the files it names.
///
/// Inputs are confined (see ``read(_:key:dialect:)``): a manifest can name
/// only regular files of at most ``maxInputBytes`` inside its own directory or
/// a sibling surrogate's, reached without symbolic links; every byte is
/// checked by ``InputText``. All of it happens before anything is provisioned.
public struct SurrogateSource: Sendable {
    /// The surrogate directory, as given (it may be reached through links).
    public var directory: URL
    /// The parsed `manifest.yaml`.
    public var manifest: SurrogateManifest
    /// Whether `birth.sqlite.sql` wins over `birth.sql` on `sqlite`. Replay
    /// and reproduction turn it off: they need exactly the files sealed.
    public var resolvesDialectVariants = true
    /// The generator version the data is made with: this build's, or the
    /// version sealed evidence recorded when it is regenerated (SealedRun).
    package var generator = SurrogatePlan.generatorVersion
    /// Files this run already read, by relative path: later reads return these
    /// bytes, so the file run is the file digested and sealed, even if the
    /// disk changes in between.
    package var pinned: [String: InputFile] = [:]

    /// The largest input file accepted (64 MiB): a schema, script or profile
    /// bigger than that is not hand-written, and reading it would take memory
    /// from the scratch database.
    public static let maxInputBytes = 64 << 20

    /// A source from a manifest already in hand; nothing is read or checked until a file is.
    public init(directory: URL, manifest: SurrogateManifest) {
        self.directory = directory
        self.manifest = manifest
    }

    /// Loads `DIR/manifest.yaml`.
    public init(directory: URL) throws {
        let manifestURL = directory.appendingPathComponent(SurrogateManifest.fileName)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDir), isDir.boolValue else {
            throw RehearseError.badInput("\(directory.path): no such surrogate directory. Give a bundled surrogate's name or a directory holding a \(SurrogateManifest.fileName).")
        }
        let read: (bytes: Data, url: URL)
        do {
            // The directory may be reached through links (a bundled surrogate's
            // install path, say); the manifest in it may not be one.
            let real = (Self.realPath(directory.path) ?? directory.path) + "/" + SurrogateManifest.fileName
            read = try Self.readConfined(real, display: manifestURL.path, key: "manifest")
        } catch let error as InputRefusal where error.missing {
            throw RehearseError.badInput("\(manifestURL.path): the manifest is missing. A surrogate directory needs a \(SurrogateManifest.fileName); see surrogates/commerce for an example.")
        } catch let error as InputRefusal {
            throw RehearseError.badInput(error.message)
        }
        let text = try InputText.decode(read.bytes, file: manifestURL.path)
        self.directory = directory
        self.manifest = try SurrogateManifest(parsing: text, file: manifestURL.path)
        pinned[SurrogateManifest.fileName] = InputFile(key: "manifest", display: SurrogateManifest.fileName, url: read.url,
                                                       bytes: read.bytes, sha256: Digest.sha256Hex(read.bytes))
    }

    /// The file to use for `name` on an engine: `birth.sqlite.sql` wins over
    /// `birth.sql` when the engine is `sqlite`. A variant counts as present
    /// even when it is a symbolic link or not a regular file, so that
    /// ``read(_:key:dialect:)`` refuses it rather than quietly using the base.
    public func file(_ name: String, dialect: Dialect) -> (url: URL, display: String) {
        let base = directory.appendingPathComponent(name)
        let ext = base.pathExtension
        if resolvesDialectVariants && !ext.isEmpty {
            let variantName = (name as NSString).deletingPathExtension + ".\(dialect).\(ext)"
            let variant = directory.appendingPathComponent(variantName)
            var st = stat()
            if lstat(variant.path, &st) == 0 { return (variant, variantName) }
        }
        return (base, name)
    }

    /// The manifest key whose value is `name`, for messages.
    package func key(naming name: String) -> String {
        let m = manifest
        let keyed: [(String, String?)] = [("schema", m.schema), ("profile", m.profile), ("birth", m.birth), ("rollback", m.rollback),
                                          ("checks.after_birth", m.checksAfterBirth), ("checks.after_rollback", m.checksAfterRollback)]
        return keyed.first { $0.1 == name }?.0 ?? "file"
    }

    /// Reads `name` (or its dialect variant) by the rules of ``read(_:key:dialect:)`` as a script; throws bad input (exit 2) on any refusal.
    public func script(_ name: String, dialect: Dialect) throws -> SQLScript {
        try SQLScript(file: read(name, key: key(naming: name), dialect: dialect))
    }

    /// Reads the input the manifest names under `key`, once, by the rules of
    /// confinement (every refusal is bad input, exit 2, naming the key, the
    /// path and the rule):
    /// - the path is relative, without control characters or white space at
    ///   its ends (they make a name that looks like another);
    /// - resolved, it lies inside the surrogate directory, or inside a
    ///   sibling surrogate (a directory beside it that holds a manifest.yaml),
    ///   so `../commerce/schema.sql` works and `../../etc/passwd` does not;
    /// - no part of it is a symbolic link (checked with lstat and realpath),
    ///   so a link cannot lead out, nor turn into another file later;
    /// - it is a regular file (not a directory, FIFO or device), with one
    ///   link only (a hard link may be another directory's file), of at most
    ///   ``maxInputBytes``, as fstat on the opened descriptor says;
    /// - its bytes pass ``InputText``.
    /// A dialect variant obeys the same rules.
    public func read(_ name: String, key: String, dialect: Dialect) throws -> InputFile {
        try Self.checkPathText(name, key: key)
        let (url, display) = file(name, dialect: dialect)
        if let file = pinned[display] { return file }
        let what = display == name ? "'\(key)' names \(display)" : "\(display), the \(dialect) variant of '\(key)' (\(name))"
        let resolved: (bytes: Data, url: URL)
        do {
            let path = try confinedPath(display, what: what)
            resolved = try Self.readConfined(path, display: display, key: key)
        } catch let error as InputRefusal where error.missing {
            throw RehearseError.badInput("\(display): the file is missing or unreadable (looked at \(url.path)). Create it or fix '\(key)' in the manifest.")
        } catch let error as InputRefusal {
            throw RehearseError.badInput("\(SurrogateManifest.fileName): \(what), which \(error.message)")
        }
        _ = try InputText.decode(resolved.bytes, file: display)
        return InputFile(key: key, display: display, url: resolved.url, bytes: resolved.bytes, sha256: Digest.sha256Hex(resolved.bytes))
    }

    /// A copy whose reads return `files` instead of reading the disk again.
    package func pinning(_ files: [InputFile]) -> SurrogateSource {
        var copy = self
        for f in files { copy.pinned[f.display] = f }
        return copy
    }

    /// The manifest as read when this source was loaded, if it was.
    package var manifestFile: InputFile? { pinned[SurrogateManifest.fileName] }

    package struct InputRefusal: Error {
        package var message: String
        package var missing = false
    }

    package static func checkPathText(_ name: String, key: String) throws {
        let where_ = "\(SurrogateManifest.fileName): '\(key)'"
        if name.isEmpty {
            throw RehearseError.badInput("\(where_) is empty. Name a file relative to the surrogate directory.")
        }
        if name.hasPrefix("/") || name.hasPrefix("~") {
            throw RehearseError.badInput("\(where_) names the absolute path \(name). Paths in a manifest are relative to the surrogate directory; copy the file into it and name it relatively.")
        }
        if name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F || (0x80...0x9F).contains($0.value) }) {
            throw RehearseError.badInput("\(where_) holds a control character. Name the file with printable characters only.")
        }
        if name.first?.isWhitespace == true || name.last?.isWhitespace == true {
            throw RehearseError.badInput("\(where_) names '\(name)', which begins or ends with white space, so it looks like another file. Remove the spaces (quote the value if the file's name really has them and rename the file).")
        }
    }

    /// The path of `relative` with `.` and `..` resolved as text against the
    /// surrogate directory's real path, after checking it stays inside the
    /// directory or a sibling surrogate.
    package func confinedPath(_ relative: String, what: String) throws -> String {
        guard let base = Self.realPath(directory.path) else {
            throw InputRefusal(message: "cannot be resolved because the surrogate directory \(directory.path) cannot be.")
        }
        var parts = base.split(separator: "/").map(String.init)
        let baseDepth = parts.count
        for part in relative.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..":
                // Above the root, `..` stays at the root, as the system resolves it.
                if !parts.isEmpty { parts.removeLast() }
            default: parts.append(String(part))
            }
        }
        let path = "/" + parts.joined(separator: "/")
        let outside = "lies outside the surrogate directory \(base) and its sibling surrogates (resolved: \(path)). An input must be a file inside the surrogate's directory, or inside a sibling surrogate (a directory beside it with a \(SurrogateManifest.fileName), as in ../commerce/schema.sql); copy the file there."
        if parts.count > baseDepth && Array(parts.prefix(baseDepth)) == base.split(separator: "/").map(String.init) {
            return path
        }
        // A sibling: the same parent, then a directory holding a manifest.
        let parent = Array(base.split(separator: "/").map(String.init).dropLast())
        guard baseDepth >= 1, parts.count > parent.count + 1, Array(parts.prefix(parent.count)) == parent else {
            throw InputRefusal(message: outside)
        }
        let sibling = "/" + parts.prefix(parent.count + 1).joined(separator: "/")
        var st = stat()
        guard lstat(sibling + "/" + SurrogateManifest.fileName, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw InputRefusal(message: "lies in \(sibling), which is not a surrogate directory (it holds no \(SurrogateManifest.fileName)). \(outside)")
        }
        // `manifest.yaml` is a common name (Kubernetes, CI tools): only a
        // folder whose manifest is a rehearse manifest is a sibling
        // surrogate, so a neighbouring project's secrets are never an input.
        guard st.st_size <= Self.maxInputBytes, let data = FileManager.default.contents(atPath: sibling + "/" + SurrogateManifest.fileName),
              let text = String(data: data, encoding: .utf8),
              (try? SurrogateManifest(parsing: text, file: sibling + "/" + SurrogateManifest.fileName)) != nil else {
            throw InputRefusal(message: "lies in \(sibling), which is not a surrogate directory (its \(SurrogateManifest.fileName) is not a rehearse manifest). \(outside)")
        }
        return path
    }

    /// Reads a confined path: lstat (exists, not a link, a regular file),
    /// realpath (no linked directory on the way), then open without following
    /// links, fstat on the descriptor (the same file, one link, not too big),
    /// and read at most one byte more than the limit.
    package static func readConfined(_ path: String, display: String, key: String) throws -> (bytes: Data, url: URL) {
        var st = stat()
        guard lstat(path, &st) == 0 else {
            if errno == ENOENT || errno == ENOTDIR { throw InputRefusal(message: "", missing: true) }
            throw InputRefusal(message: "cannot be examined (\(String(cString: strerror(errno)))). Check its permissions.")
        }
        let kind = st.st_mode & S_IFMT
        if kind == S_IFLNK {
            throw InputRefusal(message: "is a symbolic link. Inputs must be regular files: a link can lead outside the surrogate or change between the run and the seal. Replace the link with a copy of the file.")
        }
        guard kind == S_IFREG else {
            throw InputRefusal(message: "is \(describe(kind)), not a regular file. Name a regular file.")
        }
        guard let real = realPath(path), real == path else {
            throw InputRefusal(message: "is reached through a symbolic link (a directory on its path is a link, resolving to \(realPath(path) ?? "?")). Use the real directory, or copy the file into the surrogate.")
        }
        let fd = openFile(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            throw InputRefusal(message: "cannot be opened (\(String(cString: strerror(errno)))). Check its permissions.")
        }
        defer { closeFile(fd) }
        var fst = stat()
        guard fstat(fd, &fst) == 0, (fst.st_mode & S_IFMT) == S_IFREG, fst.st_dev == st.st_dev, fst.st_ino == st.st_ino else {
            throw InputRefusal(message: "changed while it was being opened. Run again when nothing is writing the surrogate.")
        }
        guard fst.st_nlink == 1 else {
            throw InputRefusal(message: "has \(fst.st_nlink) hard links; a hard link can make a file from elsewhere look like the surrogate's own. Replace it with a copy of the file.")
        }
        let limit = maxInputBytes
        guard fst.st_size <= limit else {
            throw InputRefusal(message: "is \(fst.st_size) bytes, more than the \(limit >> 20) MiB limit for an input file. Inputs are hand-written SQL and YAML; shrink the file.")
        }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { readBytes(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw InputRefusal(message: "cannot be read (\(String(cString: strerror(errno)))).")
            }
            if n == 0 { break }
            data.append(contentsOf: buffer[0..<n])
            if data.count > limit {
                throw InputRefusal(message: "grew past the \(limit >> 20) MiB limit for an input file while it was read. Shrink the file.")
            }
        }
        return (data, URL(fileURLWithPath: path))
    }

    package static func realPath(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

    private static func describe(_ kind: mode_t) -> String {
        switch kind {
        case S_IFDIR: "a directory"
        case S_IFIFO: "a FIFO (named pipe)"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFSOCK: "a socket"
        default: "not a regular file"
        }
    }

    /// Finds a surrogate by name or path. A value with a `/`, or naming an
    /// existing directory, is a path; otherwise it is a bundled name looked up
    /// in `$REHEARSE_SURROGATES_PATH`, `./surrogates`, and beside the executable.
    public static func locate(_ nameOrPath: String, executable: URL? = nil) throws -> SurrogateSource {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if nameOrPath.contains("/") || (fm.fileExists(atPath: nameOrPath, isDirectory: &isDir) && isDir.boolValue) {
            return try SurrogateSource(directory: URL(fileURLWithPath: nameOrPath).standardizedFileURL)
        }
        let roots = searchRoots(executable: executable)
        for root in roots {
            let dir = root.appendingPathComponent(nameOrPath)
            if fm.fileExists(atPath: dir.appendingPathComponent(SurrogateManifest.fileName).path) {
                return try SurrogateSource(directory: dir.standardizedFileURL)
            }
        }
        let known = Set(roots.flatMap { root in
            ((try? fm.contentsOfDirectory(atPath: root.path)) ?? []).filter {
                fm.fileExists(atPath: root.appendingPathComponent($0).appendingPathComponent(SurrogateManifest.fileName).path)
            }
        }).sorted()
        let listed = known.isEmpty ? "none were found" : known.joined(separator: ", ")
        throw RehearseError.badInput("Unknown surrogate '\(nameOrPath)'. Known surrogates: \(listed) (looked in \(roots.map(\.path).joined(separator: ", "))). Give one of those names, or a path to a directory holding a \(SurrogateManifest.fileName).")
    }

    package static func searchRoots(executable: URL?) -> [URL] {
        // Binary-relative share dir, then $REHEARSE_SURROGATES_PATH, then ./surrogates (Support/Resources.swift).
        Resources.surrogateSearchRoots(executable: executable)
    }
}

// The system calls under names no member of SurrogateSource shadows.
private func readBytes(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int { read(fd, buffer, count) }
private func openFile(_ path: String, _ flags: Int32) -> Int32 { open(path, flags) }
private func closeFile(_ fd: Int32) { close(fd) }
