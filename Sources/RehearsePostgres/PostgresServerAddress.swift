import CLibPQ
import Foundation
import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

/// A server the user names with `--pg-url` (a libpq URI or key=value string),
/// accepted only when every host is a Unix-socket directory or a loopback
/// address. The text is parsed once, by libpq itself (`PQconninfoParse`), and
/// the parsed values are checked byte for byte, never trimmed or normalized:
/// what is checked is exactly what libpq is then given, as keywords
/// (`PQconnectdbParams`, `expand_dbname = 0`), never as text to parse again.
/// After connecting, `PostgresEndpoint.verify` checks where the connection
/// actually went (libpq's own report and the server's `inet_server_addr()`).
public struct PostgresServerAddress: Sendable {
    /// libpq keywords; `dbname` is the maintenance database (default `postgres`).
    public var parameters: [String: String]
    /// `none` when every host is a Unix socket, `loopback` when one is TCP to
    /// this machine. Evidence records what the server reported instead.
    public var network: String
    /// What messages say about where the server is.
    public var host: String
    /// The database the connection string named, if it named one.
    public var namedDatabase: String?

    /// Keywords accepted, each for a reason:
    /// - `host`, `hostaddr`, `port`: checked entry by entry (see `init(parameters:)`);
    /// - `dbname`, `user`, `password`: who and which database; `dbname` is
    ///   passed with expand_dbname = 0, so it is a name, never a connection string;
    /// - `connect_timeout`, `keepalives*`, `tcp_user_timeout`: numbers that
    ///   only tune waiting;
    /// - `application_name`, `fallback_application_name`: replaced by `rehearse`;
    /// - `sslmode` (disable, allow, prefer, require), `channel_binding`,
    ///   `requirepeer`, `require_auth`, `gssencmode=disable`: they only
    ///   restrict the connection.
    package static let accepted: Set<String> = [
        "host", "hostaddr", "port", "dbname", "user", "password", "connect_timeout", "application_name",
        "fallback_application_name", "sslmode", "channel_binding", "requirepeer", "require_auth", "gssencmode",
        "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout",
    ]

    /// Keywords refused (exit 3), with the reason given to the user. Any
    /// keyword in neither list (a newer libpq's) is refused too.
    package static let refusedKeywords: [String: String] = [
        "service": "a service file can point anywhere",
        "servicefile": "a service file can point anywhere",
        "passfile": "rehearse reads no file the connection string names; give password= instead",
        "options": "server options (-c ...) change how the session behaves (session_replication_role, search_path, read-only defaults), so the rehearsal would not be what the scripts do",
        "target_session_attrs": "the host would be chosen by the servers' state, not by the order given",
        "load_balance_hosts": "the host would be chosen at random, not by the order given",
        "replication": "a replication connection is a different protocol that can stream another server's data",
        "krbsrvname": "Kerberos asks a key distribution center, another host",
        "gsslib": "Kerberos asks a key distribution center, another host",
        "gssdelegation": "Kerberos asks a key distribution center, another host",
        "client_encoding": "rehearse sends and reads UTF-8 only",
        "sslcert": "rehearse reads no file the connection string names (loopback needs no TLS files)",
        "sslkey": "rehearse reads no file the connection string names (loopback needs no TLS files)",
        "sslrootcert": "rehearse reads no file the connection string names (loopback needs no TLS files)",
        "sslcrl": "rehearse reads no file the connection string names (loopback needs no TLS files)",
        "sslcrldir": "rehearse reads no file the connection string names (loopback needs no TLS files)",
        "sslpassword": "rehearse reads no file the connection string names (loopback needs no TLS files)",
        "sslcertmode": "rehearse reads no file the connection string names (loopback needs no TLS files)",
        "sslsni": "TLS tuning a loopback connection does not need",
        "sslcompression": "TLS tuning a loopback connection does not need",
        "ssl_min_protocol_version": "TLS tuning a loopback connection does not need",
        "ssl_max_protocol_version": "TLS tuning a loopback connection does not need",
        "sslnegotiation": "TLS tuning a loopback connection does not need",
    ]

