/// One typed value as an engine stores it. Integer 1, real 1.0, text '1', blob x'31' and NULL
/// are five different values here, as they are in SQLite's storage.
package enum DatabaseValue: Hashable, Sendable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

extension DatabaseValue: CustomStringConvertible {
    /// A short SQL-literal rendering, for check results and messages about the
    /// scratch database's own generated data.
    package var description: String {
        switch self {
        case .null: "NULL"
        case .integer(let i): String(i)
        case .real(let d): String(d)
        case .text(let s): "'" + s.replacingOccurrences(of: "'", with: "''") + "'"
        case .blob(let b): "x'" + Digest.hex(b) + "'"
        }
    }
}

extension DatabaseValue {
    package var int64: Int64? {
        switch self {
        case .integer(let i): i
        case .real(let d): Int64(exactly: d.rounded())
        default: nil
        }
    }

    package var double: Double? {
        switch self {
        case .integer(let i): Double(i)
        case .real(let d): d
        default: nil
        }
    }
}
