import Foundation
import RehearseCore
import RehearseEngine
import RehearsePostgres
import RehearseSQLite

/// Which engine a rehearsal provisions: the one place that knows the
/// concrete engines. A third engine adds a case here; the rehearsal sees only
/// ``ScratchProvisioner`` and ``ScratchEngine``.
public enum EngineChoice: ScratchProvisioner {
    case sqlite
    case postgres(PostgresTarget)

    /// The chosen engine's dialect.
    public var dialect: Dialect {
        switch self {
        case .sqlite: .sqlite
        case .postgres: .postgres
        }
    }

    /// Provisions a new scratch database on the chosen engine; throws when the engine cannot be reached or set up.
    public func provision(_ options: ProvisionOptions) throws -> any ScratchEngine {
        switch self {
        case .sqlite: try SQLiteScratch(options)
        case .postgres(let target): try PostgresScratch(target: target, options: options)
        }
    }
}
