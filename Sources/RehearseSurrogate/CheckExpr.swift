import Foundation
import RehearseCore
import RehearseEvidence

// MARK: - A small parser for the CHECK subset

package indirect enum CheckExpr {
    case and([CheckExpr])
    case or([CheckExpr])
    case compare(CheckOperand, String, CheckOperand)
    case between(CheckOperand, CheckOperand, CheckOperand, negated: Bool)
    case inList(CheckOperand, [CheckOperand], negated: Bool)
    case isNull(CheckOperand, negated: Bool)
    case other
}

package enum CheckOperand {
    /// A column, by lower-cased name.
    case column(String)
    /// length(column).
    case length(String)
    case value(DatabaseValue)
    case other

    package var constant: DatabaseValue? {
        if case .value(let v) = self, v != .null { return v }
        return nil
    }
}
