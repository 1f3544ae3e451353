import FlowCore
import Foundation
import Testing
@testable import Policy

private struct FlowFile: Decodable {
    var src: String
    var dst: String
    var proto: String
    var srcPort: UInt16?
    var dstPort: UInt16?
    var icmpType: UInt8?
    var icmpCode: UInt8?
    /// The project's own cases only: names DNS resolved the destination from.
    var dstDomains: [String]?
}

/// Every tier case goes through what `flowlog policy explain --format json` runs: the manifest
/// loader, `ExplainRequest`, `PolicyEngine.explain` and `PolicyReport.json`.
@Suite struct TierConformanceTests {
    static let caseNames = FixtureFiles.tierCaseDirectories.map(\.lastPathComponent)

    @Test func casesAreLoaded() {
        #expect(Self.caseNames.count >= 28)
    }

    @Test(arguments: caseNames)
    func tierCase(_ name: String) throws {
        try check(FixtureFiles.conformance.appendingPathComponent("tiers").appendingPathComponent(name), name)
    }

    static let upstreamCaseNames = FixtureFiles.upstreamCaseNames

    @Test func upstreamCasesAreLoaded() {
        #expect(Self.upstreamCaseNames.count >= 26)
    }

    /// The same check over the project's own cases for Calico behaviour the conformance set misses.
    @Test(arguments: upstreamCaseNames)
    func upstreamCase(_ name: String) throws {
        try check(FixtureFiles.upstream.appendingPathComponent(name), name)
    }

    private func check(_ dir: URL, _ name: String) throws {
        let cluster = try ClusterLoader.load(paths: [dir.appendingPathComponent("cluster.yaml").path])
        let flowFile = try JSONDecoder().decode(FlowFile.self, from: Data(contentsOf: dir.appendingPathComponent("flow.json")))
        let request = ExplainRequest(source: flowFile.src, destination: flowFile.dst, ipProtocol: flowFile.proto,
                                     sourcePort: flowFile.srcPort ?? 0, destinationPort: flowFile.dstPort ?? 0,
                                     icmpType: flowFile.icmpType ?? 0, icmpCode: flowFile.icmpCode ?? 0)
        let flow = try request.flow(in: cluster)
        let names = DomainNames(flowFile.dstDomains ?? [])
        let rendered = PolicyReport.json(PolicyEngine(cluster: cluster).explain(flow, destinationDomains: names).annotation)

        let actual = try #require(try JSONSerialization.jsonObject(with: Data(rendered.utf8)) as? NSDictionary)
        let expected = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("expected.json"))) as? NSDictionary)
        for key in ["verdict", "egress", "ingress", "pending", "flowLogEndpoints"] {
            let a = actual[key], e = expected[key]
            #expect((a as? NSObject) == (e as? NSObject), "\(name) \(key): got \(String(describing: a)) expected \(String(describing: e))")
        }
        // The cached path agrees with the explain path.
        let engine = PolicyEngine(cluster: cluster)
        #expect(engine.annotate(flow, destinationDomains: names) == engine.explain(flow, destinationDomains: names).annotation)
        #expect(engine.annotate(flow, destinationDomains: names) == engine.explain(flow, destinationDomains: names).annotation)
    }

    /// Cases carrying `expected_legacy` (S17): the v3.30/v3.31 tie-break gives that verdict and trace.
    @Test(arguments: caseNames)
    func legacyOrdering(_ name: String) throws {
        let dir = FixtureFiles.conformance.appendingPathComponent("tiers").appendingPathComponent(name)
        let expected = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("expected.json"))) as? [String: Any])
        guard let legacy = expected["expected_legacy"] as? [String: Any] else { return }
        let cluster = try ClusterLoader.load(paths: [dir.appendingPathComponent("cluster.yaml").path])
        let flowFile = try JSONDecoder().decode(FlowFile.self, from: Data(contentsOf: dir.appendingPathComponent("flow.json")))
        let flow = try ExplainRequest(source: flowFile.src, destination: flowFile.dst, ipProtocol: flowFile.proto,
                                      sourcePort: flowFile.srcPort ?? 0, destinationPort: flowFile.dstPort ?? 0).flow(in: cluster)
        let a = PolicyEngine(cluster: cluster, options: PolicyOptions(ordering: .v3_30)).annotate(flow)
        #expect(a.verdict.description == legacy["verdict"] as? String)
        if let ingress = legacy["ingress_policies_legacy"] as? [String] {
            #expect(a.ingress?.hits.map(\.legacyFlowLogString) == ingress)
        }
    }
}
