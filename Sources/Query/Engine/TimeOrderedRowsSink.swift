import FlowCore

/// Flow rows oldest first, streamed: a row is held until no block still to come can hold an
/// earlier start, then printed. The blocks' earliest starts are known before the scan (from
/// indexes and block headers, `FlowSource.blockStarts`), so memory holds only the rows that
/// overlap blocks not read yet, which for a store written as flows end is about the flows of
/// one active timeout. Equal starts keep the scan's order, as a stable sort would.
struct TimeOrderedRowsSink<Output: MatchSink>: MatchSink {
    var output: Output
    private var pending: PendingStarts
    private var held = RowHeap()
    private var sequence: UInt64 = 0
    private(set) var peakRowsHeld = 0

    init(output: Output, blockStarts: [Timestamp]) {
        self.output = output
        pending = PendingStarts(blockStarts)
    }

    mutating func begin(into out: inout OutputBuffer) throws { try output.begin(into: &out) }

    mutating func nextBlock(_ digest: BlockDigest, into out: inout OutputBuffer) throws {
        pending.remove(digest.minStart)
        // The block about to be read starts no earlier than its digest says.
        var watermark = digest.minStart.nanoseconds
        if let next = pending.earliest, next < watermark { watermark = next }
        try release(before: watermark, into: &out)
    }

    mutating func accept(_ record: AnnotatedFlow, into out: inout OutputBuffer) throws {
        held.push(start: record.flow.start.nanoseconds, sequence: sequence, record: record)
        sequence += 1
        if held.count > peakRowsHeld { peakRowsHeld = held.count }
    }

    mutating func finish(into out: inout OutputBuffer) throws {
        try release(before: .max, into: &out)
        while let row = held.pop() { try output.accept(row, into: &out) }
        try output.finish(into: &out)
    }

    var groupCount: Int { 0 }

    private mutating func release(before watermark: UInt64, into out: inout OutputBuffer) throws {
        while let start = held.earliestStart, start < watermark, let row = held.pop() {
            try output.accept(row, into: &out)
        }
    }
}

/// The earliest starts of the blocks not offered yet, as a multiset with its minimum.
struct PendingStarts {
    private var sorted: [UInt64]
    private var remaining: [UInt64: Int] = [:]
    private var next = 0

    init(_ starts: [Timestamp]) {
        sorted = starts.map(\.nanoseconds).sorted()
        for s in sorted { remaining[s, default: 0] += 1 }
    }

    /// A block was offered; a start the list does not know (a block written since) changes nothing.
    mutating func remove(_ start: Timestamp) {
        guard let n = remaining[start.nanoseconds], n > 0 else { return }
        remaining[start.nanoseconds] = n - 1
    }

    /// The earliest start still to come, nil when none. Counts only fall, so the scan position
    /// only moves forward.
    var earliest: UInt64? {
        mutating get {
            while next < sorted.count, (remaining[sorted[next]] ?? 0) == 0 { next += 1 }
            return next < sorted.count ? sorted[next] : nil
        }
    }
}

/// A min-heap of rows by (start, sequence).
struct RowHeap {
    private var rows: [(start: UInt64, sequence: UInt64, record: AnnotatedFlow)] = []

    var earliestStart: UInt64? { rows.first?.start }
    var count: Int { rows.count }

    mutating func push(start: UInt64, sequence: UInt64, record: AnnotatedFlow) {
        rows.append((start, sequence, record))
        var i = rows.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard Self.before(rows[i], rows[parent]) else { break }
            rows.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> AnnotatedFlow? {
        guard !rows.isEmpty else { return nil }
        rows.swapAt(0, rows.count - 1)
        let top = rows.removeLast().record
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var smallest = i
            if l < rows.count, Self.before(rows[l], rows[smallest]) { smallest = l }
            if r < rows.count, Self.before(rows[r], rows[smallest]) { smallest = r }
            if smallest == i { break }
            rows.swapAt(i, smallest)
            i = smallest
        }
        return top
    }

    private static func before(_ a: (start: UInt64, sequence: UInt64, record: AnnotatedFlow),
                               _ b: (start: UInt64, sequence: UInt64, record: AnnotatedFlow)) -> Bool {
        a.start != b.start ? a.start < b.start : a.sequence < b.sequence
    }
}
