import FlowCore
import Policy
import Testing

/// The batch API prefetches the tables' slots a few flows ahead (`PolicyEngine.prefetch`): its
/// annotations must be those of the plain engine flow by flow, in order, whatever the batch's
/// size against the prefetch distance, with caches small enough to start afresh mid-batch.
@Suite struct BatchPrefetchTests {
    @Test(arguments: [1 << 18, 64])
    func batchesAnnotateAsFlowsOneByOne(capacity: Int) throws {
        let cluster = try ClusterLoader.load(text: LargeTestCluster.yaml())
        let batched = PolicyEngine(cluster: cluster, options: PolicyOptions(cacheCapacity: capacity))
        let plain = PolicyEngine(cluster: cluster, options: PolicyOptions(cachesDecisions: false))
        var rng = SplitMix64(seed: 0xBA7C ^ UInt64(capacity))
        var all = LargeTestCluster.randomFlows(count: 3_000, seed: 0x9F3 ^ UInt64(capacity))
        // Each pair again, so cached decisions are met as well as new ones.
        var again = all
        for i in again.indices.reversed() where i > 0 { again.swapAt(i, Int(rng.below(UInt64(i + 1)))) }
        all += again
        var out: [AnnotatedFlow] = []
        var at = 0
        while at < all.count {
            // Batches shorter and longer than the prefetch distance.
            let size = min(all.count - at, [1, PolicyEngine.prefetchDistance, PolicyEngine.prefetchDistance + 1, 300][Int(rng.below(4))])
            var batch = Array(all[at..<(at + size)])
            batched.annotate(&batch, into: &out, node: "n")
            #expect(batch.isEmpty)
            at += size
        }
        #expect(out.count == all.count)
        for (flow, got) in zip(all, out) {
            #expect(got.flow == flow)
            let want = plain.annotate(flow)
            #expect(got.annotation == want, "\(flow.sourceAddress) → \(flow.destinationAddress):\(flow.destinationPort)")
            if got.annotation != want { return }
        }
    }
}
