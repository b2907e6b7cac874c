import CLibPQ
import Foundation
import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

/// Where a PostgreSQL rehearsal runs.
public enum PostgresTarget: Sendable {
    /// A private cluster started for this run (the default): server binaries
    /// from `bindir` (or found), run as `runAs` when rehearse is root.
    case ephemeral(bindir: String? = nil, runAs: String? = nil)
    /// A server on a Unix socket or loopback; rehearse creates and drops its
    /// own database there.
    case server(PostgresServerAddress)
}

/// A scratch PostgreSQL database: its own database in an ephemeral cluster,
/// or in a local server the user named. Every phase opens a fresh connection.
package final class PostgresScratch: ScratchEngine {
    package let cluster: PostgresCluster?
    /// True for an ephemeral cluster's database, also for its reference sibling.
    package let isEphemeral: Bool
    package let server: [String: String]
    package let database: String
    private let ownsDatabase: Bool
    /// `none` or `loopback`, from what the server reported when first connected.
    private var network: String
    private let hostDescription: String
    /// Where the first connection went, as libpq and the server reported it.
    private var endpoint: PostgresEndpoint?
    package private(set) var engineVersion = ""
    /// Who loads, births, rolls back and checks: in an ephemeral cluster a
    /// role without superuser that owns the scratch database (so a script
    /// cannot run programs or reach other servers through COPY TO PROGRAM,
    /// dblink or foreign data wrappers); on a named server, the user given.
    package private(set) var scriptParameters: [String: String]
    /// Run birth and rollback as the superuser instead (manifest
    /// `postgres_superuser: true`, for an extension that is not trusted).
    package let scriptsAsSuperuser: Bool
    /// Grantees mapped to the scratch owner rather than provided (``ProvisionOptions/mappedRoles``).
    package let mappedRoles: Set<String>
    package static let ownerRole = "rehearse_owner"
    /// `SHOW listen_addresses` of an ephemeral cluster, as the running server reports it.
    private var listenAddresses: String?
    /// Connections loading and fingerprinting tables at once.
    package let jobs: Int
    /// The provision phase's line for people (``provisionSummary``).
    private let summaryPlace: String
    private var removed = false

    package convenience init(target: PostgresTarget, keep: Bool, parent: URL? = nil) throws {
        try self.init(target: target, options: ProvisionOptions(keep: keep, parent: parent))
    }

    package init(target: PostgresTarget, options: ProvisionOptions) throws {
        let keep = options.keep, parent = options.parent
        jobs = options.jobs
        scriptsAsSuperuser = options.scriptsAsSuperuser
        mappedRoles = options.mappedRoles
        switch target {
        case .ephemeral: summaryPlace = "ephemeral cluster, Unix socket only, no TCP"
        case .server(let address): summaryPlace = "at \(address.host) (\(address.network == "none" ? "Unix socket" : "loopback")), own database"
        }
        let suffix = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        switch target {
        case .ephemeral(let bindir, let runAs):
            let cluster = try PostgresCluster.start(parent: parent, bindir: bindir, runAs: runAs, keep: keep)
            self.cluster = cluster
            isEphemeral = true
            server = cluster.connectionParameters(database: "postgres")
            scriptParameters = server.merging(["user": Self.ownerRole]) { _, new in new }
            database = "rehearse_scratch"
            network = "none"
            hostDescription = cluster.socketDirectory.path
        case .server(let address):
            cluster = nil
            isEphemeral = false
            server = address.parameters
            scriptParameters = address.parameters
            database = "rehearse_\(suffix)"
            network = address.network
            hostDescription = address.host
        }
        ownsDatabase = true
        do {
            let (admin, endpoint) = try Self.openVerified(server, database: server["dbname"] ?? "postgres")
            engineVersion = admin.serverVersion
            self.endpoint = endpoint
            network = endpoint.network
            if cluster != nil { listenAddresses = try Self.checkIsolation(admin, endpoint: endpoint) }
            // DROP DATABASE ... WITH (FORCE), used to clean up, came in 13.
            guard engineVersion.split(separator: ".").first.flatMap({ Int($0) }).map({ $0 >= 13 }) == true else {
                throw RehearseError.environment("PostgreSQL \(engineVersion) is too old: rehearse needs 13 or newer.")
            }
            if cluster == nil { Self.sweepStaleDatabases(admin) }
            if cluster != nil {
                do {
                    try admin.execute("CREATE ROLE \(Self.ownerRole) LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION")
                } catch {
                    throw RehearseError.environment("Cannot create the scratch owner role: \(error).")
                }
            }
            do {
                try Self.createDatabase(admin, database, server: server, dropOnInterrupt: cluster == nil,
                                       ephemeralOwner: cluster == nil ? nil : Self.ownerRole)
            } catch {
                throw RehearseError.environment("Cannot create the scratch database \(database): \(error). The user needs the CREATEDB privilege.")
            }
        } catch {
            cluster?.remove(keep: false)
            throw error
        }
    }

    /// A scratch sharing this one's server, on another database (the
    /// rebuilt pre-birth reference).
    private init(sibling: PostgresScratch, database: String) {
        cluster = nil
        isEphemeral = sibling.isEphemeral
        scriptParameters = sibling.scriptParameters
        server = sibling.server
        self.database = database
        ownsDatabase = false
        network = sibling.network
        hostDescription = sibling.hostDescription
        endpoint = sibling.endpoint
        engineVersion = sibling.engineVersion
        jobs = sibling.jobs
        scriptsAsSuperuser = sibling.scriptsAsSuperuser
        mappedRoles = sibling.mappedRoles
        summaryPlace = sibling.summaryPlace
        removed = true
    }

    /// An ephemeral cluster must be reached over its Unix socket and listen on
    /// no TCP address at all; returns `listen_addresses` as the server
    /// reports it. A query that fails refuses (fail closed). A named server's
    /// address is checked on every connection (`open`).
    package static func checkIsolation(_ db: PGConnection, endpoint: PostgresEndpoint) throws -> String {
        guard endpoint.serverAddress == nil else {
            throw RehearseError.refused("The scratch cluster answered over TCP from \(endpoint.serverAddress ?? "?") instead of its Unix socket; rehearse stops here.")
        }
        let listen: String?
        do { listen = try db.scalar("SHOW listen_addresses") } catch {
            throw RehearseError.refused("The scratch cluster would not say which TCP addresses it listens on (\(error)); rehearse stops rather than assume none.")
        }
        guard let listen, listen == "" else {
            throw RehearseError.refused("The scratch cluster listens on '\(listen ?? "?")' instead of no TCP address at all; rehearse stops here.")
        }
        return listen
    }

    /// Creates a scratch database, marked with its owner so a later run can
    /// drop it if this one is killed, and dropped by the signal handler if
    /// this one is interrupted.
    package static func createDatabase(_ admin: PGConnection, _ name: String, server: [String: String], dropOnInterrupt: Bool,
                               ephemeralOwner: String? = nil) throws(PGError) {
        let q = PGConnection.quoteIdentifier(name)
        let owner = ephemeralOwner.map { " OWNER \(PGConnection.quoteIdentifier($0))" } ?? ""
        try admin.execute("CREATE DATABASE \(q)\(owner) TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'")
        try admin.execute("COMMENT ON DATABASE \(q) IS \(PGConnection.quoteLiteral(ownerComment))")
        // In an ephemeral cluster the whole cluster goes instead.
        guard dropOnInterrupt else { return }
        Interruption.onInterrupt("database \(name)") {
            let dropped = (try? Self.open(server, database: server["dbname"] ?? "postgres").execute("DROP DATABASE IF EXISTS \(q) WITH (FORCE)")) != nil
            return dropped ? "dropped scratch database \(name)" : "could not drop scratch database \(name); the next run drops it"
        }
    }

    package static func dropDatabase(_ admin: PGConnection, _ name: String) {
        _ = try? admin.execute("DROP DATABASE IF EXISTS \(PGConnection.quoteIdentifier(name)) WITH (FORCE)")
        Interruption.cancel("database \(name)")
    }

    package static let commentPrefix = "rehearse scratch database:"

    package static var ownerComment: String {
        "\(commentPrefix) host=\(ProcessInfo.processInfo.hostName) pid=\(getpid()) start=\(ScratchOwner.processStartTime(getpid()) ?? "?")"
    }

    /// Drops scratch databases whose rehearse process, on this host, is gone.
    package static func sweepStaleDatabases(_ admin: PGConnection) {
        guard let rows = try? admin.rows("""
            SELECT datname, pg_catalog.shobj_description(oid, 'pg_database') FROM pg_catalog.pg_database
            WHERE datname ~ '^rehearse_[0-9a-f]{12}(_ref)?$'
            """) else { return }
        for row in rows {
            guard let name = row[0], let comment = row[1], comment.hasPrefix(commentPrefix) else { continue }
            let fields = ScratchOwner.fields(comment.dropFirst(commentPrefix.count))
            guard fields["host"] == ProcessInfo.processInfo.hostName, let pid = fields["pid"].flatMap({ Int32($0) }),
                  !ScratchOwner.processAlive(pid, startTime: fields["start"]) else { continue }
            _ = try? admin.execute("DROP DATABASE IF EXISTS \(PGConnection.quoteIdentifier(name)) WITH (FORCE)")
        }
    }

    /// Every connection, for every phase, is checked for where it went
    /// (`PostgresEndpoint.verify`): a list of hosts may reach a different one
    /// each time, and each must be one that was checked.
    package static func open(_ server: [String: String], database: String) throws -> PGConnection {
        try openVerified(server, database: database).0
    }

    package static func openVerified(_ server: [String: String], database: String) throws -> (PGConnection, PostgresEndpoint) {
        var p = server
        p["dbname"] = database
        let db: PGConnection
        do { db = try PGConnection(p) } catch {
            throw RehearseError.environment("Cannot connect to PostgreSQL (\(p["host"] ?? p["hostaddr"] ?? "default socket")): \(error).")
        }
        return (db, try PostgresEndpoint.verify(db, parameters: p))
    }

    /// A connection with every privilege (fingerprints, drift).
    package func connect() throws -> PGConnection { try Self.open(server, database: database) }

    /// A connection as the role that owns the scratch data (loads, scripts, checks).
    package func connectAsOwner(superuser: Bool = false) throws -> PGConnection {
        try Self.open(superuser ? server : scriptParameters, database: database)
    }

    package var dialect: Dialect { .postgres }
    package var provisionSummary: String { "PostgreSQL \(engineVersion): \(summaryPlace)" }
    package var location: URL {
        cluster?.directory ?? URL(string: "postgresql:///\(database)")!
    }

    package var isolation: ScratchIsolation {
        var o: [String: JSONValue] = ["database": .string(database)]
        // What the server reported, not what was asked for.
        for (k, v) in endpoint?.json ?? [:] { o[k] = v }
        let kind: String
        if let cluster {
            kind = "postgres-ephemeral-cluster"
            o["private_temporary_directory"] = .bool(true)
            o["listen_addresses"] = .string(listenAddresses ?? "unknown")
            o["settings"] = .object(Dictionary(PostgresCluster.settings.map { ($0.0, JSONValue.string($0.1.trimmingCharacters(in: CharacterSet(charactersIn: "'")))) },
                                               uniquingKeysWith: { a, _ in a }))
            if let runAs = cluster.runAs { o["run_as"] = .string(runAs) }
        } else {
            kind = "postgres-server"
            o["host"] = .string(hostDescription)
        }
        return ScratchIsolation(kind: kind, network: network, facts: o)
    }

    package func loadSurrogate(_ source: SurrogateSource, seed: UInt64, scale: Double, progress: ProgressHandler?) throws -> LoadRecord {
        var loader = PostgresSurrogateLoader(source: source, seed: seed, scale: scale, progress: progress)
        loader.jobs = jobs
        loader.provideRoles = { [server, isEphemeral, mappedRoles] roles in
            try Self.provideRoles(roles.filter { !mappedRoles.contains($0) }, server: server, create: isEphemeral)
        }
        return try loader.load(connect: { [scriptParameters, database] in try Self.open(scriptParameters, database: database) })
    }

    package func fingerprint() throws -> Fingerprint {
        var fp = try PostgresFingerprinter(connect: { [server, database] in try Self.open(server, database: database) }, jobs: jobs).fingerprint()
        guard isEphemeral else { return fp }
        // Roles created after the first fingerprint (PostgresScratch+Roles.swift).
        let roles: [String: JSONValue]
        do {
            let db = try Self.open(server, database: database)
            roles = try Self.roles(db)
        } catch {
            throw RehearseError.environment("Reading the cluster's roles for the fingerprint failed: \(error).")
        }
        let baseline = roleBaseline ?? Set(roles.keys)
        roleBaseline = baseline
        for (name, description) in roles where !baseline.contains(name) { fp.objects["role \(name)"] = description }
        return fp
    }

    /// The cluster's roles at the first fingerprint (before birth).
    private var roleBaseline: Set<String>?

    package func apply(_ script: SQLScript, transactional: Bool) throws(ScriptFailure) -> ScriptRun {
        func fail(_ message: String, _ statement: String = "") -> ScriptFailure {
            ScriptFailure(file: script.displayPath, line: 0, column: 0, statement: statement, engineMessage: message)
        }
        let db: PGConnection
        do { db = try connectAsOwner(superuser: scriptsAsSuperuser) } catch { throw fail("\(error)") }
        let statements = PostgresScript.statements(script)
        let observer = BirthObserver(db: db)
        do {
            try observer.snapshot()
            if transactional { try db.execute("BEGIN") }
        } catch { throw fail("PostgreSQL error \(error)") }
        var records: [StatementRecord] = []
        for statement in statements {
            let clock = ContinuousClock.now
            let result: PGResult
            // One statement per extended-protocol call: the statement the
            // evidence records is exactly the one the server ran.
            do { result = try db.executeStatement(statement.sql) } catch {
                if db.isInTransaction { _ = try? db.execute("ROLLBACK") }
                throw PostgresScript.failure(error, statement: statement, in: script)
            }
            let line = script.line(ofByteOffset: statement.startOffset)
            records.append(StatementRecord(line: line, durationMicros: (ContinuousClock.now - clock).microseconds,
                                           rowsChanged: Self.isDML(statement.sql) ? result.affectedRows : 0,
                                           excerpt: SQLExcerpt.of(statement.sql)))
            if transactional && !db.isInTransaction {
                let loc = script.location(ofByteOffset: statement.startOffset)
                let failure = ScriptFailure(file: script.displayPath, line: loc.line, column: loc.column, statement: statement.sql,
                                            engineMessage: "the script ended the surrounding transaction (COMMIT or ROLLBACK inside it); remove its own transaction statements, rehearse runs it in one transaction (or set 'transactional: false' in the manifest)")
                throw failure
            }
        }
        let observed: ScriptObservation
        do {
            observed = try observer.observe(transactional: transactional)
            if transactional { try db.execute("COMMIT") }
        } catch {
            if db.isInTransaction { _ = try? db.execute("ROLLBACK") }
            throw fail("PostgreSQL error at COMMIT: \(error)", "COMMIT")
        }
        return ScriptRun(statements: records, observed: observed)
    }

    /// Only INSERT, UPDATE, DELETE, MERGE and COPY report changed rows (a
    /// CREATE TABLE AS or SELECT count would otherwise count).
    package static func isDML(_ sql: String) -> Bool {
        let tokens = SQLNormalizer.tokens(String(sql.prefix(400)))
        guard let first = tokens.first else { return false }
        if first == "with" { return tokens.contains { ["insert", "update", "delete", "merge"].contains($0) } }
        return ["insert", "update", "delete", "merge", "copy"].contains(first)
    }

    package func localize(_ drift: Drift, pre: Fingerprint, rebuildPre: (ScratchEngine) throws -> Void) throws -> Drift {
        guard !drift.data.isEmpty else { return drift }
        let referenceName = database + "_ref"
        let admin = try Self.open(server, database: server["dbname"] ?? "postgres")
        Self.dropDatabase(admin, referenceName)
        do {
            try Self.createDatabase(admin, referenceName, server: server, dropOnInterrupt: !isEphemeral,
                                    ephemeralOwner: isEphemeral ? Self.ownerRole : nil)
        } catch {
            throw RehearseError.environment("Cannot create the reference database \(referenceName): \(error).")
        }
        defer { Self.dropDatabase(admin, referenceName) }
        let reference = PostgresScratch(sibling: self, database: referenceName)
        return try DriftLocalization.localize(drift, pre: pre, reference: reference, rebuildPre: rebuildPre) {
            // The current side compares the table with the staged reference
            // rows. The rows are staged as text (no domain CHECK or type input
            // runs, attack-d15 D-F0), and as defence in depth this side is the
            // scratch owner, not the superuser: any function of the schema's
            // or dump's it still reaches (a cast, a comparison) cannot run
            // programs (COPY … TO PROGRAM), as it could not during the load.
            PostgresDriftLocator(current: try connectAsOwner(superuser: scriptsAsSuperuser), reference: try reference.connect())
        }
    }

    package func tearDown(keep: Bool) {
        guard !removed else { return }
        removed = true
        if let cluster {
            cluster.remove(keep: keep)
        } else if ownsDatabase {
            if keep {
                Interruption.cancel("database \(database)")
                if let admin = try? Self.open(server, database: server["dbname"] ?? "postgres") {
                    _ = try? admin.execute("COMMENT ON DATABASE \(PGConnection.quoteIdentifier(database)) IS 'rehearse scratch database, kept'")
                }
            } else if !Interruption.isInterrupted, let admin = try? Self.open(server, database: server["dbname"] ?? "postgres") {
                Self.dropDatabase(admin, database)
            }
        }
    }

    deinit { tearDown(keep: false) }
}
