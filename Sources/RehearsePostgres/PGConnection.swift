import CLibPQ
import Foundation
import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

/// An error reported by PostgreSQL or libpq, with the server's diagnostic
/// fields kept apart so a caller can map the position back to a file.
package struct PGError: Error, CustomStringConvertible, Sendable {
    /// Five-character SQLSTATE (e.g. `42P01`); empty for client-side failures.
    package var sqlstate: String
    /// The primary message (libpq's, or the server's `M` field).
    package var message: String
    /// The server's detail (`D`), when it gave one.
    package var detail: String?
    /// The server's hint (`H`), when it gave one.
    package var hint: String?
    /// 1-based character position in the statement text, when the server gave one.
    package var position: Int?

    /// The message, its SQLSTATE, detail and hint on one line.
    package var description: String {
        var text = sqlstate.isEmpty ? message : "\(message) (SQLSTATE \(sqlstate))"
        if let detail { text += "; detail: \(detail)" }
        if let hint { text += "; hint: \(hint)" }
        return text
    }
}

/// One result of a query; cleared exactly once, when released.
package final class PGResult {
    package let handle: OpaquePointer

    package init(_ handle: OpaquePointer) { self.handle = handle }
    deinit { PQclear(handle) }

    package var status: ExecStatusType { PQresultStatus(handle) }
    package var rowCount: Int { Int(PQntuples(handle)) }
    package var columnCount: Int { Int(PQnfields(handle)) }

    /// The value in text format, or nil for SQL NULL.
    package func text(_ row: Int, _ column: Int) -> String? {
        if PQgetisnull(handle, Int32(row), Int32(column)) == 1 { return nil }
        return String(cString: PQgetvalue(handle, Int32(row), Int32(column)))
    }

    /// The type OID of a column (`bool` is 16; `int2`, `int4`, `int8` are 21, 23, 20).
    package func columnType(_ column: Int) -> UInt32 { UInt32(PQftype(handle, Int32(column))) }
    package static let booleanType: UInt32 = 16
    package static let integerTypes: Set<UInt32> = [20, 21, 23]

    /// Rows affected by INSERT, UPDATE, DELETE, MERGE, COPY and the like.
    package var affectedRows: Int64 { Int64(String(cString: PQcmdTuples(handle))) ?? 0 }

    package var rows: [[String?]] {
        (0..<rowCount).map { r in (0..<columnCount).map { text(r, $0) } }
    }

    package var error: PGError {
        func field(_ code: Character) -> String? {
            guard let p = PQresultErrorField(handle, Int32(code.asciiValue!)) else { return nil }
            return String(cString: p)
        }
        let primary = field("M") ?? String(cString: PQresultErrorMessage(handle)).trimmingCharacters(in: .whitespacesAndNewlines)
        return PGError(sqlstate: field("C") ?? "", message: primary, detail: field("D"), hint: field("H"),
                       position: field("P").flatMap { Int($0) })
    }
}

