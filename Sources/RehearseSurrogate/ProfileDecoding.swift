import Foundation
import RehearseCore
import RehearseEvidence

extension ShapeProfile {
    package init(parsing text: String, file: String) throws {
        let root = try YAMLNode.load(text: text, file: file)
        let m = try root.members(allowed: ["tables", "default_rows", "edge_cases", "targeting"])
        edgeCases = try EdgeCaseSettings(edgeCases: m["edge_cases"], targeting: m["targeting"])
        defaultRows = try m["default_rows"]?.int(in: 0...Limits.maxRowsPerTable, "default_rows") ?? 100
        var tables: [String: TableProfile] = [:]
        for (name, node) in try m["tables"]?.mapping() ?? [] {
            guard name.utf8.count <= Limits.maxNameLength else {
                throw node.fail("the table name is \(name.utf8.count) bytes long, above the maximum of \(Limits.maxNameLength). No schema can create it; fix the name.")
            }
            tables[name] = try TableProfile(node)
        }
        self.tables = tables
    }
}

extension TableProfile {
    package init(_ node: YAMLNode) throws {
        let m = try node.members(allowed: ["rows", "columns", "foreign_keys", "observed"])
        if let o = m["observed"] {
            let om = try o.members(allowed: ["partitions", "partitions_with_rows"])
            let count = try om["partitions"]?.int(in: 0...Limits.maxRowsPerTable, "partitions") ?? 0
            let used = try om["partitions_with_rows"]?.int(in: 0...count, "partitions_with_rows") ?? 0
            observedPartitions = (count, used)
        }
        for fk in try m["foreign_keys"]?.sequence() ?? [] {
            let f = try fk.members(allowed: ["columns", "references", "fanout", "distribution", "exponent", "min_children", "max_children", "null_fraction"])
            guard let columnsNode = f["columns"] else { throw fk.fail("a foreign_keys entry needs 'columns'.") }
            let columns = try columnsNode.sequence().map { try $0.string() }
            guard !columns.isEmpty else { throw columnsNode.fail("'columns' must name at least one column.") }
            let buckets = try f["fanout"]?.mapping() ?? []
            guard buckets.count <= Limits.maxListLength else {
                throw f["fanout"]!.fail("the fan-out has \(buckets.count) buckets, above the maximum of \(Limits.maxListLength).")
            }
            let histogram = try buckets.map { (bucket: $0.key, parents: try $0.value.int(in: 0...Limits.maxRowsPerTable, "a fan-out bucket's parent count")) }
            observedFanOuts.append((columns, histogram))
            if let spec = try FanOutSpec(columns: columns, node: fk, members: f) { fanOuts.append(spec) }
        }
        guard let rowsNode = m["rows"] else { throw node.fail("the required key 'rows' is missing.") }
        rows = try rowsNode.int(in: 0...Limits.maxRowsPerTable, "rows")
        var columns: [String: ColumnProfile] = [:]
        for (name, c) in try m["columns"]?.mapping() ?? [] {
            guard name.utf8.count <= Limits.maxNameLength else {
                throw c.fail("the column name is \(name.utf8.count) bytes long, above the maximum of \(Limits.maxNameLength). No schema can create it; fix the name.")
            }
            columns[name] = try ColumnProfile(c)
        }
        self.columns = columns
    }
}

extension FanOutSpec {
    package init?(columns: [String], node: YAMLNode, members f: [String: YAMLNode]) throws {
        guard f["distribution"] != nil || f["min_children"] != nil || f["max_children"] != nil || f["null_fraction"] != nil else {
            if let e = f["exponent"] { throw e.fail("'exponent' needs 'distribution: zipf'.") }
            return nil
        }
        self.columns = columns
        switch try f["distribution"]?.string() ?? "uniform" {
        case "uniform":
            if let e = f["exponent"] { throw e.fail("'exponent' applies only to 'distribution: zipf'.") }
            distribution = .uniform
        case "zipf":
            let s = try f["exponent"]?.double() ?? 1
            guard s > 0, s <= 10 else { throw (f["exponent"] ?? node).fail("exponent must be above 0 and at most 10.") }
            distribution = .zipf(exponent: s)
        case let other:
            throw f["distribution"]!.fail("unknown distribution '\(other)'. Known: uniform, zipf.")
        }
        minChildren = try f["min_children"]?.int(in: 0...Limits.maxChildrenPerParent, "min_children") ?? 0
        maxChildren = try f["max_children"]?.int(in: 0...Limits.maxChildrenPerParent, "max_children")
        if let mx = maxChildren, mx < max(minChildren, 1) {
            throw f["max_children"]!.fail("max_children must be at least 1 and at least min_children.")
        }
        if let nf = f["null_fraction"] {
            let v = try nf.double()
            guard (0...1).contains(v) else { throw nf.fail("null_fraction must be between 0 and 1.") }
            nullFraction = v
        }
    }
}

