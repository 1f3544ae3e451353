import FlowCore

/// Builds a block's `BlockDigest` without feeding it every flow.
///
/// A digest's tokens and masks depend only on what a flow shares with its conversation
/// (addresses, ports, protocol, node, annotation) plus a source port below
/// `BlockDigest.indexedSourcePortLimit`; so one representative per (conversation, low source
/// port) yields the same Bloom filter, while count and time range are tracked per flow. The
/// result equals inserting every flow (`RoundTripTests.blockDigestsAnswerForTheirFlows` checks).
struct DigestSummary {
    private var representatives = BlockDigest()
    private var seen = Set<UInt64>()
    private var count: UInt32 = 0
    private var minStart = UInt64.max
    private var maxEnd: UInt64 = 0

    mutating func add(_ record: AnnotatedFlow, conversation: Int) {
        count += 1
        if record.flow.start.nanoseconds < minStart { minStart = record.flow.start.nanoseconds }
        if record.flow.end.nanoseconds > maxEnd { maxEnd = record.flow.end.nanoseconds }
        let port = record.flow.sourcePort < BlockDigest.indexedSourcePortLimit ? UInt64(record.flow.sourcePort) : 0xFFFF_FFFF
        if seen.insert(UInt64(conversation) << 32 | port).inserted { representatives.insert(record) }
    }

    /// The sealed digest of everything added; starts over.
    mutating func finish() -> BlockDigest {
        representatives.seal()
        let digest = BlockDigest(count: count, minStart: Timestamp(nanoseconds: minStart), maxEnd: Timestamp(nanoseconds: maxEnd),
                                 verdictMask: representatives.verdictMask, protocolMask: representatives.protocolMask,
                                 bloomHashCount: representatives.bloomHashCount, bloomWords: representatives.bloomWords)
        representatives = BlockDigest()
        seen.removeAll(keepingCapacity: true)
        count = 0
        minStart = .max
        maxEnd = 0
        return digest
    }
}
