import Foundation
import Testing
@testable import RehearseCore
@testable import RehearseEngine
@testable import RehearseEvidence
@testable import RehearseKit
@testable import RehearsePostgres
@testable import RehearseSQLite
@testable import RehearseSurrogate
@testable import RehearseValidator

/// Issue 9, class 2: the host check is the connection. `--pg-url` is parsed
/// once by libpq, checked byte for byte, and every connection is checked
/// again for where it actually went.
@Suite struct AdversarialPostgresAddressTests {
    /// Every Unicode space, separator and invisible character we know of,
    /// plus the ASCII white space and controls.
    static let invisible: [Unicode.Scalar] = [
        "\u{0020}", "\u{0009}", "\u{000A}", "\u{000B}", "\u{000C}", "\u{000D}", "\u{0001}", "\u{001F}", "\u{007F}", "\u{0085}", "\u{00A0}",
        "\u{1680}", "\u{180E}", "\u{2000}", "\u{2001}", "\u{2002}", "\u{2003}", "\u{2004}", "\u{2005}", "\u{2006}", "\u{2007}",
        "\u{2008}", "\u{2009}", "\u{200A}", "\u{200B}", "\u{200C}", "\u{200D}", "\u{2028}", "\u{2029}", "\u{202F}", "\u{205F}",
        "\u{2060}", "\u{3000}", "\u{FEFF}", "\u{FF0F}",
    ]

    static func percentEncoded(_ text: String) -> String {
        text.utf8.map { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b == 0x2e ? String(UnicodeScalar(b)) : String(format: "%%%02X", b)
        }.joined()
    }

