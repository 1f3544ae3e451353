import FlowCore
import FlowTestSupport
import Testing
@testable import SegmentStore

/// Dictionary entries are built when a row or a filter first asks for them
/// (`BlockDictionaries`); whatever the order and whichever subset is asked for, every record
/// must be exactly the one written, and the answers read without building must agree with the
/// built records.
@Suite struct LazyDictionaryTests {
    /// Admits a random subset of rows; before that, builds a random subset of the block's
    /// prepared records in random order (as a filter on annotations would) and checks the
    /// answers given without building.
    struct RandomSubsetVisitor: StoreVisitor {
        var random: SplitMix64
        var firstRowOfBlock = 0
        var rowsBefore = 0
        var admitted: [(index: Int, flow: AnnotatedFlow)] = []
        var pendingIndex = 0
        var disagreements = 0

        mutating func shouldRead(block digest: BlockDigest) -> Bool { true }

        mutating func screen(_ block: BlockRows) {
            firstRowOfBlock = rowsBefore
            rowsBefore += block.rowCount
            var prepared = Array(0..<block.preparedCount)
            for i in prepared.indices.reversed() where i > 0 { prepared.swapAt(i, Int(random.below(UInt64(i) + 1))) }
            // Half the blocks ask for nothing before their rows.
            guard random.below(2) == 0 else { return }
            for t in prepared.prefix(Int(random.below(UInt64(prepared.count) + 1))) {
                let record = block.prepared(t)
                if block.preparedReportsAtDestination(t) != (record.annotation?.reportsAtDestination ?? false) { disagreements += 1 }
                if block.preparedIsAnnotated(t) != (record.annotation != nil) { disagreements += 1 }
            }
        }

        mutating func admits(_ block: BlockRows, row: Int) -> Bool {
            guard random.below(3) == 0 else { return false }
            pendingIndex = firstRowOfBlock + row
            // Rows built outside the scan must agree with the scan's own.
            admitted.append((pendingIndex, block.flow(row)))
            return true
        }

        mutating func visit(_ flow: AnnotatedFlow) -> Bool {
            if admitted.last.map({ $0.flow != flow }) ?? true { disagreements += 1 }
            return true
        }
    }

    @Test(arguments: [1, 2, 3, 4, 5])
    func randomSubsetsInRandomOrderComeBackExactly(seed: UInt64) throws {
        var generator = SyntheticFlowGenerator(seed: seed, pods: 400, namespaces: 25)
        var flows = generator.generate(6_000)
        // Edge cases too: every trace kind, unicode labels, flows without annotation.
        flows.insert(contentsOf: edgeCaseFlows(), at: Int(seed) * 100)
        let dir = TemporaryDirectory("lazy")
        defer { dir.remove() }
        _ = try write(flows, to: dir.path, configuration: StoreConfiguration(blockRecords: 700 + Int(seed) * 300))
        var visitor = RandomSubsetVisitor(random: SplitMix64(seed: seed * 7919))
        let reader = try StoreReader(directory: dir.path)
        let stats = try reader.scan(since: nil, until: nil, visitor: &visitor)
        #expect(stats.problems.isEmpty)
        #expect(visitor.rowsBefore == flows.count)
        #expect(visitor.disagreements == 0)
        #expect(visitor.admitted.count > flows.count / 4)
        for (index, flow) in visitor.admitted where flow != flows[index] {
            Issue.record("row \(index) differs: \(flow) written as \(flows[index])")
            break
        }
    }

    /// The column-wise read builds prepared records only for the sums a visitor asks about.
    @Test func conversationSumsBuildTheRecordsAskedFor() throws {
        var generator = SyntheticFlowGenerator(seed: 9, pods: 300, namespaces: 20)
        let flows = generator.generate(3_000)
        let dir = TemporaryDirectory("lazy-sums")
        defer { dir.remove() }
        _ = try write(flows, to: dir.path, configuration: StoreConfiguration(blockRecords: 1_000))
        struct Collect: ConversationVisitor {
            var annotations: [FlowAnnotation?] = []
            var needsAnnotations: Bool { true }
            mutating func shouldRead(block digest: BlockDigest) -> Bool { true }
            mutating func visit(_ block: ConversationSums) {
                for i in stride(from: block.count - 1, through: 0, by: -3) { annotations.append(block.conversation(i).annotation) }
            }
        }
        var visitors = [Collect()]
        _ = try StoreReader(directory: dir.path).scanConversations(since: nil, until: nil, visitors: &visitors)
        let written = Set(flows.compactMap(\.annotation))
        #expect(!visitors[0].annotations.isEmpty)
        #expect(visitors[0].annotations.allSatisfy { $0.map(written.contains) ?? true })
    }
}