    /// Parses `--pg-url` with libpq and checks every parameter; throws a ``RehearseError`` of code `badInput` (exit 2) when
    /// libpq cannot parse it and of code `refused` (exit 3) for a parameter, host or address it does not accept.
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

    package init(parameters given: [String: String]) throws {
        for key in given.keys.sorted() where !Self.accepted.contains(key) {
            let why = Self.refusedKeywords[key] ?? "rehearse does not know what it would change"
            throw RehearseError.refused("--pg-url sets '\(key)': \(why). Remove \(key) from --pg-url; rehearse accepts only \(Self.accepted.sorted().joined(separator: ", ")).")
        }
        var parameters = given
        for (key, value) in given where ["connect_timeout", "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout"].contains(key) {
            guard !value.isEmpty, value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), value.utf8.count <= 9 else {
                throw RehearseError.refused("--pg-url sets \(key) to '\(Self.visible(value))', which is not a whole number of seconds. Give digits only.")
            }
        }
        if let mode = given["sslmode"], !["disable", "allow", "prefer", "require"].contains(mode) {
            throw RehearseError.refused("--pg-url sets sslmode=\(Self.visible(mode)): only disable, allow, prefer or require are accepted (the verify modes read certificate files; a loopback connection needs none).")
        }
        if let mode = given["gssencmode"], mode != "disable" {
            throw RehearseError.refused("--pg-url sets gssencmode=\(Self.visible(mode)): GSSAPI asks a Kerberos server, another host. Leave gssencmode out (rehearse sets disable).")
        }
        let hosts = try Self.list("host", given), addrs = try Self.list("hostaddr", given), ports = try Self.list("port", given)
        if !hosts.isEmpty, !addrs.isEmpty, hosts.count != addrs.count {
            throw RehearseError.refused("--pg-url lists \(hosts.count) host(s) but \(addrs.count) hostaddr value(s): rehearse cannot tell which address each host means, so it connects to none. Give one list, or lists of the same length.")
        }
        let count = max(hosts.count, addrs.count, 1)
        if ports.count > 1, ports.count != count {
            throw RehearseError.refused("--pg-url lists \(ports.count) ports for \(count) host(s). Give one port, or one per host.")
        }
        for port in ports where !port.isEmpty {
            guard port.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), port.utf8.count <= 5, let n = Int(port), (1...65535).contains(n) else {
                throw RehearseError.refused("--pg-url gives port '\(Self.visible(port))', which is not a port number (1 to 65535, digits only).")
            }
        }
        // Every entry of both lists is checked as it is, and hostaddr is
        // rewritten from the checked entries: libpq never resolves a name
        // and never sees an address that was not checked.
        var network = "none"
        var pinned: [String] = []
        for i in 0..<count {
            let host = i < hosts.count ? hosts[i] : ""
            let addr = i < addrs.count ? addrs[i] : ""
            let hostKind = try Self.classify(host: host)
            if !addr.isEmpty {
                guard Self.isLoopback(addr) else { throw Self.refusal(addr, keyword: "hostaddr") }
                network = "loopback"
                pinned.append(addr)
                continue
            }
            switch hostKind {
            case .socket: pinned.append("")
            case .localhost:
                network = "loopback"
                pinned.append("127.0.0.1")
            case .loopback:
                network = "loopback"
                pinned.append(host)
            }
        }
        parameters["hostaddr"] = pinned.contains { !$0.isEmpty } ? pinned.joined(separator: ",") : nil
        if hosts.allSatisfy(\.isEmpty) { parameters["host"] = nil }
        if ports.allSatisfy(\.isEmpty) { parameters["port"] = nil }
        // For a rehearsal, the database named is only where rehearse connects
        // to create and drop its own scratch database.
        namedDatabase = given["dbname"].flatMap { $0.isEmpty ? nil : $0 }
        if namedDatabase == nil { parameters["dbname"] = "postgres" }
        for key in ["user", "password"] where parameters[key]?.isEmpty == true { parameters[key] = nil }
        parameters["application_name"] = "rehearse"
        parameters["fallback_application_name"] = nil
        if parameters["connect_timeout"] == nil { parameters["connect_timeout"] = "10" }
        self.parameters = parameters
        self.network = network
        host = (0..<count).map { i in
            let h = i < hosts.count ? hosts[i] : ""
            return h.isEmpty ? (i < addrs.count && !addrs[i].isEmpty ? addrs[i] : "(default socket directory)") : h
        }.joined(separator: ",")
    }

    package enum HostKind { case socket, localhost, loopback }

    /// One host entry: empty (libpq's default socket directory), an absolute
    /// path to an existing directory, `@name` (a Linux abstract socket, which
    /// lives in this machine's network namespace), exactly `localhost`
    /// (pinned to 127.0.0.1 so no resolver or hosts file decides), or a
    /// literal loopback address. Any other name is refused, even one that
    /// resolves to loopback: a hosts file can change after the check.
    package static func classify(host: String) throws -> HostKind {
        if host.isEmpty { return .socket }
        if host.hasPrefix("/") {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: host, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw RehearseError.refused("--pg-url names the socket directory \(host), which does not exist or is not a directory. Give the directory the server's Unix socket is in (e.g. /var/run/postgresql).")
            }
            return .socket
        }
        if host.hasPrefix("@"), host.utf8.count > 1 { return .socket }
        if host == "localhost" { return .localhost }
        if isLoopback(host) { return .loopback }
        throw refusal(host, keyword: "host")
    }

    /// The comma-separated entries of one keyword, refusing white space,
    /// control and non-ASCII characters anywhere: libpq does not trim, so an
    /// invisible character would make a checked value mean something else
    /// to libpq (U+00A0 before `/tmp` turns a socket directory into a name
    /// to look up).
    package static func list(_ key: String, _ parameters: [String: String]) throws -> [String] {
        guard let value = parameters[key], !value.isEmpty else { return [] }
        if let bad = value.unicodeScalars.first(where: { $0.value < 0x21 || $0.value > 0x7e }) {
            throw RehearseError.refused("--pg-url gives \(key) '\(visible(value))', which holds \(String(format: "U+%04X", bad.value)) (white space, a control or a non-ASCII character). rehearse checks \(key) exactly as libpq would use it, so it must be plain ASCII without spaces; remove the character.")
        }
        return value.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    }

    /// A value with every character outside printable ASCII shown as \u{XXXX}.
    package static func visible(_ text: String) -> String {
        text.unicodeScalars.map { $0.value >= 0x20 && $0.value < 0x7f ? String($0) : String(format: "\\u{%04X}", $0.value) }.joined()
    }

    package static func refusal(_ host: String, keyword: String = "host") -> RehearseError {
        .refused("--pg-url points at \(keyword) \(visible(host)), which is not this machine: rehearse only connects to a Unix-socket directory, exactly 'localhost', or a literal loopback address (127.0.0.0/8, ::1), so a rehearsal can never reach a shared or production server. Run the server locally, or leave out --pg-url to get a private ephemeral cluster.")
    }

    /// True when two literal addresses are the same address (`::1` and
    /// `0:0:0:0:0:0:0:1`), as inet_pton reads them.
    package static func sameAddress(_ a: String, _ b: String) -> Bool {
        func bytes(_ text: String) -> [UInt8]? {
            var v4 = in_addr()
            if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: v4) { Array($0) } }
            var v6 = in6_addr()
            if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: v6) { Array($0) } }
            return nil
        }
        guard let x = bytes(a), let y = bytes(b) else { return false }
        return x == y
    }
    /// A literal loopback address (``LoopbackAddress/isLiteral(_:)``).
    package static func isLoopback(_ text: String) -> Bool { LoopbackAddress.isLiteral(text) }
}

