import FlowCore

/// `--group-by`: totals per distinct combination of key fields, like nfdump's `-A`.
///
/// A key is the fields' plain text joined by 0x1F, built in one reused buffer; the table is
/// probed with that buffer and copies it only when a new group appears, so a record costs
/// formatting its key fields and one hash lookup. Memory grows with the number of groups only.
public struct FlowGrouping {
    public let keys: [OutputField]
    private var table = ByteKeyTable()
    private var totals: [FlowTotals] = []
    private var scratch = OutputBuffer(target: .memory)
    private var fieldWriter = FieldWriter()

    public init(keys: [OutputField]) {
        precondition(!keys.isEmpty)
        self.keys = keys
    }

    public var groupCount: Int { totals.count }

    public mutating func add(_ record: AnnotatedFlow) {
        totals[slot(of: record)].add(record.flow)
    }

    /// The group `record` belongs to (created empty when new), for `add(summed:flows:toGroup:)`.
    mutating func group(of record: AnnotatedFlow) -> Int { slot(of: record) }

    /// Adds `flows` records, `summed` carrying their total counters, to a group from
    /// `group(of:)` (`StoreReader.scanConversations`).
    mutating func add(summed: FlowRecord, flows: UInt64, toGroup group: Int) {
        totals[group].add(summed, flows: flows)
    }

    /// Adds totals computed elsewhere to the group `representative` belongs to.
    mutating func add(_ totals: FlowTotals, toGroupOf representative: AnnotatedFlow) {
        self.totals[slot(of: representative)].add(totals)
    }

    /// Adds another grouping's totals (same keys), group by group.
    public mutating func merge(_ other: FlowGrouping) {
        precondition(keys == other.keys)
        for slot in 0..<other.totals.count {
            let (mine, inserted) = other.table.key(slot).withUnsafeBufferPointer { table.slot(for: $0) }
            if inserted { totals.append(FlowTotals()) }
            totals[mine].add(other.totals[slot])
        }
    }

    private mutating func slot(of record: AnnotatedFlow) -> Int {
        scratch.truncate(to: 0)
        // Matching on the optional borrows its payload; `annotation ?? default` would copy it.
        switch record.annotation {
        case .some(let annotation): writeKey(record, annotation, annotated: true)
        case .none: writeKey(record, .absent, annotated: false)
        }
        let (slot, inserted) = table.slot(for: scratch.written(from: 0))
        if inserted { totals.append(FlowTotals()) }
        return slot
    }

    private mutating func writeKey(_ record: AnnotatedFlow, _ annotation: FlowAnnotation, annotated: Bool) {
        for i in 0..<keys.count {
            if i > 0 { scratch.append(Self.separator) }
            fieldWriter.write(keys[i], flow: record.flow, annotation: annotation, annotated: annotated,
                              node: record.node, domains: record.destinationDomains, style: .plain, into: &scratch)
        }
    }

    /// Groups in `order` (sizes largest first, times as `ResultOrder` says; ties by key text),
    /// at most `limit` of them.
    public func ranked(by order: ResultOrder, limit: Int? = nil) -> [(key: [String], totals: FlowTotals)] {
        var slots = Array(0..<totals.count)
        let lessThan: (Int, Int) -> Bool = { a, b in
            let va = totals[a].sortKey(order), vb = totals[b].sortKey(order)
            if va != vb { return va < vb }
            return table.key(a).lexicographicallyPrecedes(table.key(b))
        }
        if let limit, limit < slots.count, limit <= Self.insertionLimit {
            slots = Self.smallest(limit, of: slots, by: lessThan)
        } else {
            slots.sort(by: lessThan)
            if let limit, limit < slots.count { slots.removeLast(slots.count - limit) }
        }
        return slots.map { slot in
            (table.key(slot).split(separator: Self.separator, omittingEmptySubsequences: false)
                .map { String(decoding: $0, as: UTF8.self) }, totals[slot])
        }
    }

    static let separator: UInt8 = 0x1F

    /// Up to this top-N the bounded insertion pass beats a full sort; past it (the pass costs
    /// O(groups × N)) the groups are sorted and cut.
    static let insertionLimit = 1_024

    /// The first `k` elements in `order` without sorting everything (a bounded insertion pass;
    /// k is a user's top-N, small next to the number of groups).
    static func smallest(_ k: Int, of items: [Int], by order: (Int, Int) -> Bool) -> [Int] {
        guard k > 0 else { return [] }
        var best: [Int] = []
        best.reserveCapacity(min(k, items.count) + 1)
        for item in items {
            if best.count == k, let last = best.last, !order(item, last) { continue }
            var lo = 0, hi = best.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if order(item, best[mid]) { hi = mid } else { lo = mid + 1 }
            }
            best.insert(item, at: lo)
            if best.count > k { best.removeLast() }
        }
        return best
    }
}
