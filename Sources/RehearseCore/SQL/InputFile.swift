import Foundation

/// One input of a surrogate, read once: the bytes that were checked and
/// digested are the bytes the run uses and the evidence seals.
public struct InputFile: Sendable {
    /// The manifest key that names it (`schema`, `checks.after_birth`, ...).
    public var key: String
    /// The path as the manifest names it (or its dialect variant), relative
    /// to the surrogate directory.
    public var display: String
    /// Where it was read: the resolved path, free of symbolic links.
    public var url: URL
    /// The exact bytes read, checked and digested.
    public var bytes: Data
    /// The SHA-256 of ``bytes``, as lowercase hex.
    public var sha256: String

    /// An input already read; the caller vouches that `sha256` is the digest of `bytes`.
    public init(key: String, display: String, url: URL, bytes: Data, sha256: String) {
        self.key = key
        self.display = display
        self.url = url
        self.bytes = bytes
        self.sha256 = sha256
    }
}
