import CLibPQ
import Foundation

/// A server the user names with `--pg-url` (a libpq URI or key=value string),
/// accepted only when every host is a Unix-socket directory or a loopback
/// address. `localhost` is pinned to 127.0.0.1 so no resolver or hosts file
/// can send it elsewhere; services (which read a service file) are refused.
public struct PostgresServerAddress: Sendable {
    /// libpq keywords; `dbname` is the maintenance database (default `postgres`).
    public var parameters: [String: String]
    /// `none` for a Unix socket, `loopback` for TCP to this machine.
    public var network: String
    /// What evidence records about where the server is.
    public var host: String
    /// The database the connection string named, if it named one.
    public var namedDatabase: String?

    public init(parsing url: String) throws {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(url, &errorMessage) else {
            let detail = errorMessage.map { String(cString: $0).trimmingCharacters(in: .whitespacesAndNewlines) } ?? "unreadable"
            if let errorMessage { PQfreemem(errorMessage) }
            throw RehearseError.badInput("--pg-url: \(detail). Give a libpq connection string, e.g. postgresql:///postgres?host=/var/run/postgresql or 'host=127.0.0.1 port=5432 user=me'.")
        }
        defer { PQconninfoFree(options) }
        var parameters: [String: String] = [:]
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val {
                parameters[String(cString: keyword)] = String(cString: value)
            }
            option += 1
        }
        try self.init(parameters: parameters)
    }

    init(parameters given: [String: String]) throws {
        var parameters = given.filter { !$0.value.isEmpty }
        if let service = parameters["service"] {
            throw RehearseError.refused("--pg-url names the service '\(service)': a service file can point anywhere, so rehearse does not read one. Give the socket directory or loopback address itself (host=...).")
        }
        func list(_ key: String) -> [String] {
            guard let v = parameters[key] else { return [] }
            return v.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingCharacters(in: .whitespaces) }
        }
        let hosts = list("host"), addrs = list("hostaddr")
        if !hosts.isEmpty, !addrs.isEmpty, hosts.count != addrs.count {
            throw RehearseError.refused("--pg-url lists \(hosts.count) host(s) but \(addrs.count) hostaddr value(s): rehearse cannot tell which address each host means, so it connects to none. Give one list, or lists of the same length.")
        }
        // Every entry of either list is checked, and hostaddr is rewritten
        // from the checked entries: libpq never sees an address we did not.
        var network = "none"
        var pinned: [String] = []
        for i in 0..<max(hosts.count, addrs.count, 1) {
            let host = i < hosts.count ? hosts[i] : ""
            let addr = i < addrs.count ? addrs[i] : ""
            if !addr.isEmpty {
                guard Self.isLoopback(addr) else { throw Self.refusal(addr) }
                network = "loopback"
                pinned.append(addr)
            } else if host.isEmpty || host.hasPrefix("/") || host.hasPrefix("@") {
                pinned.append("")  // a Unix socket (the default directory when empty)
            } else if host.lowercased() == "localhost" {
                network = "loopback"
                pinned.append("127.0.0.1")
            } else if Self.isLoopback(host) {
                network = "loopback"
                pinned.append(host)
            } else {
                throw Self.refusal(host)
            }
        }
        if pinned.contains(where: { !$0.isEmpty }) {
            // hostaddr is used as is, without name resolution.
            parameters["hostaddr"] = pinned.joined(separator: ",")
        } else {
            parameters["hostaddr"] = nil
        }
        // For a rehearsal, the database named is only where rehearse connects
        // to create and drop its own scratch database.
        namedDatabase = parameters["dbname"]
        if parameters["dbname"] == nil { parameters["dbname"] = "postgres" }
        parameters["application_name"] = "rehearse"
        if parameters["connect_timeout"] == nil { parameters["connect_timeout"] = "10" }
        self.parameters = parameters
        self.network = network
        host = hosts.map { $0.isEmpty ? "(default socket directory)" : $0 }.joined(separator: ",")
    }

    static func refusal(_ host: String) -> RehearseError {
        .refused("--pg-url points at \(host), which is not this machine: rehearse only connects to a Unix socket or a loopback address (127.0.0.0/8, ::1), so a rehearsal can never reach a shared or production server. Run the server locally, or leave out --pg-url to get a private ephemeral cluster.")
    }

    static func isLoopback(_ text: String) -> Bool {
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
