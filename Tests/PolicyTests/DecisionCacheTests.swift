import FlowCore
import Testing
@testable import Policy

@Suite struct DecisionCacheTests {
    private let policies = """
    apiVersion: projectcalico.org/v3
    kind: GlobalNetworkPolicy
    metadata: {name: p}
    spec:
      selector: app == 'web'
      types: [Ingress]
      ingress:
      - {action: Allow, protocol: TCP, destination: {ports: [80]}, source: {ports: ['40000:40010']}}
    """

    private func flow(_ c: Cluster, srcPort: UInt16, dstPort: UInt16) throws -> FlowRecord {
        try ExplainRequest(source: TestCluster.client, destination: TestCluster.web, ipProtocol: "tcp",
                           sourcePort: srcPort, destinationPort: dstPort).flow(in: c)
    }

    @Test func cacheKeysOnEverythingRulesLookAt() throws {
        let c = try TestCluster.cluster(policies)
        let engine = PolicyEngine(cluster: c)
        #expect(engine.annotate(try flow(c, srcPort: 40001, dstPort: 80)).verdict == .allow)
        #expect(engine.annotate(try flow(c, srcPort: 40001, dstPort: 81)).verdict == .deny)
        // Source ports matter here because a rule tests them.
        #expect(engine.annotate(try flow(c, srcPort: 50000, dstPort: 80)).verdict == .deny)
        #expect(engine.cachedDecisions == 3)
        #expect(engine.annotate(try flow(c, srcPort: 40001, dstPort: 80)).verdict == .allow)
        #expect(engine.cachedDecisions == 3)
    }

    @Test func uncachedAndCachedEnginesAgreeAndBatchesDrain() throws {
        let c = try TestCluster.cluster(policies)
        let cached = PolicyEngine(cluster: c)
        let cold = PolicyEngine(cluster: c, options: PolicyOptions(cachesDecisions: false))
        var batch: [FlowRecord] = []
        for port in UInt16(79)...81 {
            for src in UInt16(39999)...40002 { batch.append(try flow(c, srcPort: src, dstPort: port)) }
        }
        let expected = batch.map { cold.annotate($0) }
        var out: [AnnotatedFlow] = []
        cached.annotate(&batch, into: &out, node: "node1")
        #expect(batch.isEmpty)
        #expect(out.map(\.annotation) == expected)
        #expect(out.allSatisfy { $0.node == "node1" })
        #expect(cold.cachedDecisions == 0)
    }

    @Test func tinyCapacityStillAnswersCorrectly() throws {
        let c = try TestCluster.cluster(policies)
        let engine = PolicyEngine(cluster: c, options: PolicyOptions(cacheCapacity: 2))
        for _ in 0..<3 {
            #expect(engine.annotate(try flow(c, srcPort: 40001, dstPort: 80)).verdict == .allow)
            #expect(engine.annotate(try flow(c, srcPort: 40001, dstPort: 81)).verdict == .deny)
            #expect(engine.annotate(try flow(c, srcPort: 40002, dstPort: 82)).verdict == .deny)
        }
        #expect(engine.cachedDecisions <= 2)
    }

    /// On random flows of the large test cluster, each pair of ends several times, the caching
    /// engine answers as the uncached one, with the caches' usual size and a size small enough
    /// that every table starts afresh often.
    @Test(arguments: [1 << 18, 64])
    func cachedAnswersEqualUncached(capacity: Int) throws {
        let cluster = try ClusterLoader.load(text: LargeTestCluster.yaml())
        let engine = PolicyEngine(cluster: cluster, options: PolicyOptions(cacheCapacity: capacity))
        let plain = PolicyEngine(cluster: cluster, options: PolicyOptions(cachesDecisions: false))
        // Other destination ports, most of which no rule names (so their decisions are equal,
        // though cached apart), and other source ports.
        for base in LargeTestCluster.randomFlows(count: 1_500, seed: 0x5A4E) {
            for k in 0..<4 {
                var flow = base
                if flow.ipProtocol.hasPorts {
                    flow.sourcePort = 32_768 &+ UInt16(k) &* 977 &+ base.sourcePort % 1000
                    if k > 0 { flow.destinationPort = 9_000 &+ UInt16(k) }
                }
                #expect(engine.annotate(flow) == plain.annotate(flow), "\(flow)")
            }
        }
    }
}