/// Where a connection actually went, as libpq and the server report it.
package struct PostgresEndpoint: Sendable, Equatable {
    /// `inet_server_addr()`: nil over a Unix socket.
    package var serverAddress: String?
    /// PQhost: the socket directory, or the host entry used.
    package var host: String
    /// PQhostaddr: the IP address of a TCP connection, empty over a socket.
    package var hostaddr: String
    package var port: String

    package var network: String { serverAddress == nil ? "none" : "loopback" }

    /// Checks, after connecting, that libpq went to one of the entries that
    /// were given and checked (`parameters` holds only those), and that the
    /// server answers over a Unix socket or from a loopback address (which
    /// catches a port forwarded elsewhere). Any doubt refuses (exit 3): a
    /// failing `inet_server_addr()` query is not taken as "fine".
    package static func verify(_ db: PGConnection, parameters: [String: String]) throws -> PostgresEndpoint {
        let (host, hostaddr, port) = db.endpoint
        func refuse(_ why: String) -> RehearseError {
            .refused("The connection to PostgreSQL went to host '\(PostgresServerAddress.visible(host))' address '\(hostaddr)' port '\(port)': \(why). rehearse only rehearses on this machine, so it stops here.")
        }
        let hosts = (parameters["host"] ?? "").split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let addrs = (parameters["hostaddr"] ?? "").split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let ports = (parameters["port"] ?? "").split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        // libpq reports an IP address only for TCP; over a Unix socket, the
        // host it reports is the socket directory (or @name).
        let socket = hostaddr.isEmpty
        if socket && !(host.hasPrefix("/") || host.hasPrefix("@")) {
            throw refuse("libpq reports neither a socket directory nor an IP address")
        }
        // An empty entry means libpq's default socket directory.
        let defaultSocket = (0..<max(hosts.count, addrs.count, 1)).contains { i in
            (i >= hosts.count || hosts[i].isEmpty) && (i >= addrs.count || addrs[i].isEmpty)
        }
        guard hosts.contains(host) || addrs.contains(host) || (defaultSocket && host.hasPrefix("/")) else {
            throw refuse("libpq reports a host that is not one of those given and checked")
        }
        guard socket || (PostgresServerAddress.isLoopback(hostaddr) && addrs.contains { PostgresServerAddress.sameAddress($0, hostaddr) }) else {
            throw refuse("libpq reports an address that is not one of the loopback addresses given")
        }
        guard ports.allSatisfy(\.isEmpty) || ports.contains(port) else {
            throw refuse("libpq reports a port that is not one of those given")
        }
        let address: String?
        do { address = try db.scalar("SELECT pg_catalog.host(pg_catalog.inet_server_addr())") } catch {
            throw refuse("the server would not say which address it answers from (\(error))")
        }
        if let address {
            guard !socket, PostgresServerAddress.isLoopback(address) else {
                throw refuse("the server answers from \(address), which is not a loopback address of a TCP connection (a forwarded port or proxy to another machine?)")
            }
        } else if !socket {
            throw refuse("the server reports a Unix socket, but libpq connected over TCP")
        }
        try samePeer(db, socket: socket, refuse: refuse)
        return PostgresEndpoint(serverAddress: address, host: host, hostaddr: hostaddr, port: port)
    }

    /// The server at the other end of the socket is the one answering: a
    /// forwarder in between (ssh -L, socat, a proxy) answers from loopback or
    /// a local socket but hands the session to a server elsewhere, which sees
    /// another client. Over TCP, the client and server address and port the
    /// server reports must be this socket's own (getsockname, getpeername).
    /// Over a Unix socket, the backend process the server names must be a
    /// child of the process holding the socket's other end (SO_PEERCRED, the
    /// postmaster); one this machine cannot see is refused.
    package static func samePeer(_ db: PGConnection, socket: Bool, refuse: (String) -> RehearseError) throws {
        let row: [String?]
        do {
            row = try db.rows("SELECT pg_catalog.pg_backend_pid()::text, pg_catalog.host(pg_catalog.inet_client_addr()), pg_catalog.inet_client_port()::text, pg_catalog.host(pg_catalog.inet_server_addr()), pg_catalog.inet_server_port()::text").first ?? []
        } catch {
            throw refuse("the server would not say which client it serves (\(error))")
        }
        guard row.count == 5, let backend = row[0].flatMap({ Int32($0) }) else { throw refuse("the server would not name its backend process") }
        let fd = db.socket
        if socket {
            #if os(Linux)
            // struct ucred { pid_t pid; uid_t uid; gid_t gid; }; SO_PEERCRED is 17
            // (Glibc hides both behind _GNU_SOURCE).
            var credentials: (pid: Int32, uid: UInt32, gid: UInt32) = (0, 0, 0)
            var length = socklen_t(MemoryLayout<(Int32, UInt32, UInt32)>.size)
            guard getsockopt(fd, SOL_SOCKET, 17, &credentials, &length) == 0, credentials.pid > 0 else {
                throw refuse("this machine cannot see the process at the other end of the Unix socket (another container's?), so it cannot tell the server is here")
            }
            guard parentProcess(of: backend) == credentials.pid else {
                throw refuse("the server's backend process \(backend) is not a child of the process \(credentials.pid) holding the socket (a forwarder to a server elsewhere?)")
            }
            #endif
            return
        }
        guard let local = socketAddress(fd, peer: false), let peer = socketAddress(fd, peer: true),
              let clientAddress = row[1], let clientPort = row[2], let serverAddress = row[3], let serverPort = row[4] else {
            throw refuse("the TCP endpoints of the connection cannot be read")
        }
        guard PostgresServerAddress.sameAddress(unmapped(clientAddress), unmapped(local.address)), clientPort == String(local.port),
              PostgresServerAddress.sameAddress(unmapped(serverAddress), unmapped(peer.address)), serverPort == String(peer.port) else {
            throw refuse("the server sees the client \(clientAddress) port \(clientPort) and itself at \(serverAddress) port \(serverPort), but this connection runs from \(local.address) port \(local.port) to \(peer.address) port \(peer.port) (a forwarder to a server elsewhere?)")
        }
    }

    /// The parent process id, from /proc/PID/stat (after the command name,
    /// which may hold spaces and parentheses).
    package static func parentProcess(of pid: Int32) -> Int32? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let rest = stat[stat.index(after: close)...].split(separator: " ")
        return rest.count > 1 ? Int32(rest[1]) : nil
    }

    /// `::ffff:a.b.c.d` as `a.b.c.d`, so both sides compare alike.
    package static func unmapped(_ address: String) -> String {
        address.lowercased().hasPrefix("::ffff:") && address.contains(".") ? String(address.dropFirst(7)) : address
    }

    private static func string(_ text: [CChar]) -> String {
        String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The local or peer address and port of a TCP socket.
    package static func socketAddress(_ fd: Int32, peer: Bool) -> (address: String, port: UInt16)? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let got = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { peer ? getpeername(fd, $0, &length) : getsockname(fd, $0, &length) }
        }
        guard got == 0 else { return nil }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch Int32(storage.ss_family) {
        case AF_INET:
            var a = withUnsafeBytes(of: storage) { $0.load(as: sockaddr_in.self) }
            guard inet_ntop(AF_INET, &a.sin_addr, &text, socklen_t(text.count)) != nil else { return nil }
            return (string(text), UInt16(bigEndian: a.sin_port))
        case AF_INET6:
            var a = withUnsafeBytes(of: storage) { $0.load(as: sockaddr_in6.self) }
            guard inet_ntop(AF_INET6, &a.sin6_addr, &text, socklen_t(text.count)) != nil else { return nil }
            return (string(text), UInt16(bigEndian: a.sin6_port))
        default:
            return nil
        }
    }

    /// What evidence records: the server's own address (null over a Unix
    /// socket) and the socket directory or loopback address libpq used.
    package var json: [String: JSONValue] {
        var o: [String: JSONValue] = ["server_address": serverAddress.map { .string($0) } ?? .null, "port": .string(port)]
        if serverAddress == nil { o["socket_directory"] = .string(host) } else { o["address"] = .string(hostaddr) }
        return o
    }
}
