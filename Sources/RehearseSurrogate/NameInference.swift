import Foundation
import RehearseCore
import RehearseEvidence

extension ColumnPlan {
    package static func infer(_ column: ColumnShape, table: TableShape, unique: Bool) -> Kind {
        let n = column.name.lowercased()
        let pk = table.primaryKey.map { $0.lowercased() }
        if pk == [n] && column.affinity == .integer { return .spec(.sequence(start: 1, step: 1)) }
        if column.looksBoolean || n.hasPrefix("is_") || n.hasPrefix("has_") { return .spec(.boolean(rate: 0.5)) }
        if column.affinity == .blob && !column.declaredType.isEmpty { return .bytes(16) }
        let textual = column.affinity == .text || column.affinity == .blob
        if textual {
            if n.contains("email") { return .spec(.text(.email)) }
            if n.contains("phone") { return .spec(.text(.phone)) }
            if n == "first_name" || n == "given_name" { return .spec(.text(.firstName)) }
            if n == "last_name" || n == "surname" || n == "family_name" { return .spec(.text(.lastName)) }
            if n.contains("name") { return .spec(.text(.name)) }
            if n.contains("city") || n.contains("town") { return .spec(.text(.city)) }
            if n.contains("street") || n.contains("address") || n.hasPrefix("line") { return .spec(.text(.street)) }
            if n.contains("postcode") || n.contains("postal") || n.hasPrefix("zip") { return .spec(.text(.postcode)) }
            if n.contains("sku") { return .spec(.text(.sku)) }
            if n.contains("uuid") || n.contains("guid") { return .spec(.text(.uuid)) }
            if n.contains("token") || n.contains("hash") { return .spec(.text(.hexLength(32))) }
            if n.contains("description") || n.contains("note") || n.contains("comment") || n.contains("body") { return .spec(.text(.sentence)) }
        }
        if n.hasSuffix("_at") || n.hasSuffix("_on") || n.contains("date") || n.contains("time") {
            return .spec(.timestamp(from: CivilTime.parse("2020-01-01")!, to: CivilTime.parse("2026-01-01")!))
        }
        switch column.affinity {
        case .integer, .numeric: return .spec(.uniform(min: 0, max: unique ? Int64.max / 2 : 1000))
        case .real: return .spec(.uniformReal(min: 0, max: 1000, decimals: 2))
        case .text, .blob: return .spec(.text(.word))
        }
    }

    /// Whether a column holds timestamps (so a comparison with it moves in seconds).
    package static func timeLike(_ column: ColumnShape, profile: ColumnProfile?, table: TableShape) -> Bool {
        switch profile?.generator {
        case .timestamp?, .seasonalTimestamp?, .timestampAfter?: return true
        case .some: return false
        case nil:
            if case .spec(.timestamp) = infer(column, table: table, unique: false) { return true }
            return column.affinity == .text
        }
    }
}