extension ColumnProfile {
    package init(_ node: YAMLNode) throws {
        let m = try node.members(allowed: ["generator", "null_fraction", "min", "max", "start", "step", "values", "rate",
                                           "from", "to", "column", "min_seconds", "max_seconds", "length", "decimals", "value",
                                           "distinct", "observed", "mean", "stddev", "mu", "sigma", "median", "spread",
                                           "n", "exponent", "hour_weights", "weekday_weights"])
        if let d = m["distinct"] {
            distinct = try d.int(in: 1...Limits.maxRowsPerTable, "distinct")
        }
        if let o = m["observed"] {
            let om = try o.members(allowed: ["distinct", "null_fraction", "avg_width", "max_width", "type", "type_detail"])
            // Only reported, but the fidelity report multiplies them: bounded too.
            let nullFraction = try om["null_fraction"]?.double()
            if let nullFraction, !(0...1).contains(nullFraction) { throw om["null_fraction"]!.fail("null_fraction must be between 0 and 1.") }
            let width = try om["avg_width"]?.boundedDouble("avg_width")
            if let width, width < 0 { throw om["avg_width"]!.fail("avg_width must be zero or more.") }
            let type = try om["type"]?.string()
            if let type, type.utf8.count > Limits.maxNameLength * 4 { throw om["type"]!.fail("the type name is too long.") }
            let detail = try om["type_detail"]?.string()
            if let detail, detail.utf8.count > 1 << 20 { throw om["type_detail"]!.fail("type_detail is longer than 1 MiB.") }
            observed = Observed(distinct: try om["distinct"]?.int(in: 0...Limits.maxRowsPerTable, "distinct"), nullFraction: nullFraction,
                                averageWidth: width, maximumWidth: try om["max_width"]?.int(in: 0...Int64.max, "max_width"), type: type,
                                typeDetail: detail)
        }
        if let nf = m["null_fraction"] {
            let v = try nf.double()
            guard (0...1).contains(v) else { throw nf.fail("null_fraction must be between 0 and 1.") }
            nullFraction = v
        }
        generator = try m["generator"].map { try GeneratorSpec(kind: $0, parameters: m) }
        // `from: table.column` without a generator: values drawn from another
        // table's column, a relationship the schema does not declare (a tenant id).
        if generator == nil, let node = m["from"] {
            drawnFrom = try ColumnSource(node)
        }
        if generator == nil, let extra = m.keys.first(where: { !["null_fraction", "distinct", "observed", "from"].contains($0) }) {
            throw m[extra]!.fail("'\(extra)' is a generator parameter, but no generator is named. Add 'generator: ...'.")
        }
    }
}

