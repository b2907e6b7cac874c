import RehearseCore
import RehearseEvidence

/// A surrogate is a test fixture, not only a shape: by default some of the
/// generated values are the ones migrations get wrong (NULLs, mixed case,
/// white space at the ends, accents, CJK, emoji, combining marks, empty
/// strings, values at the declared length, 0, negatives, -0.0, repeats), so a
/// birth that lower-cases, trims or deletes NULL-keyed rows changes something
/// a lossy rollback then fails to restore. Every value is made up (learned
/// profiles stay value-free) and depends only on the seed, table, column and
/// row. The mix touches only columns where any such value satisfies the
/// schema by construction: no key, UNIQUE, CHECK or multi-column foreign key
/// column, no enumerated or constant generator. docs/VERDICTS.md documents
/// the defaults; a profile tunes or switches them off:
///
///     edge_cases: off                 # or a mapping:
///     edge_cases: {null_fraction: 0.1, value_fraction: 0.25}
///     targeting: off                  # or {fraction: 0.25}
package struct EdgeCaseSettings: Sendable, Equatable {
    package var enabled = true
    /// NULLs in a nullable column the profile gives no `null_fraction`.
    package var nullFraction = 0.1
    /// Share of a mixed column's non-NULL values replaced by an edge case.
    package var valueFraction = 0.25
    /// Birth-aware targeting (BirthTargets) on, and its share of rows.
    package var targeting = true
    package var targetFraction = 0.25
    /// Every variant once in a column's first rows (ColumnEdges.sweep); off
    /// only to regenerate evidence of rehearse-surrogate/2 and older.
    package var sweep = true

    package init() {}

    package static let defaults = EdgeCaseSettings()

    /// Reads `edge_cases` and `targeting` from a profile's top level.
    package init(edgeCases: YAMLNode?, targeting: YAMLNode?) throws {
        let onOff = ProfileSwitches.onOff
        func fraction(_ node: YAMLNode, _ what: String) throws -> Double {
            let v = try node.double()
            guard (0...0.9).contains(v) else { throw node.fail("\(what) must be between 0 and 0.9, not \(v).") }
            return v
        }
        if let node = edgeCases {
            if let on = onOff(node) { enabled = on } else {
                let m = try node.members(allowed: ["null_fraction", "value_fraction"])
                if let n = m["null_fraction"] { nullFraction = try fraction(n, "null_fraction") }
                if let n = m["value_fraction"] { valueFraction = try fraction(n, "value_fraction") }
            }
        }
        if let node = targeting {
            if let on = onOff(node) { self.targeting = on } else {
                let m = try node.members(allowed: ["fraction"])
                if let n = m["fraction"] { targetFraction = try fraction(n, "fraction") }
            }
        }
    }
}

