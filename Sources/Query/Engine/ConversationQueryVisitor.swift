import FlowCore
import SegmentStore

/// The column-wise scan's visitor for a group-by: skips blocks the pruner rules out, tests
/// each conversation once against the filter and adds its summed records to the groups.
/// Only for plans whose keys and filter read conversation fields (`readsConversationSums`),
/// where a conversation's records all pass or all fail and all fall in the same group.
struct ConversationQueryVisitor: ConversationVisitor {
    let filter: FilterProgram
    let pruner: BlockPruner
    var sink: GroupSink
    var scanned: UInt64 = 0
    var matched: UInt64 = 0
    var prunedByFilter = 0
    var conversations = 0
    var memo: ConversationMemo

    init(filter: FilterProgram, pruner: BlockPruner, sink: GroupSink, reads fields: ConversationFields) {
        self.filter = filter
        self.pruner = pruner
        self.sink = sink
        memo = ConversationMemo(needs: fields)
    }

    mutating func shouldRead(block digest: BlockDigest) -> Bool { pruner.shouldRead(digest, prunedByFilter: &prunedByFilter) }

    var needsAnnotations: Bool { memo.needs.contains(.annotation) }

    mutating func visit(_ block: ConversationSums) {
        memo.beginBlock()
        for i in 0..<block.count {
            let flows = block.flows(i)
            scanned &+= flows
            conversations += 1
            let sum = block.sum(i)
            let slot: Int32
            if let code = memo.code(sum, template: block.template(i)) {
                if let known = memo.slot(for: code) {
                    slot = known
                } else {
                    slot = group(of: block.conversation(i))
                    memo.remember(code, slot: slot)
                }
            } else {
                slot = group(of: block.conversation(i))
            }
            guard slot != ConversationMemo.dropped else { continue }
            matched &+= flows
            sink.grouping.add(summed: sum, flows: flows, toGroup: Int(slot))
        }
    }

    /// The conversation's group slot, or `dropped` when the filter rejects it.
    private mutating func group(of conversation: AnnotatedFlow) -> Int32 {
        guard filter.matches(conversation) else { return ConversationMemo.dropped }
        return Int32(sink.grouping.group(of: conversation))
    }

    /// Adds what another worker's visitor saw.
    mutating func merge(_ other: ConversationQueryVisitor) {
        scanned &+= other.scanned
        matched &+= other.matched
        prunedByFilter += other.prunedByFilter
        conversations += other.conversations
        sink.grouping.merge(other.sink.grouping)
    }
}
