#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Loopback addresses, as the connection checks and the validator read them.
package enum LoopbackAddress {
    /// A literal loopback address as inet_pton reads it: dotted-quad IPv4 in
    /// 127.0.0.0/8 (not "127.1", "0x7f.1" or "2130706433", which only the
    /// resolver's looser rules read), ::1, or ::ffff:127.x.y.z. No zone index,
    /// no brackets.
    package static func isLiteral(_ text: String) -> Bool {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return UInt32(bigEndian: v4.s_addr) >> 24 == 127
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            let bytes = withUnsafeBytes(of: v6) { Array($0) }
            if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return true }  // ::1
            // ::ffff:127.x.y.z
            if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff { return bytes[12] == 127 }
        }
        return false
    }
}
