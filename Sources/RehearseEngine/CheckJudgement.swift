/// One definition of a check's outcome, the same on every engine. A check
/// is a query that must return exactly one row holding one value, and it
/// passes only when that value is the boolean true or the integer 1, as the
/// engine typed it: not the text '1', not 1.0, not NULL.
package enum CheckJudgement {
    /// The one value a check returned, by the type the engine gave it.
    package enum Value: Equatable {
        case boolean(Bool)
        case integer(Int64)
        /// Text, a real, a blob, any other type.
        case other
        case null
    }

    /// The outcome and what the query returned, in words; `shown` is the
    /// value as the engine prints it.
    package static func judge(rows: Int, columns: Int, value: Value, shown: String) -> (passed: Bool, returned: String) {
        if rows != 1 { return (false, rows == 0 ? "0 rows" : "more than one row") }
        if columns != 1 { return (false, "1 row of \(columns) columns") }
        return (value == .boolean(true) || value == .integer(1), "1 row: \(shown)")
    }
}
