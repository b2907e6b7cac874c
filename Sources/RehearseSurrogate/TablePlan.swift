import Foundation
import RehearseCore
import RehearseEvidence

package final class TablePlan: Sendable {
    package let name: String
    package let rows: Int64
    package let columns: [ColumnPlan]
    /// The primary key's column names (what a foreign key without named columns references).
    package let primaryKey: [String]
    /// PostgreSQL: the leaf partitions' OIDs, as `leaf(row:)` numbers them.
    package let leafOids: [String]
    /// Columns left NULL or to their DEFAULT in every row (CheckFallback).
    package let fallbackColumns: [String]

    package init(shape full: TableShape, profile: TableProfile?, rows: Int64, seed: UInt64, parents: [String: TablePlan], profileFile: String,
         deferred: Set<String> = [], edges: (settings: EdgeCaseSettings, targets: BirthTargets, referenced: Set<String>)? = nil) throws {
        // CHECKs as domains, rules on NULLs, and what to do about the ones
        // the generator does not read (CheckFallback.swift).
        let analysis = CheckDomains.analyse(full.checks)
        let checkPlan = try CheckPlan(shape: full, analysis: analysis, profile: profile, deferred: deferred,
                                      here: "\(profileFile): table \(full.name)")
        var shape = full
        // Columns every row leaves NULL or to their DEFAULT because of a
        // CHECK the generator does not read: single-valued, so a change to
        // them proves nothing (see SurrogateLoading's refusal).
        fallbackColumns = full.columns.map(\.name).filter { checkPlan.nulls.contains($0.lowercased()) || checkPlan.omitted.contains($0.lowercased()) }
        shape.columns.removeAll { checkPlan.omitted.contains($0.name.lowercased()) }
        name = shape.name
        leafOids = shape.partitions?.leafOids ?? []
        self.rows = rows
        primaryKey = shape.primaryKey
        let where_ = "\(profileFile): table \(shape.name)"
        try Self.checkPartitionsHold(shape, rows: rows, here: where_)
        for col in profile?.columns.keys.sorted() ?? [] where !shape.columns.contains(where: { $0.name.lowercased() == col.lowercased() }) {
            throw RehearseError.badInput("\(where_): the profile describes column '\(col)', which the table does not have. Fix the name or remove it.")
        }
        let uniqueColumns = Set(shape.uniqueSets.filter { $0.count == 1 }.map { $0[0].lowercased() })
            .union(Self.compositeKeyAnchors(shape, profile: profile, rows: rows, domains: analysis.domains))
        for spec in profile?.fanOuts ?? [] where !shape.foreignKeys.contains(where: { $0.columns.map { $0.lowercased() } == spec.columns.map { $0.lowercased() } }) {
            throw RehearseError.badInput("\(where_): the foreign_keys entry for (\(spec.columns.joined(separator: ", "))) matches no foreign key of the table. Name the columns of one of its foreign keys, in order.")
        }
        func columnProfile(_ name: String) -> ColumnProfile? {
            profile?.columns.first { $0.key.lowercased() == name.lowercased() }?.value
        }
        let fkColumns = Set(shape.foreignKeys.flatMap { $0.columns.map { $0.lowercased() } })
        func silent(_ c: ColumnShape) -> Bool { columnProfile(c.name)?.generator == nil && !fkColumns.contains(c.name.lowercased()) }
        // CHECK constraints, as domains for the columns the profile is silent about.
        let domains = analysis.domains
        // A comparison between two columns of the row: the silent one follows
        // the other (or, both silent, the later follows the earlier).
        var derived: [String: GeneratorSpec] = [:]
        let keyColumns = uniqueColumns.union(shape.primaryKey.map { $0.lowercased() })
        for (i, column) in shape.columns.enumerated() where silent(column) && !keyColumns.contains(column.name.lowercased()) {
            for relation in domains[column.name.lowercased()]?.relations ?? [] {
                guard let j = shape.columns.firstIndex(where: { $0.name.lowercased() == relation.column }), j != i else { continue }
                let other = shape.columns[j]
                if silent(other) && j > i { continue }
                let timeLike = ColumnPlan.timeLike(other, profile: columnProfile(other.name), table: shape)
                let span: Double = timeLike ? 30 * 86400 : 100
                // A PostgreSQL date keeps only the day: moving one takes whole days.
                let toDate = column.pgType?.baseName == "date"
                let least: Double = timeLike ? (toDate ? 86400 : 1) : 0.01
                let (lo, hi): (Double, Double)
                switch relation.op {
                case ">=": (lo, hi) = (toDate && other.pgType?.baseName != "date" ? least : 0, span)
                case ">": (lo, hi) = (least, span)
                case "<=": (lo, hi) = (-span, 0)
                default: (lo, hi) = (-span, -least)
                }
                derived[column.name.lowercased()] = .offset(column: other.name, min: lo, max: hi)
                break
            }
        }
        var mix: [String: ColumnEdges] = [:]
        if let edges {
            let drawnFrom = Set(shape.columns.map { $0.name.lowercased() }.filter { edges.referenced.contains("\(shape.name.lowercased()).\($0)") })
            mix = ColumnEdges.plan(shape: shape, profile: profile, settings: edges.settings, targets: edges.targets,
                                   keys: keyColumns.union(drawnFrom).union((shape.partitions?.leafNulls ?? [:]).keys),
                                   derived: derived, deferred: deferred)
        }
        // Two keys of foreign keys sharing a column ((a, b) and (c, b)): the
        // first is drawn unique by construction below; in the second a
        // nullable member is NULL (NULLs never collide), so both hold.
        var keyNulls = Set<String>()
        var claimed = Set<String>()
        for set in shape.uniqueSets where set.count > 1 {
            let members = set.map { $0.lowercased() }
            // A key with a member NULL for a CHECK is unique already.
            guard members.allSatisfy(fkColumns.contains), !members.contains(where: checkPlan.nulls.contains) else { continue }
            if members.contains(where: claimed.contains) {
                if let c = members.first(where: { c in !claimed.contains(c) && columnProfile(c) == nil && !deferred.contains(c)
                    && !checkPlan.present.contains(c)
                    && shape.columns.first { $0.name.lowercased() == c }?.notNull == false }) { keyNulls.insert(c) }
            } else {
                claimed.formUnion(members)
            }
        }
        var plans: [ColumnPlan] = []
        for column in shape.columns {
            let cp = columnProfile(column.name)
            var fk = shape.foreignKeys.first { $0.columns.contains { $0.lowercased() == column.name.lowercased() } }
            // A composite foreign key to a parent with no rows holds while one
            // nullable member is NULL (MATCH SIMPLE): that member stays NULL, and
            // a NOT NULL member is an ordinary column, free of the empty parent.
            if let f = fk, column.notNull, f.columns.count > 1, parents[f.parentTable.lowercased()]?.rows == 0,
               f.columns.contains(where: { name in shape.columns.first { $0.name.lowercased() == name.lowercased() }?.notNull == false }) {
                fk = nil
            }
            let fanOut = profile?.fanOuts.first { $0.columns.contains { $0.lowercased() == column.name.lowercased() } }
            let lower = column.name.lowercased()
            plans.append(try ColumnPlan(table: shape, column: column, profile: cp, foreignKey: fk, unique: uniqueColumns.contains(lower),
                                        rows: rows, seed: seed, parents: parents, context: where_,
                                        fanOut: deferred.contains(lower) ? nil : fanOut, domain: domains[lower], derived: derived[lower],
                                        deferred: deferred.contains(lower), edges: mix[lower], forcedNull: checkPlan.nulls.contains(lower) || keyNulls.contains(lower)))
        }
        columns = plans
        // A timestamp_after must name an earlier-or-any column of this table that yields timestamps.
        for (i, c) in plans.enumerated() {
            if case .spec(.timestampAfter(let other, _, _)) = c.kind {
                guard let j = plans.firstIndex(where: { $0.name.lowercased() == other.lowercased() }), j != i else {
                    throw RehearseError.badInput("\(where_), column \(c.name): timestamp_after names column '\(other)', which is not another column of this table.")
                }
                switch plans[j].kind {
                case .spec(.timestamp), .spec(.seasonalTimestamp): break
                default: throw RehearseError.badInput("\(where_), column \(c.name): timestamp_after needs '\(other)' to use the timestamp generator.")
                }
                c.afterColumn = j
            }
            if case .spec(.offset(let other, _, _)) = c.kind {
                c.afterColumn = plans.firstIndex { $0.name.lowercased() == other.lowercased() }
                if let d = domains[c.name.lowercased()], d.lower != nil || d.upper != nil { c.offsetDomain = d }
            }
        }
        // A partition's own `x IS NULL`: NULL in the rows aimed at it.
        for (c, leaves) in shape.partitions?.leafNulls ?? [:] where !leaves.isEmpty {
            if let i = plans.firstIndex(where: { $0.name.lowercased() == c }), columnProfile(plans[i].name) == nil { plans[i].nullInLeaves = leaves }
        }
        // A key declared per partition: the rows aimed at a leaf draw from the
        // parent's rows aimed at the leaf it references.
        for c in plans {
            guard case .reference(let parent, _) = c.kind,
                  let fk = shape.foreignKeys.first(where: { fk in !fk.leafMap.isEmpty && fk.columns.contains { $0.lowercased() == c.name.lowercased() } })
            else { continue }
            for (mine, theirs) in fk.leafMap {
                guard let here = leafOids.firstIndex(of: mine), let there = parent.leafOids.firstIndex(of: theirs) else { continue }
                c.leafRowsByLeaf[here] = (0..<parent.rows).filter { parent.leaf(row: $0) == there }
            }
        }
        // A foreign key to one partition draws parent rows aimed at it.
        for c in plans {
            guard case .reference(let parent, _) = c.kind,
                  let oid = shape.foreignKeys.first(where: { fk in fk.parentLeaf != nil && fk.columns.contains { $0.lowercased() == c.name.lowercased() } })?.parentLeaf
            else { continue }
            guard let want = parent.leafOids.firstIndex(of: oid) else { continue }
            let leafRows = (0..<parent.rows).filter { parent.leaf(row: $0) == want }
            if c.permutation != nil, Int64(leafRows.count) < rows {
                throw RehearseError.badInput("\(where_), column \(c.name): is unique and references one partition of \(parent.name), which holds \(leafRows.count) of its \(parent.rows) rows, fewer than the \(rows) rows asked for. Give \(parent.name) more rows or this table fewer.")
            }
            c.leafRows = leafRows
        }
        // `x <> y`: the later of two columns draws away from the earlier (CheckPlan read it).
        for (i, c) in plans.enumerated() {
            guard case .reference = c.kind, c.groupLeader == nil else { continue }
            for other in domains[c.name.lowercased()]?.differsFrom ?? [] {
                if let j = plans.firstIndex(where: { $0.name.lowercased() == other }), j < i { c.distinctFrom = j }
            }
        }
        // Observed fan-outs: a foreign key draws from as many parents as the
        // real data referenced, so the share of childless parents carries over.
        for (columns, histogram) in profile?.observedFanOuts ?? [] {
            let total = histogram.reduce(Int64(0)) { $0 + $1.parents }
            let childless = histogram.first { $0.bucket == "0" }?.parents ?? 0
            guard total > 0, childless > 0 else { continue }
            for name in columns {
                guard let i = plans.firstIndex(where: { $0.name.lowercased() == name.lowercased() }), plans[i].fanOut == nil else { continue }
                let parentRows: Int64
                switch plans[i].kind {
                case .reference(let parent, _): parentRows = parent.rows
                case .selfReference: parentRows = rows
                default: continue
                }
                let active = max(1, Int64((Double(parentRows) * Double(total - childless) / Double(total)).rounded()))
                plans[i].activeParents = (active, IndexPermutation(count: max(parentRows, 1), key: plans[i].rng.key ^ 0xFA40))
            }
        }
        // A composite key made of foreign keys to different parents (a join
        // table's primary key) is unique by construction: a permutation of
        // the row index is split, mixed-radix, into one row of each parent.
        for set in shape.uniqueSets where set.count > 1 {
            let members = set.compactMap { name in plans.firstIndex { $0.name.lowercased() == name.lowercased() } }
            // A member already drawn for another key (a unique index over
            // part of the primary key's columns) keeps that key's draw.
            guard members.count == set.count, !members.contains(where: { plans[$0].permutation != nil || plans[$0].composite != nil }) else { continue }
            var parents: [Int64] = []
            var subsets: [IndexPermutation?] = []
            for m in members {
                // A member whose parent has no row is NULL in every row (or
                // refused as NOT NULL): NULLs never collide.
                guard case .reference(let parent, _) = plans[m].kind, plans[m].groupLeader == nil, parent.rows > 0 else { parents = []; break }
                parents.append(plans[m].activeParents?.count ?? parent.rows)
                subsets.append(plans[m].activeParents?.subset)
            }
            guard parents.count == members.count else { continue }
            let capacity = parents.reduce(Int64(1)) { $0.multipliedReportingOverflow(by: $1).overflow ? Int64.max : $0 * $1 }
            guard capacity >= rows else {
                throw RehearseError.badInput("\(where_): the key (\(set.joined(separator: ", "))) combines parents with only \(capacity) distinct combinations, fewer than the \(rows) rows asked for. Lower the row count or raise the parents'.")
            }
            let key = CompositeKey(radices: parents, subsets: subsets, permutation: IndexPermutation(count: capacity, key: plans[members[0]].rng.key ^ 0xC0_4B05))
            for (position, m) in members.enumerated() {
                if plans[m].nullFraction > 0 {
                    throw RehearseError.badInput("\(where_), column \(plans[m].name): part of the key (\(set.joined(separator: ", "))), so it cannot have a null_fraction.")
                }
                if plans[m].fanOut != nil {
                    throw RehearseError.badInput("\(where_), column \(plans[m].name): part of the key (\(set.joined(separator: ", "))), whose combinations are spread over the parents by construction, so it cannot take a fan-out distribution. Remove its foreign_keys entry.")
                }
                plans[m].composite = (key, position)
            }
        }
        // Composite foreign keys draw one parent row for all their columns.
        for fk in shape.foreignKeys where fk.columns.count > 1 {
            let ids = fk.columns.compactMap { n in plans.firstIndex { $0.name.lowercased() == n.lowercased() } }
            for id in ids {
                plans[id].groupLeader = ids[0]
                plans[id].position = id
            }
        }
    }

    /// The value of column `index` in row `row`.
    package func value(_ index: Int, row: Int64) -> DatabaseValue {
        columns[index].value(row: row, in: self)
    }
}

extension TablePlan {
    /// The leaf partition row `row` is aimed at (PartitionValues), or nil
    /// when the table's rows are not steered.
    package func leaf(row: Int64) -> Int? {
        for c in columns {
            guard case .partition(let steered) = c.kind else { continue }
            if let pool = c.poolSize { return steered.leaf(row: c.nonNullIndex(row: row) % pool, unique: nil) }
            return steered.leaf(row: row, unique: c.permutation.map { $0(row) })
        }
        return nil
    }
}
