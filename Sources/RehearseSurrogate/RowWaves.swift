import Dispatch
import RehearseCore
import RehearseEvidence

/// Computes a table's rows wave by wave on background threads, for a loader
/// that consumes them on its own thread: wave `n` covers `jobs` consecutive
/// batches, each computed by its own worker with `make`. Every value is a pure
/// function of its row, so the output is the same for any `jobs`.
package final class RowWaves<Output>: @unchecked Sendable {
    // @unchecked: `table` and `make` are immutable; each worker writes only its
    // own batch slot, and the consumer reads slots only after `wait`.
    package let table: TablePlan
    package let jobs: Int
    package let batch: Int64
    package let make: @Sendable (TablePlan, Range<Int64>) -> Output
    private let queue = DispatchQueue(label: "rehearse.generate", attributes: .concurrent)

    package init(table: TablePlan, jobs: Int, batch: Int64, make: @escaping @Sendable (TablePlan, Range<Int64>) -> Output) {
        self.table = table
        self.jobs = jobs
        self.batch = batch
        self.make = make
    }

    package struct Part {
        package var rows: Range<Int64>
        package var output: Output
    }

    /// A wave being computed; `wait` returns its batches in row order, or nil
    /// past the end of the table.
    package final class Pending: @unchecked Sendable {
        // @unchecked: each worker writes only its own slot, through a raw
        // pointer (no shared exclusivity-checked access), before leaving
        // `group`; the consumer reads the slots only after `group.wait()`.
        package let group = DispatchGroup()
        package let count: Int
        package let slots: UnsafeMutablePointer<Part?>

        package init(count: Int) {
            self.count = count
            slots = .allocate(capacity: max(count, 1))
            slots.initialize(repeating: nil, count: max(count, 1))
        }

        deinit {
            group.wait()
            slots.deinitialize(count: max(count, 1))
            slots.deallocate()
        }

        package func wait() -> [Part]? {
            group.wait()
            let parts = (0..<count).compactMap { slots[$0] }
            return parts.isEmpty ? nil : parts
        }

        /// Lets running workers finish before the caller gives up.
        package func cancel() {
            group.wait()
        }
    }

    package func start(_ wave: Int) -> Pending {
        let first = Int64(wave) * Int64(jobs) * batch
        guard first < table.rows else { return Pending(count: 0) }
        let pending = Pending(count: jobs)
        for slot in 0..<jobs {
            let lower = first + Int64(slot) * batch
            guard lower < table.rows else { break }
            let rows = lower..<min(lower + batch, table.rows)
            pending.group.enter()
            queue.async { [table, make] in
                defer { pending.group.leave() }
                pending.slots[slot] = Part(rows: rows, output: make(table, rows))
            }
        }
        return pending
    }
}

extension TablePlan {
    /// Every value of `rows`, row by row, column by column.
    package func values(_ rows: Range<Int64>) -> [DatabaseValue] {
        var values: [DatabaseValue] = []
        values.reserveCapacity(rows.count * columns.count)
        for row in rows {
            for i in columns.indices { values.append(value(i, row: row)) }
        }
        return values
    }
}
