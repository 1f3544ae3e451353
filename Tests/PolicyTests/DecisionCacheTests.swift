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
}