/// What the mix does to one column, decided once when the plan is built.
package struct ColumnEdges: Sendable {
    /// NULLs to add (nil: leave the profile's or none).
    package var nullFraction: Double?
    /// Replace a share of text values with text edge cases.
    package var text = false
    /// Replace a share of numbers with 0, negatives, -0.0.
    package var numbers = false
    package var isReal = false
    /// Time edge cases (EdgeCaseValues): replace a share of a time column's values.
    package var temporal: [DatabaseValue] = []
    /// Type bounds and extreme magnitudes, among the number variants.
    package var extremes: [DatabaseValue] = []
    /// Declared length limit (varchar(n), char(n), a CHECK on length), in characters.
    package var maxLength: Int?
    /// A CHECK's lower bound on the length: shorter variants are not used.
    package var minLength: Int?
    package var valueFraction = 0.0
    /// From the birth: make rows that change under lower()/upper().
    package var targetCase = false
    /// From the birth: values its predicates look for.
    package var targetValues: [DatabaseValue] = []
    package var targetFraction = 0.0

    /// A single-column UNIQUE text column: only the upper-case variant of a
    /// row's own value, which stays distinct (and distinct without regard to
    /// case) whenever the generator's values are; no repeats, no empty string.
    package var uniqueText = false
    /// The longest value written "at the declared length": a CHECK or type
    /// allowing more (length(c) <= 10^12) gets no such variant rather than
    /// a value that exhausts memory (review of session 4).
    package static let atLengthLimit = 65_536
    /// Place every variant once (EdgeCaseSettings.sweep).
    package var sweep = true

    /// A free-text column with a `distinct` pool: case variants chosen by
    /// the value itself (`poolCased`), so the pool keeps its exact count.
    package var poolCase = false

    package var isActive: Bool { text || numbers || !temporal.isEmpty || targetCase || !targetValues.isEmpty || uniqueText || poolCase }



    /// How many variants the sweep places, one each, in the column's first
    /// non-NULL rows (in the keyed row order): every variant a column can
    /// take, whatever the row count, not only those a random draw hits.
    /// (With a few rows, a 25% random share left the empty string and
    /// padded text out of most tables: red team W-F14.)
    package var sweepCount: Int64 {
        guard sweep, valueFraction > 0, !uniqueText else { return 0 }
        if !temporal.isEmpty { return Int64(temporal.count) }
        if text { return Int64(Self.textSweep.count) }
        if numbers { return 4 + Int64(extremes.count) }
        return 0
    }

    /// Whether targeting takes every other row of the sweep.
    private var sweepsTargets: Bool { targetFraction > 0 && (targetCase || !targetValues.isEmpty) }

    /// The value for `row`: `base` unless this row is one of the edge cases.
    /// Streams 900 and up are the mix's own, apart from the generators'.
    /// `ordinal` is the row's number among the column's non-NULL rows in
    /// the keyed order (negative: unknown): the first ones take the sweep.
    package func apply(_ base: DatabaseValue, row: Int64, ordinal: Int64 = -1, rng: CounterRandom, duplicate: (Int64) -> DatabaseValue) -> DatabaseValue {
        if base == .null { return base }
        if ordinal >= 0, let swept = sweep(base, row: row, ordinal: ordinal, duplicate: duplicate) { return swept }
        if uniqueText {
            guard case .text(let s) = base, max(valueFraction, targetCase ? targetFraction : 0) > 0,
                  rng.unit(row, 905) < max(valueFraction, targetCase ? targetFraction : 0) else { return base }
            return .text(s.uppercased())
        }
        if targetFraction > 0, targetCase || !targetValues.isEmpty, rng.unit(row, 901) < targetFraction {
            if !targetValues.isEmpty, !targetCase || rng.below(2, row, 902) == 0 {
                let v = fitted(targetValues[Int(rng.below(UInt64(targetValues.count), row, 903))])
                if let minLength, case .text(let t) = v, t.unicodeScalars.count < minLength { return base }
                return v
            }
            if case .text(let s) = base { return fitted(.text(Self.decorations[Int(rng.below(3, row, 904))](s.isEmpty ? "Edge" : s))) }
        }
        guard valueFraction > 0, rng.unit(row, 905) < valueFraction else { return base }
        if let minLength {
            // Under a CHECK on the length, a variant too short is not used.
            let v = variant(base, row: row, rng: rng, duplicate: duplicate)
            if case .text(let t) = v, t.unicodeScalars.count < minLength { return base }
            return v
        }
        return variant(base, row: row, rng: rng, duplicate: duplicate)
    }

    /// The sweep's value for the row with this ordinal, or nil past the
    /// sweep. With targeting, odd ordinals take the birth's targets in turn.
    private func sweep(_ base: DatabaseValue, row: Int64, ordinal: Int64, duplicate: (Int64) -> DatabaseValue) -> DatabaseValue? {
        guard sweep, !uniqueText else { return nil }
        let n = sweepCount
        let window = sweepsTargets ? 2 * max(n, 1) : n
        guard ordinal < window else { return nil }
        let k = sweepsTargets ? ordinal / 2 : ordinal
        if sweepsTargets, ordinal % 2 == 1 {
            if !targetValues.isEmpty, !targetCase || k % 2 == 0 {
                let v = fitted(targetValues[Int((targetCase ? k / 2 : k) % Int64(targetValues.count))])
                if let minLength, case .text(let t) = v, t.unicodeScalars.count < minLength { return base }
                return v
            }
            if case .text(let s) = base { return fitted(.text(Self.decorations[Int(k % 3)](s.isEmpty ? "Edge" : s))) }
            return base
        }
        guard k < n else { return nil }
        let v: DatabaseValue
        if !temporal.isEmpty {
            v = temporal[Int(k)]
        } else if text, case .text(let s) = base {
            switch Self.textSweep[Int(k)] {
            case -1: v = maxLength == 0 ? base : .text("")
            case -2:
                guard let n = maxLength, n <= Self.atLengthLimit else { return base }
                v = fitted(.text(String(String.UnicodeScalarView((s + String(repeating: "x", count: n)).unicodeScalars.prefix(max(n - 1, 0)))) + (n > 0 ? "é" : "")))
            case -3: v = row > 0 ? duplicate(row - 1) : base
            case let d: v = fitted(.text(Self.decorations[d](s)))
            }
        } else if numbers {
            switch (k, base) {
            case (0, .integer): v = .integer(0)
            case (0, .real): v = .real(-0.0)
            case (1, .integer(let i)): v = .integer(i == Int64.min ? i : -i)
            case (1, .real(let x)): v = .real(-x)
            case (2, .integer(let i)): v = .integer(i == 0 ? -1 : -(abs(i) % 1000))
            case (2, .real): v = .real(0)
            case (3, _): v = row > 0 ? duplicate(row - 1) : base
            default: v = extremes[Int(k) - 4]
            }
        } else {
            return base
        }
        if let minLength, case .text(let t) = v, t.unicodeScalars.count < minLength { return base }
        return v
    }

    private func variant(_ base: DatabaseValue, row: Int64, rng: CounterRandom, duplicate: (Int64) -> DatabaseValue) -> DatabaseValue {
        let pick = rng.below(16, row, 906)
        if pick >= 13, row > 0 { return duplicate(Int64(rng.below(UInt64(min(row, 64)), row, 907))) }
        if !temporal.isEmpty { return temporal[Int(rng.below(UInt64(temporal.count), row, 908))] }
        if numbers, pick >= 10, !extremes.isEmpty { return extremes[Int(rng.below(UInt64(extremes.count), row, 909))] }
        switch base {
        case .text(let s) where text:
            if pick == 12, maxLength == nil || maxLength! > 0 { return .text("") }
            if pick == 11, let n = maxLength, n <= Self.atLengthLimit {
                // Exactly at the declared limit, ending in a non-ASCII letter.
                return fitted(.text(String(String.UnicodeScalarView((s + String(repeating: "x", count: n)).unicodeScalars.prefix(max(n - 1, 0)))) + (n > 0 ? "é" : "")))
            }
            return fitted(.text(Self.decorations[Int(pick) % Self.decorations.count](s)))
        case .integer(let i) where numbers:
            switch pick % 3 {
            case 0: return .integer(0)
            case 1: return .integer(i == Int64.min ? i : -i)
            default: return .integer(i == 0 ? -1 : -(abs(i) % 1000))
            }
        case .real(let x) where numbers:
            switch pick % 3 {
            case 0: return .real(-0.0)
            case 1: return .real(-x)
            default: return .real(0)
            }
        default:
            return base
        }
    }

    /// Cut to the declared length in code points, which is what the engines
    /// count (a combining mark is one Swift Character with its base letter,
    /// but two code points to PostgreSQL's varchar(n)).
    package func fitted(_ v: DatabaseValue) -> DatabaseValue {
        guard let n = maxLength, case .text(let s) = v, s.unicodeScalars.count > n else { return v }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: s.unicodeScalars.prefix(n))
        return .text(String(out))
    }

    /// The declared length of varchar(n) / char(n) / character varying(n).
    package static func declaredLength(_ type: String) -> Int? {
        let t = type.lowercased()
        guard t.contains("char"), let open = t.firstIndex(of: "("), let close = t.firstIndex(of: ")"), open < close else { return nil }
        return Int(t[t.index(after: open)..<close].trimmingCharacters(in: .whitespaces))
    }

    /// A type whose values are free text (not uuid, json, inet, an enum, an
    /// array, a date …): the type names that mean text, by their spelling.
    package static func isFreeText(_ type: String) -> Bool {
        let t = type.lowercased().trimmingCharacters(in: .whitespaces)
        if t.contains("[") || t.contains("array") { return false }
        let base = t.prefix { $0 != "(" }.trimmingCharacters(in: .whitespaces)
        return ["text", "varchar", "character varying", "character", "char", "nvarchar", "nchar", "varying character",
                "national character", "native character", "national character varying", "clob", "string", "citext", "bpchar", "tinytext",
                "mediumtext", "longtext", "ntext"].contains(base)
    }

    /// Keys that are not merely UNIQUE: primary key columns and columns other
    /// tables draw from (`keys` holds both and the UNIQUE ones).
    package static func keysOnly(_ keys: Set<String>, shape: TableShape) -> Set<String> {
        let unique = Set(shape.uniqueSets.filter { $0.count == 1 }.map { $0[0].lowercased() })
        return keys.subtracting(unique).union(shape.primaryKey.map { $0.lowercased() })
    }

    /// Which columns of a table take edge cases or birth targets, and how.
    /// Left alone: key, UNIQUE and CHECK columns, multi-column foreign keys,
    /// columns set after loading or derived from / read by another column,
    /// and (for values) foreign keys and enumerated, constant, sequence,
    /// boolean or time generators.
    package static func plan(shape: TableShape, profile: TableProfile?, settings: EdgeCaseSettings, targets: BirthTargets,
                     keys: Set<String>, derived: [String: GeneratorSpec], deferred: Set<String>) -> [String: ColumnEdges] {
        guard settings.enabled || settings.targeting else { return [:] }
        var excluded = keys.union(deferred).union(derived.keys)
        // Single-column UNIQUE (not primary key) columns stay in, for case only.
        let uniqueAlone = Set(shape.uniqueSets.filter { $0.count == 1 }.map { $0[0].lowercased() })
            .subtracting(shape.primaryKey.map { $0.lowercased() })
        excluded.subtract(uniqueAlone.subtracting(keysOnly(keys, shape: shape)))
        for set in shape.uniqueSets where set.count > 1 { for c in set { excluded.insert(c.lowercased()) } }
        for c in shape.primaryKey { excluded.insert(c.lowercased()) }
        // CHECK columns stay out, except text whose every CHECK names only it
        // and bounds only its length: its variants are cut to the bounds.
        let names = Set(shape.columns.map { $0.name.lowercased() })
        var checksOf: [String: [String]] = [:]
        var sharedCheck = Set<String>()
        for check in shape.checks {
            let mentioned = Set(SQLNormalizer.lex(check).filter { $0.quoted || $0.text.first.map { $0.isLetter || $0 == "_" } == true }
                .map { $0.text.lowercased() }).intersection(names)
            for c in mentioned { checksOf[c, default: []].append(check) }
            if mentioned.count > 1 { sharedCheck.formUnion(mentioned) }
        }
        let domains = checksOf.isEmpty ? [:] : CheckDomains.domains(shape.checks)
        var lengthOnly: [String: (min: Int?, max: Int?)] = [:]
        for (c, checks) in checksOf {
            if !sharedCheck.contains(c), let d = domains[c], d.boundsOnlyLength, Set(d.sources) == Set(checks) {
                lengthOnly[c] = (d.minLength.map { Int(clamping: $0) }, d.maxLength.map { Int(clamping: $0) })
            } else { excluded.insert(c) }
        }
        var singleFK = Set<String>()
        for fk in shape.foreignKeys {
            if fk.columns.count == 1 { singleFK.insert(fk.columns[0].lowercased()) } else { for c in fk.columns { excluded.insert(c.lowercased()) } }
        }
        func sources(_ spec: GeneratorSpec?) -> String? {
            switch spec {
            case .timestampAfter(let c, _, _)?, .offset(let c, _, _)?: return c.lowercased()
            default: return nil
            }
        }
        for spec in derived.values { if let c = sources(spec) { excluded.insert(c) } }
        for (_, cp) in profile?.columns ?? [:] { if let c = sources(cp.generator) { excluded.insert(c) } }
        // A foreign key whose fan-out the profile shapes keeps the profile's NULLs.
        let fanOutNulls = Set(((profile?.fanOuts ?? []).map(\.columns) + (profile?.observedFanOuts ?? []).map(\.columns)).flatMap { $0.map { $0.lowercased() } })

        var out: [String: ColumnEdges] = [:]
        for column in shape.columns {
            let lower = column.name.lowercased()
            guard !excluded.contains(lower) else { continue }
            let cp = profile?.columns.first { $0.key.lowercased() == lower }?.value
            // A pool of `distinct` values is an exact count the profile asked for.
            let pooled = cp?.distinct != nil
            let target = settings.targeting ? targets.column(table: shape.name, column: column.name) : nil
            var e = ColumnEdges()
            let bounded = lengthOnly[lower]
            if !column.notNull, !fanOutNulls.contains(lower), bounded == nil {
                if target?.nulls == true, (cp?.nullFraction ?? 0) == 0 {
                    e.nullFraction = max(settings.targetFraction, settings.enabled ? settings.nullFraction : 0)
                } else if settings.enabled, cp?.nullFraction == nil, cp?.observed?.nullFraction == nil {
                    // A learned profile that saw the column's NULL share keeps it
                    // (fidelity); targeting above still adds NULLs a birth looks for.
                    e.nullFraction = settings.nullFraction
                }
            }
            if pooled, settings.enabled, settings.sweep, !singleFK.contains(lower), !uniqueAlone.contains(lower), column.affinity == .text,
               isFreeText(column.declaredType), bounded == nil {
                switch cp?.generator ?? { if case .spec(let g) = ColumnPlan.infer(column, table: shape, unique: false) { return g }; return nil }() {
                case .text(.hexLength)?, .text(.uuid)?: break
                case .text?: e.poolCase = true
                default: break
                }
            }
            if !singleFK.contains(lower), !pooled {
                let spec: GeneratorSpec?
                if let g = cp?.generator { spec = g } else if case .spec(let g) = ColumnPlan.infer(column, table: shape, unique: false) { spec = g } else { spec = nil }
                let freeText: Bool
                switch spec {
                case .text(.hexLength)?, .text(.uuid)?: freeText = false
                case .text?: freeText = column.affinity == .text && isFreeText(column.declaredType)
                default: freeText = false
                }
                var numeric = false
                switch spec {
                case .uniform?, .uniformReal?, .normal?, .logNormal?, .zipf?:
                    // A profile's own numeric generator states its range: only
                    // inferred ones take 0 and negatives.
                    numeric = cp?.generator == nil && (column.affinity == .integer || column.affinity == .real) && !column.declaredType.lowercased().contains("bool")
                default: break
                }
                e.text = settings.enabled && freeText
                e.numbers = settings.enabled && numeric && bounded == nil
                if e.numbers { e.extremes = numberExtremes(column) }
                if settings.enabled, cp?.generator == nil, bounded == nil {
                    var inferredTimestamp = false
                    if case .timestamp? = spec { inferredTimestamp = true }
                    e.temporal = temporalValues(column, inferredTimestamp: inferredTimestamp)
                }
                e.isReal = column.affinity == .real
                e.maxLength = [declaredLength(column.declaredType), bounded?.max].compactMap { $0 }.min()
                e.minLength = bounded?.min
                e.valueFraction = settings.enabled ? settings.valueFraction : 0
                e.sweep = settings.sweep
                if let target {
                    e.targetCase = target.caseFold && freeText
                    e.targetValues = target.values.compactMap { v -> DatabaseValue? in
                        switch v {
                        case .text where freeText: return v
                        case .integer(let n) where numeric: return column.affinity == .real ? .real(Double(n)) : v
                        case .real(let x) where numeric && column.affinity == .real: return .real(x)
                        default: return nil
                        }
                    }
                    e.targetFraction = settings.targetFraction
                }
            }
            if uniqueAlone.contains(lower) {
                // No NULL pattern change, no repeats: case variants of its own value only.
                e.nullFraction = nil
                e.uniqueText = e.text || e.targetCase
                e.numbers = false
                e.temporal = []
                e.targetValues = []
                if !e.uniqueText { continue }
            }
            if e.nullFraction != nil || e.isActive || e.uniqueText { out[lower] = e }
        }
        return out
    }
}
