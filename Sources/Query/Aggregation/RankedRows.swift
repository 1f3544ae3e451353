import FlowCore

/// Flow rows in a `ResultOrder`, all of them or (with a limit) the first N, in a bounded heap
/// so memory stays N records however long the scan. Equal keys keep the order the scan met
/// them in, so the answer is the same on every run.
struct RankedRows {
    let order: ResultOrder
    let limit: Int?
    private var rows: [(key: UInt64, sequence: UInt64, record: AnnotatedFlow)] = []
    private var sequence: UInt64 = 0

    init(order: ResultOrder, limit: Int?) {
        self.order = order
        self.limit = limit
        // No reservation for the limit: it is the user's number (`--top 1000000000`) and may
        // be far larger than the store; the heap grows as rows arrive.
    }

    /// Smaller keys print first.
    private func key(_ flow: FlowRecord) -> UInt64 {
        switch order {
        case .time: return flow.start.nanoseconds
        case .newest: return ~flow.start.nanoseconds
        case .packets: return ~flow.packets
        case .bytes: return ~flow.bytes
        case .flows, .stored: return 0
        }
    }

    mutating func add(_ record: AnnotatedFlow) {
        let entry = (key: key(record.flow), sequence: sequence, record: record)
        sequence += 1
        guard let limit else {
            rows.append(entry)
            return
        }
        guard limit > 0 else { return }
        if rows.count < limit {
            rows.append(entry)
            siftUp(rows.count - 1)
        } else if Self.before(entry, rows[0]) {
            rows[0] = entry
            siftDown(0)
        }
    }

    /// The rows in order.
    func ranked() -> [AnnotatedFlow] {
        rows.sorted(by: Self.before).map(\.record)
    }

    /// Rows held (without a limit: every row added since the last `drain`).
    var count: Int { rows.count }

    /// The rows held, in order with their keys and sequence numbers, and none held after; the
    /// sequence goes on, so rows drained in turns still break ties by the order they came in.
    mutating func drain() -> [(key: UInt64, sequence: UInt64, record: AnnotatedFlow)] {
        let drained = rows.sorted(by: Self.before)
        rows.removeAll()
        return drained
    }

    private static func before(_ a: (key: UInt64, sequence: UInt64, record: AnnotatedFlow),
                               _ b: (key: UInt64, sequence: UInt64, record: AnnotatedFlow)) -> Bool {
        a.key != b.key ? a.key < b.key : a.sequence < b.sequence
    }

    // A max-heap on (key, sequence): the root is the row that goes first when a better one comes.
    private mutating func siftUp(_ start: Int) {
        var i = start
        while i > 0 {
            let parent = (i - 1) / 2
            guard Self.before(rows[parent], rows[i]) else { return }
            rows.swapAt(i, parent)
            i = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1, r = l + 1
            var largest = i
            if l < rows.count, Self.before(rows[largest], rows[l]) { largest = l }
            if r < rows.count, Self.before(rows[largest], rows[r]) { largest = r }
            if largest == i { return }
            rows.swapAt(i, largest)
            i = largest
        }
    }
}