/// One connection to PostgreSQL, owned by this object and finished when it
/// is released. Parameters are passed as keywords (never parsed from the
/// environment). libpq would read a `PG*` variable for any parameter not
/// given (PGHOST, PGHOSTADDR, PGSERVICE, ...), and a keyword cannot switch
/// that off (an empty value counts as not given), so no connection is made
/// while one is set (`refuseEnvironment`): nothing outside the given
/// parameters can redirect it. The library never changes the environment;
/// the CLI removes every `PG*` variable once, when it starts.
///
/// `@unchecked Sendable`: a connection may be handed to another thread, but
/// is used by one thread at a time (libpq connections are not shared).
package final class PGConnection: @unchecked Sendable {
    /// The linked libpq's version, `major.minor`.
    package static var libraryVersion: String {
        let pq = PQlibVersion()
        return "\(pq / 10000).\(pq % 10000)"
    }

    private let handle: OpaquePointer

    /// `environment` is checked as well as the process's own (a test hands
    /// a hostile one without changing the process's).
    package init(_ given: [String: String], environment: [String: String] = [:]) throws {
        try Self.refuseEnvironment(environment)
        try Self.refuseEnvironment()
        // Only keywords whose meaning was checked (PostgresServerAddress.accepted)
        // reach libpq; anything else could redirect or reconfigure the connection.
        if let other = given.keys.sorted().first(where: { !PostgresServerAddress.accepted.contains($0) }) {
            throw PGError(sqlstate: "", message: "rehearse does not pass the connection keyword '\(other)' to libpq")
        }
        var parameters = given
        // GSSAPI encryption would ask a Kerberos KDC, another host, for a
        // ticket; rehearse never contacts anything but the scratch server.
        parameters["gssencmode"] = "disable"
        let keys = parameters.keys.sorted()
        var cKeys = keys.map { strdup($0) }
        var cValues = keys.map { strdup(parameters[$0]!) }
        defer {
            cKeys.forEach { free($0) }
            cValues.forEach { free($0) }
        }
        cKeys.append(nil)
        cValues.append(nil)
        let conn: OpaquePointer? = cKeys.withUnsafeBufferPointer { k in
            cValues.withUnsafeBufferPointer { v in
                k.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: k.count) { kp in
                    v.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: v.count) { vp in
                        PQconnectdbParams(kp, vp, 0)
                    }
                }
            }
        }
        guard let conn else { throw PGError(sqlstate: "", message: "libpq could not allocate a connection") }
        guard PQstatus(conn) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(conn)).trimmingCharacters(in: .whitespacesAndNewlines)
            PQfinish(conn)
            throw PGError(sqlstate: "", message: message)
        }
        handle = conn
        // Notices (e.g. "drop cascades to ...") are not errors; keep stderr clean.
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
    }

    deinit { PQfinish(handle) }

    /// Server version as libpq reports it, e.g. "15.8".
    package var serverVersion: String {
        let v = Int(PQserverVersion(handle))
        return v >= 100000 ? "\(v / 10000).\(v % 10000)" : "\(v / 10000).\(v / 100 % 100).\(v % 100)"
    }

    /// True when the connection is in a transaction block, or in one that failed.
    package var isInTransaction: Bool {
        let s = PQtransactionStatus(handle)
        return s == PQTRANS_INTRANS || s == PQTRANS_INERROR
    }

    /// libpq's transaction status (idle, in a block, in a failed block, ...).
    package var transactionStatus: PGTransactionStatusType { PQtransactionStatus(handle) }

    /// What libpq actually connected to: the host entry it used (a socket
    /// directory for a Unix socket), the IP address of a TCP connection
    /// (empty over a socket), and the port.
    package var endpoint: (host: String, hostaddr: String, port: String) {
        func text(_ p: UnsafeMutablePointer<CChar>?) -> String { p.map { String(cString: $0) } ?? "" }
        return (text(PQhost(handle)), text(PQhostaddr(handle)), text(PQport(handle)))
    }

    /// The connection's socket (for the peer checks in `PostgresEndpoint`).
    package var socket: Int32 { PQsocket(handle) }

    /// Runs exactly one statement of the user's (a birth, rollback or check
    /// statement) through the extended query protocol, where the server
    /// refuses text holding more than one command (SQLSTATE 42601). So what
    /// the server ran is the text given, whatever any client-side splitter
    /// thought: one definition of a statement, the server's. A statement that
    /// starts a COPY is refused (rehearse drives COPY itself) and the copy is
    /// ended so the connection stays usable.
    @discardableResult
    package func executeStatement(_ sql: String) throws(PGError) -> PGResult {
        guard let raw = PQexecParams(handle, sql, 0, nil, nil, nil, nil, 0) else { throw connectionError() }
        let result = PGResult(raw)
        switch result.status {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY: return result
        case PGRES_COPY_IN:
            abortCopyIn("rehearse does not take COPY FROM STDIN in a script")
            throw PGError(sqlstate: "", message: "COPY is not allowed here: rehearse drives COPY itself")
        case PGRES_COPY_OUT:
            var buffer: UnsafeMutablePointer<CChar>?
            while PQgetCopyData(handle, &buffer, 0) > 0 { if let b = buffer { PQfreemem(b) } }
            drainResults()
            throw PGError(sqlstate: "", message: "COPY is not allowed here: rehearse drives COPY itself")
        default: throw result.error
        }
    }

    /// Runs the tool's own fixed SQL (one or more statements) and returns the
    /// last result; a server error is thrown with its diagnostic fields.
    /// Never for a user's text: that goes through `executeStatement`.
    @discardableResult
    package func execute(_ sql: String) throws(PGError) -> PGResult {
        guard let raw = PQexec(handle, sql) else { throw connectionError() }
        let result = PGResult(raw)
        switch result.status {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY: return result
        case PGRES_COPY_IN, PGRES_COPY_OUT:
            throw PGError(sqlstate: "", message: "COPY is not allowed here: rehearse drives COPY itself")
        default: throw result.error
        }
    }

    /// Runs one statement with text parameters ($1, $2, ...).
    @discardableResult
    package func execute(_ sql: String, _ parameters: [String?]) throws(PGError) -> PGResult {
        var cValues = parameters.map { $0.map { strdup($0) } ?? nil }
        defer { cValues.forEach { free($0) } }
        let raw: OpaquePointer? = cValues.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: buffer.count) {
                PQexecParams(handle, sql, Int32(parameters.count), nil, $0, nil, nil, 0)
            }
        }
        guard let raw else { throw connectionError() }
        let result = PGResult(raw)
        guard result.status == PGRES_COMMAND_OK || result.status == PGRES_TUPLES_OK else { throw result.error }
        return result
    }

    package func rows(_ sql: String, _ parameters: [String?] = []) throws(PGError) -> [[String?]] {
        try (parameters.isEmpty ? execute(sql) : execute(sql, parameters)).rows
    }

    package func scalar(_ sql: String) throws(PGError) -> String? {
        try execute(sql).rows.first?.first ?? nil
    }

    /// Sends a `COPY ... FROM STDIN`, then every buffer `produce` yields (nil
    /// ends the stream). Returns the rows the server reports.
    package func copyIn(_ sql: String, produce: () throws -> [UInt8]?) throws -> Int64 {
        try beginCopyIn(sql)
        do {
            while let chunk = try produce() {
                try chunk.withUnsafeBytes { try putCopyData($0) }
            }
        } catch {
            _ = PQputCopyEnd(handle, "rehearse stopped the load")
            drainResults()
            throw error
        }
        return try endCopyIn()
    }

    /// Starts `COPY ... FROM STDIN`; follow with `putCopyData` and `endCopyIn`.
    package func beginCopyIn(_ sql: String) throws(PGError) {
        guard let raw = PQexec(handle, sql) else { throw connectionError() }
        let start = PGResult(raw)
        guard start.status == PGRES_COPY_IN else { throw start.error }
    }

    package func putCopyData(_ bytes: UnsafeRawBufferPointer) throws(PGError) {
        guard bytes.count > 0 else { return }
        let sent = PQputCopyData(handle, bytes.baseAddress!.assumingMemoryBound(to: CChar.self), Int32(bytes.count))
        guard sent == 1 else { throw connectionError() }
    }

    /// Ends a COPY FROM STDIN as failed (nothing is kept) and reads the
    /// results, leaving the connection ready for the next command.
    package func abortCopyIn(_ reason: String) {
        _ = PQputCopyEnd(handle, reason)
        drainResults()
    }

    /// Ends the stream; returns the rows the server reports.
    package func endCopyIn() throws(PGError) -> Int64 {
        guard PQputCopyEnd(handle, nil) == 1 else { throw connectionError() }
        var rows: Int64 = 0
        var failure: PGError?
        while let next = PQgetResult(handle) {
            let result = PGResult(next)
            if result.status == PGRES_COMMAND_OK { rows = result.affectedRows } else if failure == nil { failure = result.error }
        }
        if let failure { throw failure }
        return rows
    }

    /// Streams `COPY ... TO STDOUT`: `consume` gets each row's bytes (the
    /// text format, newline included), valid only during the call.
    package func copyOut(_ sql: String, consume: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let raw = PQexec(handle, sql) else { throw connectionError() }
        let start = PGResult(raw)
        guard start.status == PGRES_COPY_OUT else { throw start.error }
        var buffer: UnsafeMutablePointer<CChar>?
        // After a failing `consume`, the rest of the stream is read and
        // dropped so the connection stays usable; then the error is thrown.
        var pending: Error?
        while true {
            let n = PQgetCopyData(handle, &buffer, 0)
            if n > 0, let b = buffer {
                defer { PQfreemem(b) }
                if pending == nil {
                    do { try consume(UnsafeRawBufferPointer(start: b, count: Int(n))) } catch { pending = error }
                }
                continue
            }
            if n == -1 { break }
            throw connectionError()
        }
        var failure: PGError?
        while let next = PQgetResult(handle) {
            let result = PGResult(next)
            if result.status != PGRES_COMMAND_OK, failure == nil { failure = result.error }
        }
        if let failure { throw failure }
        if let pending { throw pending }
    }

    private func drainResults() {
        while let next = PQgetResult(handle) { PQclear(next) }
    }

    private func connectionError() -> PGError {
        PGError(sqlstate: "", message: String(cString: PQerrorMessage(handle)).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    // MARK: - Quoting

    package static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    package static func quoteLiteral(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }

    // MARK: - Environment

    /// Refuses (exit 3) when `environment` (the process's by default) sets
    /// any `PG*` variable: PGHOST, PGHOSTADDR, PGPORT, PGSERVICE,
    /// PGSERVICEFILE, PGSYSCONFDIR, PGPASSFILE, PGOPTIONS, PGSSLMODE, ...
    /// libpq reads them for every parameter a connection does not give, so
    /// one could point a connection at another server or change the session.
    /// The whole prefix, not a list: a newer libpq may read more. The
    /// environment is only read, never changed; the caller removes them.
    package static func refuseEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let set = environment.keys.filter { $0.hasPrefix("PG") }.sorted()
        guard !set.isEmpty else { return }
        throw RehearseError.refused("The environment sets \(set.joined(separator: ", ")): libpq would read \(set.count == 1 ? "it" : "them") for any connection parameter rehearse does not give, which could send a connection to another server, so rehearse connects to nothing. The rehearse command removes every PG* variable when it starts; a program using the library must unset them before it starts any thread.")
    }
}
