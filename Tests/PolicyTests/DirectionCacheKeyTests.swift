import FlowCore
import Testing
@testable import Policy

/// The direction cache keys a walk by the other end's view itself when the view fits one word
/// (at most 64 tests), by a view number otherwise. The large cluster's views all fit one word,
/// so here every view goes through numbering as well, and both must give the plain answers.
@Suite struct DirectionCacheKeyTests {
    @Test func viewsByNumberGiveThePlainAnswers() throws {
        let cluster = try LargeClusterEquivalenceTests.cluster.get()
        let flows = LargeTestCluster.randomFlows(count: 6_000, seed: 0xD1C7)
        let plain = PolicyEngine(cluster: cluster, options: PolicyOptions(cachesDecisions: false))
        let numbered = PolicyEngine(cluster: cluster, options: PolicyOptions(preparesEndpoints: true))
        numbered.keysViewsByWord = false
        // A cache that empties every few entries renumbers views, walks and traces all the time.
        let small = PolicyEngine(cluster: cluster, options: PolicyOptions(cacheCapacity: 11))
        small.keysViewsByWord = false
        var mismatches = 0
        for _ in 0..<2 {
            for flow in flows {
                let want = plain.annotate(flow)
                if numbered.annotate(flow) != want || small.annotate(flow) != want {
                    mismatches += 1
                    if mismatches <= 5 { Issue.record("\(flow.sourceAddress) → \(flow.destinationAddress):\(flow.destinationPort) \(flow.ipProtocol)") }
                }
            }
        }
        #expect(mismatches == 0)
        #expect(numbered.directionHits > 0 && numbered.directionWalks > 0)
        #expect(numbered.viewNumbers.count > 0)
    }

    /// Enforced and pending walks share one entry: a flow whose egress is denied while the
    /// staged policies would let it out walks only the pending ingress; a later flow whose source
    /// has the same view from the destination needs the enforced ingress, which must then be
    /// walked, not taken as missing.
    @Test func anEntryFilledByOneKindOfWalkStillWalksTheOther() throws {
        let cluster = try TestCluster.cluster("""
        apiVersion: v1
        kind: Pod
        metadata: {name: blocked-1, namespace: shop, labels: {app: client, blocked: 'yes'}}
        spec: {containers: [{name: main}]}
        status: {podIP: 10.0.1.11}
        ---
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: block}
        spec: {selector: blocked == 'yes', types: [Egress], egress: [{action: Deny}]}
        ---
        apiVersion: projectcalico.org/v3
        kind: StagedGlobalNetworkPolicy
        metadata: {name: block}
        spec: {stagedAction: Delete, selector: blocked == 'yes'}
        """)
        func flow(_ source: String) throws -> FlowRecord {
            try ExplainRequest(source: source, destination: TestCluster.web, ipProtocol: "tcp", sourcePort: 40000,
                               destinationPort: 80, icmpType: 0, icmpCode: 0).flow(in: cluster)
        }
        let blocked = try flow("shop/blocked-1"), client = try flow(TestCluster.client)
        let plain = PolicyEngine(cluster: cluster, options: PolicyOptions(cachesDecisions: false))
        let first = plain.annotate(blocked)
        #expect(first.verdict == .deny && first.ingress == nil && first.pendingIngress != nil)
        for order in [[blocked, client], [client, blocked]] {
            let cached = PolicyEngine(cluster: cluster)
            for f in order { #expect(cached.annotate(f) == plain.annotate(f)) }
            // The second flow found the first one's entry.
            #expect(cached.directionHits > 0)
        }
    }
}

/// Egress and ingress walks keyed by a one-word view must never share an entry, whatever the
/// class numbers and ports: the walked class sits in the other port's place, which is the
/// destination port of an egress key and the source port of an ingress key.
@Suite struct DirectionCacheDirectionTests {
    /// Few classes (so small class numbers) and small destination ports, where an egress key of
    /// class k from source port 2c met the ingress key of class c to port 2k + 1. Class numbers
    /// follow the order addresses are first met, so each round draws new flows and builds
    /// fresh engines, with endpoints prepared (numbered in the index's order) and without.
    @Test func egressAndIngressWalksNeverShareAnEntry() throws {
        let cluster = try TestCluster.cluster("""
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: web-ingress}
        spec:
          selector: app == 'web'
          types: [Ingress]
          ingress: [{action: Allow, protocol: TCP, destination: {ports: [80, 8080]}}]
        ---
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: db-ingress}
        spec:
          selector: app == 'db'
          types: [Ingress]
          ingress: [{action: Allow, protocol: TCP, source: {ports: [0, 2, 4, 6]}}]
        """)
        let plain = PolicyEngine(cluster: cluster, options: PolicyOptions(cachesDecisions: false))
        let ends = ["10.0.1.10", "10.0.1.20", "10.0.2.30", "10.96.0.20", "198.51.100.7"].map { IPAddress($0)! }
        var rng = SplitMix64(seed: 0xD1EC)
        var mismatches = 0, directionHits = 0
        for round in 0..<40 {
            var flows: [FlowRecord] = []
            for _ in 0..<60 {
                let source = ends[Int(rng.next() % UInt64(ends.count))], destination = ends[Int(rng.next() % UInt64(ends.count))]
                flows.append(FlowRecord(sourceAddress: source, destinationAddress: destination,
                                        sourcePort: UInt16(rng.next() % 8), destinationPort: UInt16(rng.next() % 12),
                                        ipProtocol: rng.next() % 4 == 0 ? .udp : .tcp, start: .zero, end: .zero))
            }
            let engine = PolicyEngine(cluster: cluster, options: PolicyOptions(preparesEndpoints: round % 2 == 0))
            for flow in flows {
                let want = plain.annotate(flow)
                if engine.annotate(flow) != want {
                    mismatches += 1
                    if mismatches <= 5 {
                        Issue.record("round \(round): \(flow.sourceAddress):\(flow.sourcePort) → \(flow.destinationAddress):\(flow.destinationPort) \(flow.ipProtocol)")
                    }
                }
            }
            directionHits += engine.directionHits
        }
        #expect(mismatches == 0)
        #expect(directionHits > 0)
    }
}
