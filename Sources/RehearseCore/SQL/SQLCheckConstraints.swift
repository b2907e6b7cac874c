extension SQLNormalizer {
    /// The CHECK clauses of a CREATE TABLE statement, each normalized, with its
    /// constraint name when it has one (`name: check ( ... )`).
    package static func checkConstraints(ofCreateTable sql: String) -> [String] {
        let toks = lexCreateTable(sql).map(canonical)
        var result: [String] = []
        var i = 0
        while i < toks.count {
            if toks[i] == "check", i + 1 < toks.count, toks[i + 1] == "(" {
                var depth = 0
                var j = i + 1
                while j < toks.count {
                    if toks[j] == "(" { depth += 1 }
                    if toks[j] == ")" { depth -= 1; if depth == 0 { break } }
                    j += 1
                }
                let body = toks[i...min(j, toks.count - 1)].joined(separator: " ")
                let name = (i >= 2 && toks[i - 2] == "constraint") ? toks[i - 1] + ": " : ""
                result.append(name + body)
                i = j + 1
                continue
            }
            i += 1
        }
        return result.sorted()
    }
}
