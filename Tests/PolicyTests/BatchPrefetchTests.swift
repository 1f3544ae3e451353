import FlowCore
@testable import Policy
import Testing

/// The batch API runs the engine's lookahead (`PolicyEngine+Lookahead`: three prefetch stages
/// two to six flows ahead): its annotations must be those of the plain engine flow by flow, in
/// order, whatever the batch's size against the stages' distances, with caches small enough to
/// start afresh mid-batch; and no stage may change what the engine holds.
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
        let sizes = [1, PolicyEngine.decidedPrefetchDistance, PolicyEngine.foundPrefetchDistance + 1,
                     PolicyEngine.prefetchDistance, PolicyEngine.prefetchDistance + 1, 300]
        while at < all.count {
            // Batches shorter and longer than each stage's distance.
            let size = min(all.count - at, sizes[Int(rng.below(UInt64(sizes.count)))])
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

    /// What the engine holds, as far as a stage could change it.
    struct Held: Equatable {
        let decisions, addresses, classDecisions, annotations, outcomes, setIdentities, traces: Int
        let classWalks, classHits, directionWalks, directionHits: Int

        init(_ e: PolicyEngine) {
            decisions = e.decisionNumbers.count
            addresses = e.addresses.count
            classDecisions = e.classDecisionNumbers.count
            annotations = e.annotationNumbers.count
            outcomes = e.outcomeNumbers.count
            setIdentities = e.setIdentityNumbers.count
            traces = e.traceTable.count
            classWalks = e.classWalks
            classHits = e.classHits
            directionWalks = e.directionWalks
            directionHits = e.directionHits
        }
    }

    /// Every stage on flows met before, new ones (new addresses, IPv6, ICMP) and flows with
    /// destination names, between annotations that fill and empty the tables: a stage changes no
    /// count of any table, and the annotations stay the plain engine's.
    @Test(arguments: [1 << 18, 64])
    func stagesChangeNothing(capacity: Int) throws {
        let cluster = try ClusterLoader.load(text: LargeTestCluster.yaml())
        let engine = PolicyEngine(cluster: cluster, options: PolicyOptions(cacheCapacity: capacity))
        let plain = PolicyEngine(cluster: cluster, options: PolicyOptions(cachesDecisions: false))
        var rng = SplitMix64(seed: 0x57A6E ^ UInt64(capacity))
        let flows = LargeTestCluster.randomFlows(count: 2_000, seed: 0x5EED ^ UInt64(capacity))
        let names = DomainNames(["api.example.com"])
        var stagesRun = 0
        for (i, flow) in flows.enumerated() {
            for _ in 0..<3 {
                // Mostly flows already annotated (their lines are what the stages follow).
                let other = flows[Int(rng.below(UInt64(rng.below(4) == 0 ? flows.count : i + 1)))]
                let domains = rng.below(8) == 0 ? names : .none
                let before = Held(engine)
                switch rng.below(3) {
                case 0: engine.prefetch(other, destinationDomains: domains)
                case 1: engine.prefetchFound(other, destinationDomains: domains)
                default: engine.prefetchDecided(other, destinationDomains: domains)
                }
                #expect(Held(engine) == before)
                if Held(engine) != before { return }
                stagesRun += 1
            }
            let got = engine.annotate(flow)
            #expect(got == plain.annotate(flow), "\(flow.sourceAddress) → \(flow.destinationAddress):\(flow.destinationPort)")
        }
        #expect(stagesRun == 3 * flows.count)
    }
}
