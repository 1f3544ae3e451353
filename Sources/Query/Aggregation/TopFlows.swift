import FlowCore

/// `--top N` without `--group-by`: the N largest single flows by the order, kept in a bounded
/// min-heap so memory stays N records however long the scan. The heap grows as flows arrive,
/// never ahead of them: N is the user's and may be far larger than the store.
struct TopFlows {
    let limit: Int
    let order: GroupOrder
    private var heap: [(value: UInt64, record: AnnotatedFlow)] = []

    init(limit: Int, order: GroupOrder) {
        self.limit = limit
        self.order = order
    }

    private func value(_ flow: FlowRecord) -> UInt64 {
        switch order {
        case .flows: return 1
        case .packets: return flow.packets
        case .bytes: return flow.bytes
        }
    }

    mutating func add(_ record: AnnotatedFlow) {
        guard limit > 0 else { return }
        let v = value(record.flow)
        if heap.count < limit {
            heap.append((v, record))
            siftUp(heap.count - 1)
        } else if v > heap[0].value {
            heap[0] = (v, record)
            siftDown(0)
        }
    }

    /// Largest first; equal values keep no particular order.
    func ranked() -> [AnnotatedFlow] {
        heap.sorted { $0.value > $1.value }.map(\.record)
    }

    private mutating func siftUp(_ start: Int) {
        var i = start
        while i > 0 {
            let parent = (i - 1) / 2
            guard heap[i].value < heap[parent].value else { return }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1, r = l + 1
            var smallest = i
            if l < heap.count, heap[l].value < heap[smallest].value { smallest = l }
            if r < heap.count, heap[r].value < heap[smallest].value { smallest = r }
            if smallest == i { return }
            heap.swapAt(i, smallest)
            i = smallest
        }
    }
}
