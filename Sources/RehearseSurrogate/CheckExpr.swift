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
    /// How many of the columns are not NULL lies in lo...hi: `num_nonnulls(a, b) = 1`,
    /// `num_nulls(…)`, `(a IS NULL) <> (b IS NULL)`.
    case presence([String], lo: Int, hi: Int)
    case other
}

package enum CheckOperand {
    /// A column, by lower-cased name.
    case column(String)
    /// length(column), char_length(column).
    case length(String)
    /// trim(column) / btrim(column), only as the argument of a length.
    case trimmed(String)
    /// length(trim(column)).
    case trimmedLength(String)
    /// octet_length(column): its length in bytes.
    case octetLength(String)
    /// jsonb_typeof(column) / json_typeof(column).
    case jsonType(String)
    /// cardinality(column): an array's number of elements.
    case cardinality(String)
    /// num_nonnulls(columns…) (nulls: false) or num_nulls(columns…) (nulls: true).
    case nullCount([String], nulls: Bool)
    /// COALESCE(column, constant).
    case coalesce(String, DatabaseValue)
    /// date_trunc('unit', column).
    case dateTrunc(String, String)
    case value(DatabaseValue)
    case other

    package var constant: DatabaseValue? {
        if case .value(let v) = self, v != .null { return v }
        return nil
    }
}
