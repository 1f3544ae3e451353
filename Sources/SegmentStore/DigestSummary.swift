import FlowCore

/// Builds a block's `BlockDigest` without feeding it every flow.
///
/// A digest's tokens and masks depend only on what a flow shares with its conversation
/// (addresses, destination port, protocol, node, annotation) plus a source port below
/// `BlockDigest.indexedSourcePortLimit`. Per flow only the count, the time range and the low
/// source ports are kept; the rest comes from the block's dictionaries when it is finished
/// (`BlockEncoder.includeDistinctValues`), each distinct address, conversation, identity and
/// trace once, so writing a flow costs no hashing of strings and no reference counting for
/// the digest. The result equals inserting every flow
/// (`RoundTripTests.blockDigestsAnswerForTheirFlows` checks).
struct DigestSummary {
    private var count: UInt32 = 0
    private var minStart = UInt64.max
    private var maxEnd: UInt64 = 0
    /// Bit p set when a flow has source port p (< `indexedSourcePortLimit`).
    private var lowSourcePorts = [UInt64](repeating: 0, count: Int(BlockDigest.indexedSourcePortLimit) / 64)

    mutating func add(_ flow: FlowRecord) {
        count += 1
        if flow.start.nanoseconds < minStart { minStart = flow.start.nanoseconds }
        if flow.end.nanoseconds > maxEnd { maxEnd = flow.end.nanoseconds }
        if flow.sourcePort < BlockDigest.indexedSourcePortLimit {
            lowSourcePorts[Int(flow.sourcePort) >> 6] |= 1 << UInt64(flow.sourcePort & 63)
        }
    }

    /// A digest of the flows' count, time range and low source ports, to which the block's
    /// distinct values are added before it is sealed.
    func start() -> BlockDigest {
        var digest = BlockDigest()
        digest.include(flows: count, minStart: Timestamp(nanoseconds: minStart), maxEnd: Timestamp(nanoseconds: maxEnd))
        for (word, bits) in lowSourcePorts.enumerated() where bits != 0 {
            for bit in 0..<64 where bits >> UInt64(bit) & 1 != 0 { digest.include(sourcePort: UInt16(word * 64 + bit)) }
        }
        return digest
    }
}