extension GeneratorSpec {
    package init(kind node: YAMLNode, parameters m: [String: YAMLNode]) throws {
        let kind = try node.string()
        func need(_ key: String) throws -> YAMLNode {
            guard let v = m[key] else { throw node.fail("the \(kind) generator needs '\(key)'.") }
            return v
        }
        let allowed: Set<String>
        switch kind {
        case "sequence":
            allowed = ["start", "step"]
            self = .sequence(start: try m["start"]?.int() ?? 1, step: try m["step"]?.int() ?? 1)
        case "uniform":
            allowed = ["min", "max"]
            let lo = try need("min").int(), hi = try need("max").int()
            guard lo <= hi else { throw m["max"]!.fail("max must be at least min.") }
            self = .uniform(min: lo, max: hi)
        case "uniform_real":
            allowed = ["min", "max", "decimals"]
            let lo = try need("min").boundedDouble("min"), hi = try need("max").boundedDouble("max")
            guard lo <= hi else { throw m["max"]!.fail("max must be at least min.") }
            self = .uniformReal(min: lo, max: hi, decimals: try Self.decimals(m))
        case "normal":
            allowed = ["mean", "stddev", "min", "max", "decimals"]
            let mean = try need("mean").boundedDouble("mean"), sd = try need("stddev").boundedDouble("stddev")
            guard sd >= 0 else { throw m["stddev"]!.fail("stddev must be zero or more.") }
            let (lo, hi) = try Self.bounds(m)
            self = .normal(mean: mean, stddev: sd, min: lo, max: hi, decimals: try Self.decimals(m))
        case "log-normal":
            allowed = ["mu", "sigma", "median", "spread", "min", "max", "decimals"]
            let mu: Double, sigma: Double
            if m["median"] != nil || m["spread"] != nil {
                if let k = ["mu", "sigma"].first(where: { m[$0] != nil }) { throw m[k]!.fail("give either mu and sigma, or median and spread, not both.") }
                let median = try need("median").boundedDouble("median"), spread = try need("spread").boundedDouble("spread")
                guard median > 0 else { throw m["median"]!.fail("median must be above 0.") }
                guard spread >= 1 else { throw m["spread"]!.fail("spread (the geometric standard deviation) must be at least 1.") }
                mu = Foundation.log(median)
                sigma = Foundation.log(spread)
            } else {
                // exp() of more than about 709 is infinite.
                mu = try need("mu").double()
                guard abs(mu) <= 700 else { throw m["mu"]!.fail("mu must be between -700 and 700 (e^mu is the median).") }
                sigma = try need("sigma").double()
                guard sigma <= 100 else { throw m["sigma"]!.fail("sigma must be at most 100.") }
                guard sigma >= 0 else { throw m["sigma"]!.fail("sigma must be zero or more.") }
            }
            let (lo, hi) = try Self.bounds(m)
            self = .logNormal(mu: mu, sigma: sigma, min: lo, max: hi, decimals: try Self.decimals(m))
        case "zipf":
            allowed = ["n", "exponent"]
            let n = try need("n").int(in: 1...Limits.maxRowsPerTable, "n")
            let s = try m["exponent"]?.double() ?? 1
            guard s > 0, s <= 10 else { throw m["exponent"]!.fail("exponent must be above 0 and at most 10.") }
            self = .zipf(n: n, exponent: s)
        case "categorical":
            allowed = ["values"]
            let valuesNode = try need("values")
            var values: [(DatabaseValue, Double)] = []
            let count = valuesNode.node.sequence?.count ?? valuesNode.node.mapping?.count ?? 0
            guard count <= Limits.maxListLength else {
                throw valuesNode.fail("categorical has \(count) values, above the maximum of \(Limits.maxListLength). Use fewer values, or a generator that makes them.")
            }
            if valuesNode.node.sequence != nil {
                for item in try valuesNode.sequence() { values.append((try Self.literal(item), 1)) }
            } else {
                for (k, w) in try valuesNode.mapping() {
                    let weight = try w.boundedDouble("a weight")
                    guard weight >= 0 else { throw w.fail("weights must be zero or more.") }
                    values.append((Int64(k).map { DatabaseValue.integer($0) } ?? .text(k), weight))
                }
            }
            guard !values.isEmpty, values.contains(where: { $0.1 > 0 }) else {
                throw valuesNode.fail("categorical needs at least one value with a weight above zero.")
            }
            self = .categorical(values)
        case "boolean":
            allowed = ["rate"]
            let rate = try m["rate"]?.double() ?? 0.5
            guard (0...1).contains(rate) else { throw m["rate"]!.fail("rate must be between 0 and 1.") }
            self = .boolean(rate: rate)
        case "timestamp":
            allowed = ["from", "to", "hour_weights", "weekday_weights"]
            let from = try Self.epoch(need("from")), to = try Self.epoch(need("to"))
            guard from < to else { throw m["to"]!.fail("'to' must be later than 'from'.") }
            if m["hour_weights"] != nil || m["weekday_weights"] != nil {
                let hours = try Self.weights(m["hour_weights"], count: 24, what: "hour_weights")
                let days = try Self.weights(m["weekday_weights"], count: 7, what: "weekday_weights")
                guard SeasonalCalendar(from: from, to: to, hourWeights: hours, weekdayWeights: days) != nil else {
                    throw node.fail("no second between 'from' and 'to' has a weekday and hour with a weight above zero.")
                }
                self = .seasonalTimestamp(from: from, to: to, hourWeights: hours, weekdayWeights: days)
            } else {
                self = .timestamp(from: from, to: to)
            }
        case "timestamp_after":
            allowed = ["column", "min_seconds", "max_seconds"]
            let lo = try m["min_seconds"]?.int(in: 0...Limits.maxOffsetSeconds, "min_seconds") ?? 0
            let hi = try need("max_seconds").int(in: 0...Limits.maxOffsetSeconds, "max_seconds")
            guard lo >= 0, lo <= hi else { throw m["max_seconds"]!.fail("need 0 <= min_seconds <= max_seconds.") }
            self = .timestampAfter(column: try need("column").string(), minSeconds: lo, maxSeconds: hi)
        case "constant":
            allowed = ["value"]
            self = .constant(try Self.literal(need("value")))
        default:
            guard let pattern = TextPattern(rawValue: kind) else {
                throw node.fail("unknown generator '\(kind)'. Known generators: \(Self.names.joined(separator: ", ")).")
            }
            allowed = pattern == .hex ? ["length"] : []
            let length = try m["length"]?.int(in: 1...Limits.maxTextLength, "length") ?? 16
            self = .text(pattern == .hex ? .hexLength(Int(length)) : pattern)
        }
        for key in m.keys where !["generator", "null_fraction", "distinct", "observed"].contains(key) && !allowed.contains(key) {
            throw m[key]!.fail("'\(key)' does not apply to the \(kind) generator (it takes: \(allowed.sorted().joined(separator: ", "))).")
        }
    }

