import FlowCore
import Testing
@testable import Policy

/// The engine's fast paths (decision cache, match-class cache, remembered network-set
/// identities, plans shared per class) against the plain evaluation, which walks every flow
/// from scratch, on a cluster of the size the speed goals are set on.
@Suite struct LargeClusterEquivalenceTests {
    static let cluster: Result<Cluster, Error> = Result { try ClusterLoader.load(text: LargeTestCluster.yaml(), name: "large.yaml") }

    @Test func theClusterHasTheShapeTheGoalsAreSetOn() throws {
        let cluster = try Self.cluster.get()
        #expect(cluster.pods.count == 4096)
        #expect((900...1100).contains(cluster.policies.count), "\(cluster.policies.count) policies")
        #expect(cluster.policies.contains { $0.kind.isStaged })
        #expect(cluster.networkSets.count == 131)
        #expect(cluster.warnings.isEmpty, "\(cluster.warnings)")
    }

    @Test func fastPathsGiveThePlainEvaluationsVerdictAndTraces() throws {
        let cluster = try Self.cluster.get()
        let flows = LargeTestCluster.randomFlows(count: 12_000, seed: 0xF10)
        let plain = PolicyEngine(cluster: cluster, options: PolicyOptions(cachesDecisions: false))
        let cached = PolicyEngine(cluster: cluster)
        // A cache that empties every few entries exercises refilling between related flows.
        let small = PolicyEngine(cluster: cluster, options: PolicyOptions(cacheCapacity: 7))
        let expected = flows.map { plain.annotate($0) }
        var mismatches = 0
        // Twice: the first pass fills the caches, the second answers from them.
        for _ in 0..<2 {
            for (flow, want) in zip(flows, expected) {
                let got = cached.annotate(flow), gotSmall = small.annotate(flow)
                if got != want || gotSmall != want {
                    mismatches += 1
                    if mismatches <= 5 {
                        Issue.record("\(flow.sourceAddress):\(flow.sourcePort) → \(flow.destinationAddress):\(flow.destinationPort) \(flow.ipProtocol): got \(got.verdict) \(String(describing: got.ingress)), want \(want.verdict) \(String(describing: want.ingress))")
                    }
                }
            }
        }
        #expect(mismatches == 0)
        for (flow, want) in zip(flows.prefix(300), expected) { #expect(cached.explain(flow).annotation == want) }
        // The flows reach every outcome and the class cache really shared walks.
        #expect(Set(expected.map(\.verdict)) == [.allow, .deny, .unknown])
        #expect(expected.contains { $0.pendingEgress != nil && $0.pendingEgress != $0.egress })
        #expect(expected.contains { $0.source.kind == .networkSet || $0.destination.kind == .networkSet })
        #expect(expected.contains { annotation in annotation.ingress?.hits.contains { hit in hit.action == .pass } ?? false })
        #expect(cached.classHits > 0 && cached.classWalks > 0)
        // Walks cached per direction answered some class walks, and some needed a walk.
        #expect(cached.directionHits > 0 && cached.directionWalks > 0)
    }
}
