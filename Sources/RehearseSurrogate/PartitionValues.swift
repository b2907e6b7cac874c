import RehearseCore
import RehearseEvidence

/// Values for one key column of a partitioned table that land every row in
/// a partition: each row picks a partition (the same pick for every key
/// column, from a table-level stream), then a value inside its bounds —
/// spread over `[from, to)` for a single-column range key of a number, date
/// or timestamp type, the lower bound itself for other types and for
/// multi-column keys (a range's lower bound is always inside it), one of the
/// listed values for a list partition.
package struct PartitionValues: Sendable {
    package enum Pick: Sendable {
        /// Integers (or days, or seconds) in lo..<hi, rendered by `render`.
        case span(lo: Int64, hi: Int64)
        case real(lo: Double, hi: Double)
        case literal(String)
        case list([String?])
    }
    package enum Render: Sendable, Equatable { case integer, date, timestamp(zoned: Bool), number, text }

    package let picks: [Pick]
    package let render: Render
    package let chooser: CounterRandom
    package let rng: CounterRandom

    /// Nil when the column needs no steering or no bound can be used.
    package init?(layout: PartitionLayout, column: String, fact: PostgresTypeFact?, seed: UInt64, table: String) {
        let name = column.lowercased()
        guard layout.steers, layout.leaves.contains(where: { $0[name] != nil }) else { return nil }
        let base = fact?.baseName ?? ""
        let render: Render = switch base {
        case "int2", "int4", "int8": .integer
        case "date": .date
        case "timestamp", "timestamptz": .timestamp(zoned: base == "timestamptz")
        case "numeric", "float4", "float8": .number
        default: .text
        }
        // One pick per leaf (the same leaf for every key column of a row); a
        // leaf that leaves this column free takes another leaf's pick, which
        // is a value of the type like any other.
        let perLeaf: [Pick?] = layout.leaves.map { leaf in
            switch leaf[name] {
            case .list(let values)?: return .list(values)
            case .range(let from, let to)?: return Self.span(from, to, render)
            case .literal(let v)?: return .literal(v)
            case nil: return nil
            }
        }
        guard let any = perLeaf.first(where: { $0 != nil }) ?? nil else { return nil }
        let picks = perLeaf.map { $0 ?? any }
        self.picks = picks
        self.render = render
        chooser = CounterRandom(seed: seed, table: table.lowercased(), column: "\u{0}partition")
        rng = CounterRandom(seed: seed, table: table.lowercased(), column: column.lowercased())
    }

    /// `[from, to)` as numbers of the column's kind; MINVALUE or MAXVALUE
    /// leaves a thousand units on the open side.
    package static func span(_ from: String?, _ to: String?, _ render: Render) -> Pick? {
        switch render {
        case .integer, .date, .timestamp:
            func parse(_ s: String?) -> Int64? {
                guard let s else { return nil }
                switch render {
                case .integer: return Int64(s)
                case .date: return CivilTime.parse(s).map { $0 / 86400 }
                default: return seconds(s)
                }
            }
            let lo = parse(from), hi = parse(to)
            if (from != nil && lo == nil) || (to != nil && hi == nil) { return from.map { .literal($0) } }
            let width: Int64 = render == .integer || render == .date ? 1000 : 1000 * 86400
            let l = lo ?? (hi! &- width), h = hi ?? (lo! &+ width)
            return l < h ? .span(lo: l, hi: h) : nil
        case .number:
            let lo = from.flatMap(Double.init), hi = to.flatMap(Double.init)
            if (from != nil && lo == nil) || (to != nil && hi == nil) { return from.map { .literal($0) } }
            let l = lo ?? (hi! - 1000), h = hi ?? (lo! + 1000)
            return l < h ? .real(lo: l, hi: h) : nil
        case .text:
            return from.map { .literal($0) }
        }
    }

    /// Seconds since 1970 of a timestamp literal, its zone offset applied
    /// (`2020-01-01 00:00:00+00`, `2020-01-01 03:00:00-05:30`); fractions dropped.
    package static func seconds(_ text: String) -> Int64? {
        var s = Substring(text)
        var offset: Int64 = 0
        if s.count > 10, let i = s.dropFirst(10).lastIndex(where: { $0 == "+" || $0 == "-" }) {
            let zone = s[s.index(after: i)...].split(separator: ":").compactMap { Int64($0) }
            guard (1...3).contains(zone.count) else { return nil }
            offset = (zone[0] * 3600 + (zone.count > 1 ? zone[1] * 60 : 0)) * (s[i] == "-" ? -1 : 1)
            s = s[..<i]
        }
        if let dot = s.firstIndex(of: ".") { s = s[..<dot] }
        return CivilTime.parse(String(s)).map { $0 - offset }
    }

    /// The leaf row `row` is aimed at: the first rows take each leaf once
    /// (so a foreign key to one partition finds a parent there), the others draw.
    package func leaf(row: Int64, unique: Int64?) -> Int {
        let count = UInt64(picks.count)
        return unique.map { Int(UInt64($0) % count) } ?? (row >= 0 && row < Int64(count) ? Int(row) : Int(chooser.below(count, row)))
    }

    package func value(row: Int64, unique: Int64?) -> DatabaseValue {
        let count = UInt64(picks.count)
        let index = leaf(row: row, unique: unique)
        let offset = unique.map { UInt64($0) / count }
        switch picks[index] {
        case .list(let values):
            guard let v = values[Int(rng.below(UInt64(values.count), row, 41))] else { return .null }
            return render == .integer ? Int64(v).map { .integer($0) } ?? .text(v) : .text(v)
        case .literal(let v):
            return render == .integer ? Int64(v).map { .integer($0) } ?? .text(v) : .text(v)
        case .real(let lo, let hi):
            let x = ((lo + (hi - lo) * rng.unit(row, 41)) * 100).rounded(.down) / 100
            return .real(min(max(x, lo), hi.nextDown))
        case .span(let lo, let hi):
            let span = UInt64(bitPattern: hi &- lo)
            let k = offset.map { $0 % span } ?? rng.below(span, row, 41)
            let v = lo &+ Int64(bitPattern: k)
            switch render {
            case .date: return .text(PostgresValue.date(days: v).text)
            case .timestamp(let zoned): return .text(CivilTime.format(v) + (zoned ? "+00" : ""))
            default: return .integer(v)
            }
        }
    }
}
