import Foundation
import RehearseCore
import RehearseEvidence
import RehearseSurrogate
import RehearseEngine

/// The scratch cluster's server settings and where a client connects.
extension PostgresCluster {
    /// Settings suited to a scratch database (nothing in it must survive a
    /// crash), recorded in evidence.
    package static let settings: [(String, String)] = [
        ("listen_addresses", "''"),
        ("unix_socket_permissions", "0700"),
        ("fsync", "off"),
        ("synchronous_commit", "off"),
        ("full_page_writes", "off"),
        ("wal_level", "minimal"),
        ("max_wal_senders", "0"),
        ("max_wal_size", "'8GB'"),
        ("checkpoint_timeout", "'1h'"),
        ("autovacuum", "off"),
        ("shared_buffers", "'256MB'"),
        ("maintenance_work_mem", "'512MB'"),
        ("work_mem", "'64MB'"),
        ("jit", "off"),
        ("timezone", "'UTC'"),
        ("ssl", "off"),
    ]

    /// Where libpq finds the socket: the cluster's own directory.
    package var socketDirectory: URL { directory }

    package func connectionParameters(database: String) -> [String: String] {
        ["host": socketDirectory.path, "port": String(Self.port), "user": Self.superuser, "dbname": database,
         "application_name": "rehearse", "connect_timeout": "10"]
    }
}
