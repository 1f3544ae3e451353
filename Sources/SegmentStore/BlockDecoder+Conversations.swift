import FlowCore

/// The column-wise read: a block's records summed per conversation, without building a row.
///
/// A conversation fixes everything of a record except its source port, times, counters, TCP
/// flags and status, so a group-by or filter over conversation fields only (namespaces, pods,
/// labels, verdict, policies, addresses, destination port, protocol, VLAN, node) gives the same
/// answer from the sums as from the rows. The sums need four counter columns and the
/// conversation column, plus the two time columns when the block straddles the time range; the
/// source port and shape columns are not unpacked at all.
extension BlockDecoder {
    mutating func rollUp(_ raw: UnsafeRawBufferPointer, since: Timestamp?, until: Timestamp?,
                         into block: inout ConversationSums) throws -> Int {
        do {
            block.removeAll()
            var layout = try readLayout(raw, annotations: block.withAnnotations)
            block.dictionaries = dictionaries
            try sumRecords(&layout, since: since, until: until, into: &block)
            return layout.count
        } catch let overrun as ByteCursor.Overrun {
            throw Malformed(reason: "value out of range or past the end", position: overrun.position)
        }
    }

    private mutating func sumRecords(_ layout: inout RecordColumns, since: Timestamp?, until: Timestamp?,
                                     into block: inout ConversationSums) throws {
        let count = layout.count
        let timed = since != nil || until != nil
        for k in [0, 4, 5, 6, 7] {
            // (Key columns come first: 4 before 5 and 6, 6 before 7.)
            let keys = BlockEncoder.conditioning[k].map { values[$0] } ?? []
            try layout.unpack(k, into: &values[k], keys: keys)
        }
        if timed { for k in [1, 2] { try layout.unpack(k, into: &values[k]) } }

        let conversations = conversationColumns
        let conversationCount = conversations.count
        // Sums live in locals for the loop (plain arrays, no exclusivity checks per access).
        var flows = [UInt64](repeating: 0, count: conversationCount)
        var packetsOut = flows, bytesOut = flows, packetsIn = flows, bytesIn = flows
        let conversationOf = values[0]
        let columnPacketsOut = values[4], columnBytesOut = values[5], columnPacketsIn = values[6], columnBytesIn = values[7]
        // Without a range the time columns are not unpacked: `values[1]` and `values[2]` then
        // hold nothing of this block and are not read.
        let endDelta = values[1], duration = values[2]
        let sinceNS = since?.nanoseconds ?? 0, untilNS = until?.nanoseconds ?? .max
        var end = layout.baseEnd
        for i in 0..<count {
            let c = Int(truncatingIfNeeded: conversationOf[i])
            guard c >= 0, c < conversationCount else { throw Malformed(reason: "conversation number out of range", position: nil) }
            if timed {
                end = end &+ Self.unzigzag(endDelta[i])
                let startNS = (end &- layout.duration(duration[i])) &* layout.unit, endNS = end &* layout.unit
                if startNS >= untilNS || endNS < sinceNS { continue }
            }
            flows[c] &+= 1
            packetsOut[c] &+= columnPacketsOut[i]
            bytesOut[c] &+= columnBytesOut[i]
            packetsIn[c] &+= columnPacketsIn[i]
            bytesIn[c] &+= columnBytesIn[i]
        }

        for c in 0..<conversationCount where flows[c] > 0 {
            var sum = conversations.record(c)
            sum.packetsOut = packetsOut[c]
            sum.bytesOut = bytesOut[c]
            sum.packetsIn = packetsIn[c]
            sum.bytesIn = bytesIn[c]
            block.sums.append(sum)
            block.templateOfSum.append(conversationTemplate[c])
            block.flowCounts.append(flows[c])
        }
    }
}

/// One block read column-wise: per conversation with records in the scan's time range, a
/// record carrying the conversation's fields and its records' summed counters (source port,
/// times, TCP flags and status unset), and how many records it sums. Annotation and node come
/// from a prepared record per distinct pair in the block, numbered by `template(_:)`, so a
/// visitor can tell sums with the same annotation and node apart without comparing them.
public struct ConversationSums {
    @usableFromInline var sums: [FlowRecord] = []
    @usableFromInline var flowCounts: [UInt64] = []
    @usableFromInline var templateOfSum: [Int32] = []
    /// The block's prepared records, built when asked for (nil for a block of one flow held in
    /// memory, whose record is `single`).
    var dictionaries: BlockDictionaries?
    var single: AnnotatedFlow?
    /// False leaves annotation and node out (see `ConversationVisitor.needsAnnotations`).
    @usableFromInline var withAnnotations = true

    @usableFromInline init() {}

    /// Conversations in the block with records in range.
    @inlinable public var count: Int { sums.count }
    /// The conversation's fields with its records' counters summed.
    @inlinable public func sum(_ i: Int) -> FlowRecord { sums[i] }
    /// How many records `sum(i)` sums.
    @inlinable public func flows(_ i: Int) -> UInt64 { flowCounts[i] }
    /// Which (annotation, node) pair of this block the conversation has.
    @inlinable public func template(_ i: Int) -> Int { Int(templateOfSum[i]) }
    /// The whole summed record: `sum(i)` with its annotation and node.
    public func conversation(_ i: Int) -> AnnotatedFlow {
        guard let dictionaries else {
            var record = single!
            record.flow = sums[i]
            return record
        }
        return dictionaries.template(Int(templateOfSum[i]), flow: sums[i])
    }

    mutating func removeAll() {
        sums.removeAll(keepingCapacity: true)
        flowCounts.removeAll(keepingCapacity: true)
        templateOfSum.removeAll(keepingCapacity: true)
    }
}

extension ConversationSums {
    /// A block of one flow (for flows held in memory).
    public init(single flow: AnnotatedFlow) {
        sums = [flow.flow]
        flowCounts = [1]
        templateOfSum = [0]
        single = flow
    }
}