    package static func bounds(_ m: [String: YAMLNode]) throws -> (Double?, Double?) {
        let lo = try m["min"]?.boundedDouble("min"), hi = try m["max"]?.boundedDouble("max")
        if let lo, let hi, lo > hi { throw m["max"]!.fail("max must be at least min.") }
        return (lo, hi)
    }

    package static func decimals(_ m: [String: YAMLNode]) throws -> Int {
        let d = try m["decimals"]?.int() ?? 2
        guard (0...6).contains(d) else { throw m["decimals"]!.fail("decimals must be between 0 and 6.") }
        return Int(d)
    }

    /// A list of `count` non-negative weights with a positive sum; all equal when absent.
    package static func weights(_ node: YAMLNode?, count: Int, what: String) throws -> [Double] {
        guard let node else { return Array(repeating: 1, count: count) }
        let items = try node.sequence()
        guard items.count == count else { throw node.fail("\(what) needs exactly \(count) numbers, not \(items.count).") }
        let w = try items.map { try $0.boundedDouble(what) }
        guard w.allSatisfy({ $0 >= 0 && $0.isFinite }), w.contains(where: { $0 > 0 }) else {
            throw node.fail("\(what) must be zero or more, with at least one above zero.")
        }
        return w
    }

    package static func literal(_ node: YAMLNode) throws -> DatabaseValue {
        let s = try node.string()
        if node.node.scalar?.style == .plain, let i = Int64(s) { return .integer(i) }
        return .text(s)
    }

    package static func epoch(_ node: YAMLNode) throws -> Int64 {
        let text = try node.string()
        guard let seconds = CivilTime.parse(text) else {
            throw node.fail("expected a date as YYYY-MM-DD or YYYY-MM-DD HH:MM:SS (UTC).")
        }
        guard let year = Int64(text.drop(while: { $0 == "-" }).prefix(while: \.isNumber)), !text.hasPrefix("-"), Limits.years.contains(year) else {
            throw node.fail("the year must be from \(Limits.years.lowerBound) to \(Limits.years.upperBound).")
        }
        return seconds
    }
}
