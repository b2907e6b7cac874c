import Crypto
import Foundation

/// SHA-256 helpers. Digests are written as lowercase hex everywhere: evidence,
/// seals and fingerprints, so `sha256sum` can check any of them.
package enum Digest {
    package static func sha256Hex<D: DataProtocol>(_ data: D) -> String {
        hex(SHA256.hash(data: data))
    }

    package static func sha256Hex(_ string: String) -> String {
        sha256Hex(Array(string.utf8))
    }

    /// Hashes a file in fixed-size chunks so memory stays flat on large inputs.
    package static func sha256Hex(fileAt url: URL) throws -> String {
        guard let handle = try? FileHandle(forReadingFrom: url) else {
            throw RehearseError.badInput("Cannot read \(url.path): the file is missing or not readable. Check the path and its permissions.")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
        }
        return hex(hasher.finalize())
    }

    package static func hex<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    package static func isSHA256Hex(_ s: String) -> Bool {
        guard s.utf8.count == 64 else { return false }
        for c in s.utf8 {
            switch c {
            case 48...57, 97...102: continue
            default: return false
            }
        }
        return true
    }
}