    func expectRefused(_ url: String, _ needles: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let address = try PostgresServerAddress(parsing: url)
            Issue.record("accepted \(PostgresServerAddress.visible(url)) as \(address.parameters)", sourceLocation: sourceLocation)
        } catch let error as RehearseError {
            #expect(error.code == .refused && error.code.exitStatus == 3, "\(PostgresServerAddress.visible(url)): \(error)", sourceLocation: sourceLocation)
            for needle in needles {
                #expect(error.message.contains(needle), "\(PostgresServerAddress.visible(url)): \(error.message)", sourceLocation: sourceLocation)
            }
            #expect(!error.message.contains("NSCocoaErrorDomain"), sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: invisible)
    func anInvisibleCharacterAnywhereInHostOrHostaddrIsRefused(_ c: Unicode.Scalar) throws {
        let code = String(format: "U+%04X", c.value)
        let w = String(Character(c))
        for (value, keyword) in [("/tmp", "host"), ("localhost", "host"), ("127.0.0.1", "hostaddr"), ("::1", "hostaddr"), ("5432", "port")] {
            let middle = value.index(value.startIndex, offsetBy: 2)
            for variant in [w + value, value + w, value[..<middle] + w + value[middle...]] {
                let quoted = variant.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
                expectRefused("\(keyword)='\(quoted)' dbname=postgres", [keyword, code])
                expectRefused("postgresql:///postgres?\(keyword)=\(Self.percentEncoded(variant))", [keyword, code])
                if keyword == "host" && value == "localhost" {
                    expectRefused("postgresql://\(Self.percentEncoded(variant)):5432/postgres", [keyword, code])
                }
            }
        }
    }

    /// The report that opened issue 9: U+00A0 before a socket directory.
    @Test func aNoBreakSpaceBeforeASocketDirectoryIsRefused() {
        expectRefused("host=\u{00A0}/tmp dbname=postgres", ["host", "U+00A0"])
        expectRefused("postgresql:///postgres?host=%C2%A0/tmp", ["host", "U+00A0"])
        expectRefused("postgresql:///postgres?host=%20%2Ftmp", ["host", "U+0020"])
    }

    /// Names that resolve to loopback (through a hosts file, the resolver's
    /// loose IPv4 forms, a zone index) are still names: only `localhost`,
    /// spelled exactly, is accepted, and it is pinned to 127.0.0.1.
    @Test(arguments: ["host=localhost.", "host=LOCALHOST", "host=Localhost", "host=ip6-localhost", "host=localhost.localdomain",
                      "host=127.1", "host=0x7f.1", "host=0x7f000001", "host=2130706433", "host=0177.0.0.1", "host=127.0.0.01",
                      "host=127.0.0.1%eth0", "host=[::1]", "host=::1%lo", "hostaddr=::1%lo", "hostaddr=127.1", "hostaddr=[::1]",
                      "host=::127.0.0.1", "host=::ffff:10.0.0.1", "host=0.0.0.0", "host=::", "hostaddr=0.0.0.0",
                      "host=tmp", "host=./tmp", "host=../tmp", "host=~/sock", "host=%2Ftmp"])
    func namesAndLooseAddressesAreRefused(_ url: String) {
        expectRefused(url, ["not this machine"])
    }

    @Test func theMachinesOwnNameIsRefused() {
        expectRefused("host=\(ProcessInfo.processInfo.hostName)", ["not this machine"])
    }

    @Test(arguments: ["host=/nonexistent-rehearse-socket-dir", "host=/etc/hostname"])
    func aSocketDirectoryMustExist(_ url: String) {
        expectRefused(url, ["does not exist or is not a directory"])
    }

    /// One bad entry in a list refuses the whole list.
    @Test(arguments: ["host=/tmp,db.example.com", "host=localhost,10.0.0.1", "host=/tmp,localhost,127.1", "host=,db.example.com",
                      "host=/tmp,/tmp hostaddr=127.0.0.1,10.0.0.1", "host=localhost hostaddr=10.1.1.1", "hostaddr=127.0.0.1,,10.0.0.5",
                      "host=/tmp,db.example.com hostaddr=127.0.0.1,", "host=db.example.com hostaddr=127.0.0.1",
                      "postgresql://localhost,10.0.0.1/postgres", "postgresql://[::1],[2001:db8::1]/postgres",
                      "postgresql://localhost,127.0.0.2:5432,5433/x"])
    func aListWithOneBadEntryIsRefused(_ url: String) {
        expectRefused(url, ["not this machine"])
    }

    @Test(arguments: ["host=/tmp,/tmp hostaddr=127.0.0.1", "host=/tmp port=5432,5433", "port=0", "port=65536", "port=+5432", "port=54x",
                      "port=5432,", "connect_timeout=-1", "connect_timeout=1e9", "sslmode=verify-full", "gssencmode=require"])
    func countsPortsAndNumbersAreChecked(_ url: String) {
        expectRefused(url, [])
    }

    /// Every keyword that could redirect the connection, read a file, or
    /// change how the session behaves is refused, naming the keyword.
    @Test(arguments: ["service=prod", "passfile=/tmp/pgpass", "options=-csession_replication_role=replica", "options=-cdefault_transaction_read_only=off",
                      "target_session_attrs=any", "replication=database", "krbsrvname=postgres", "gsslib=gssapi", "client_encoding=LATIN1",
                      "sslcert=/tmp/c", "sslkey=/tmp/k", "sslrootcert=/tmp/r", "sslcrl=/tmp/l", "sslcrldir=/tmp", "sslpassword=x",
                      "sslsni=1", "sslcompression=1", "ssl_min_protocol_version=TLSv1.2", "ssl_max_protocol_version=TLSv1.3",
                      "postgresql:///postgres?service=prod", "postgresql:///postgres?options=-c%20search_path%3Devil"])
    func aRefusedKeywordIsNamed(_ url: String) {
        if url.hasPrefix("postgresql") {
            let keyword = String(url.split(separator: "?")[1].split(separator: "=")[0])
            expectRefused(url, ["'\(keyword)'", "Remove \(keyword)"])
        } else {
            let keyword = String(url.split(separator: "=")[0])
            expectRefused("host=/tmp " + url, ["'\(keyword)'", "Remove \(keyword)"])
        }
    }

    @Test(arguments: ["host=/tmp", "host=localhost", "host=127.0.0.1", "host=127.255.0.9", "host=::1", "host=::ffff:127.0.0.1",
                      "hostaddr=0:0:0:0:0:0:0:1", "postgresql://[::1]:5432/x", "postgresql://%2Ftmp/x", "host=@rehearse-abstract",
                      "host=/tmp,localhost hostaddr=,127.0.0.1", "host=/tmp sslmode=disable keepalives=1 requirepeer=postgres",
                      "hostaddr=127.0.0.1,", "postgresql://localhost:5432,127.0.0.2:5433/x", "dbname='host=10.0.0.1'"])
    func localEntriesAreAccepted(_ url: String) throws {
        let address = try PostgresServerAddress(parsing: url)
        if url.contains("localhost") { #expect(address.parameters["hostaddr"]?.contains("127.0.0.1") == true) }
        // dbname is passed as a name (expand_dbname = 0), never read as a connection string.
        if url.hasPrefix("dbname") { #expect(address.parameters["dbname"] == "host=10.0.0.1" && address.parameters["host"] == nil) }
        #expect(Set(address.parameters.keys).isSubset(of: PostgresServerAddress.accepted))
    }

    @Test func aConnectionIsOpenedOnlyFromCheckedKeywords() {
        #expect(throws: PGError.self) { _ = try PGConnection(["host": "/tmp", "service": "prod"]) }
        #expect(throws: PGError.self) { _ = try PGConnection(["host": "/tmp", "options": "-c search_path=x"]) }
    }

    /// libpq goes down a host list until one answers; wherever it lands must
    /// be an entry that was checked, and the evidence says which.
    @Test(// Skipped where the PostgreSQL server is not installed.
          .enabled(if: PostgresServer.found(.test), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"))
    func aHostListLandsOnACheckedEntryAndTheEvidenceSaysWhich() throws {
        let cluster = try TestPostgres.cluster
        let empty = TempDir()
        let address = try PostgresServerAddress(parsing: "host=\(empty.url.path),\(cluster.socketDirectory.path) port=\(PostgresCluster.port) user=\(PostgresCluster.superuser) dbname=postgres")
        let scratch = try PostgresScratch(target: .server(address), keep: false)
        let target = scratch.isolation
        #expect(target["network"] == "none")
        #expect(target["server_address"] == .null)
        #expect(target["socket_directory"] == .string(cluster.socketDirectory.path))
        #expect(target["port"] == .string(String(PostgresCluster.port)))
    }

    /// After connecting, libpq's own report is compared with what was
    /// checked: a connection that went anywhere else is refused.
    @Test(// Skipped where the PostgreSQL server is not installed.
          .enabled(if: PostgresServer.found(.test), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"))
    func aConnectionThatWentElsewhereIsRefused() throws {
        let cluster = try TestPostgres.cluster
        let db = try TestPostgres.connect()
        let ok = try PostgresEndpoint.verify(db, parameters: cluster.connectionParameters(database: "postgres"))
        #expect(ok == PostgresEndpoint(serverAddress: nil, host: cluster.socketDirectory.path, hostaddr: "", port: String(PostgresCluster.port)))
        for claimed in [["host": "/var/run/postgresql", "port": String(PostgresCluster.port)],
                        ["host": cluster.socketDirectory.path, "port": "1"],
                        ["host": "localhost", "hostaddr": "127.0.0.1"],
                        ["hostaddr": "127.0.0.1"]] {
            do {
                _ = try PostgresEndpoint.verify(db, parameters: claimed)
                Issue.record("accepted \(claimed)")
            } catch let error as RehearseError {
                #expect(error.code == .refused)
                #expect(error.message.contains("The connection to PostgreSQL went to host '\(cluster.socketDirectory.path)'"), "\(error.message)")
            }
        }
    }

    /// An ephemeral cluster must answer over its socket and report no TCP
    /// listen address; the answer is read, never assumed.
    @Test(// Skipped where the PostgreSQL server is not installed.
          .enabled(if: PostgresServer.found(.test), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"))
    func theEphemeralClustersIsolationIsWhatTheServerReports() throws {
        let db = try TestPostgres.connect()
        let cluster = try TestPostgres.cluster
        let socket = try PostgresEndpoint.verify(db, parameters: cluster.connectionParameters(database: "postgres"))
        #expect(try PostgresScratch.checkIsolation(db, endpoint: socket) == "")
        var tcp = socket
        tcp.serverAddress = "127.0.0.1"
        do {
            _ = try PostgresScratch.checkIsolation(db, endpoint: tcp)
            Issue.record("a cluster answering over TCP was accepted")
        } catch let error as RehearseError {
            #expect(error.code == .refused)
            #expect(error.message == "The scratch cluster answered over TCP from 127.0.0.1 instead of its Unix socket; rehearse stops here.")
        }
    }

    /// The evidence's target block carries what the server reported, and the
    /// validator holds the network to it.
    @Test(// Skipped where the PostgreSQL server is not installed.
          .enabled(if: PostgresServer.found(.test), "needs the PostgreSQL server binaries (initdb, pg_ctl, postgres)"))
    func theEvidenceCarriesTheServerReportedAddress() throws {
        let dir = TempDir()
        let cluster = try TestPostgres.cluster
        let result = try rehearsePostgres(Repo.surrogate("commerce"), in: dir, scale: 0.02)
        #expect(result.record.verdict == .pass)
        #expect(result.validation.isValid)
        let target = try #require(result.evidence["predicate"]?["target"])
        #expect(target["kind"] == "postgres-server")
        #expect(target["network"] == "none")
        #expect(target["server_address"] == .null)
        #expect(target["socket_directory"] == .string(cluster.socketDirectory.path))
        #expect(target["port"] == .string(String(PostgresCluster.port)))
    }
}

/// A TCP port on 127.0.0.1 that forwards every connection to a Unix socket:
/// what a port forwarded to another machine looks like from here (the
/// server behind it does not answer from a loopback TCP address).
final class LoopbackForwarder: @unchecked Sendable {
    let port: UInt16
    private let listener: Int32
    private let target: String

    /// Listens on a Unix socket `listenPath` instead (as `ssh -L` can): a
    /// local socket whose other end is not the server's postmaster.
    init(listenPath: String, toUnixSocket path: String) throws {
        target = path
        let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in raw.copyBytes(from: Array(listenPath.utf8.prefix(raw.count - 1))) }
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        guard bound == 0, listen(listener, 8) == 0 else { throw RehearseError.environment("cannot listen on \(listenPath)") }
        port = 0
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    init(toUnixSocket path: String) throws {
        target = path
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(listener, 8) == 0 else { throw RehearseError.environment("cannot listen on 127.0.0.1") }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &len) } }
        port = UInt16(bigEndian: addr.sin_port)
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    func stop() { shutdown(listener, Int32(SHUT_RDWR)); close(listener) }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 { return }
            let upstream = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_un()
            addr.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &addr.sun_path) { raw in
                let bytes = Array(target.utf8.prefix(raw.count - 1))
                raw.copyBytes(from: bytes)
            }
            let ok = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
            if ok != 0 { close(client); close(upstream); continue }
            Thread.detachNewThread { Self.pump(from: client, to: upstream) }
            Thread.detachNewThread { Self.pump(from: upstream, to: client) }
        }
    }

    private static func pump(from: Int32, to: Int32) {
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(from, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            var sent = 0
            while sent < n {
                let m = buffer.withUnsafeBytes { write(to, $0.baseAddress! + sent, n - sent) }
                if m <= 0 { break }
                sent += m
            }
        }
        shutdown(to, Int32(SHUT_WR))
        shutdown(from, Int32(SHUT_RD))
    }
}
