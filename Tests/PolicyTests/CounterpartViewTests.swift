import FlowCore
import Testing
@testable import Policy

/// The other end's view (`CounterpartTests`) must answer exactly as the rule matcher does, or
/// walks cached per direction would be shared between ends a walk tells apart.
@Suite struct CounterpartViewTests {
    @Test func testsAnswerAsTheRuleMatcherDoes() throws {
        let cluster = try LargeClusterEquivalenceTests.cluster.get()
        let engine = PolicyEngine(cluster: cluster)
        let entities = engine.policies.flatMap { ($0.ingress + $0.egress).flatMap { [$0.source, $0.destination] } }
            .filter { $0.service == nil && $0.domains.isEmpty }
        var programs = engine.counterparts
        let tests = entities.map { programs.test(for: $0) }
        var rng = SplitMix64(seed: 0xC0FFEE)
        var compared = 0, held = 0, disagreements = 0
        for flow in LargeTestCluster.randomFlows(count: 400, seed: 0x5EED) {
            let facts = FlowFacts(
                ipProtocol: flow.ipProtocol, ipVersion: flow.ipVersion, icmpType: flow.icmpType, icmpCode: flow.icmpCode,
                source: engine.side(flow.sourceAddress, port: flow.sourcePort),
                destination: engine.side(flow.destinationAddress, port: flow.destinationPort))
            for _ in 0..<300 {
                let i = Int(rng.next() % UInt64(entities.count))
                for side in [facts.source, facts.destination] {
                    let want = engine.matches(entities[i], side, facts)
                    let got = programs.passes(tests[i], side, facts.ipProtocol, memo: &engine.memo,
                                              portWords: engine.endpointPortWords, portStart: engine.endpointPortStart)
                    compared += 1
                    if want { held += 1 }
                    if got != want {
                        disagreements += 1
                        if disagreements <= 5 { Issue.record("entity rule \(i) at \(side.address):\(side.port) \(facts.ipProtocol): got \(got), want \(want)") }
                    }
                }
            }
        }
        #expect(disagreements == 0)
        // Both answers occur often enough for the comparison to mean something.
        #expect(held > compared / 50 && held < compared - compared / 50, "\(held) of \(compared) held")
    }

    /// As `flowlog replay` builds it (endpoints prepared), on flows of every kind.
    @Test func aPreparedEngineGivesThePlainAnswers() throws {
        let cluster = try LargeClusterEquivalenceTests.cluster.get()
        let flows = LargeTestCluster.randomFlows(count: 4_000, seed: 0xD1EC)
        let engine = PolicyEngine(cluster: cluster, options: PolicyOptions(preparesEndpoints: true))
        let plain = PolicyEngine(cluster: cluster, options: PolicyOptions(cachesDecisions: false))
        for flow in flows { #expect(engine.annotate(flow) == plain.annotate(flow)) }
        // Views were shared between class pairs.
        #expect(engine.directionHits > 0)
    }
}
