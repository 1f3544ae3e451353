import FlowCore
import Testing
@testable import Policy

/// Calico 3.32's rule validation where it differs from earlier releases, and how the walk
/// reports a rule left out for the flow's IP family.
@Suite struct RuleValidationTests {
    private func policy(_ rule: String) -> String {
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: p}
        spec:
          selector: app == 'web'
          types: [Ingress]
          ingress:
          - \(rule)
        """
    }

    private func loadErrors(_ rule: String) -> [FlowlogError] {
        do {
            _ = try TestCluster.cluster(policy(rule))
            return []
        } catch let e as ClusterLoadError {
            return e.errors
        } catch {
            Issue.record("unexpected \(error)")
            return []
        }
    }

    @Test func namedPortsAloneNeedNoProtocol() {
        #expect(loadErrors("{action: Allow, destination: {ports: [http, dns]}}").isEmpty)
        #expect(loadErrors("{action: Allow, source: {notPorts: [dns]}, destination: {ports: [http]}}").isEmpty)
    }

    @Test func numericPortsWithoutProtocolStayInvalid() {
        for rule in ["{action: Allow, destination: {ports: [80]}}",
                     "{action: Allow, destination: {ports: [http, 8080]}}",
                     "{action: Allow, destination: {ports: ['1000:2000']}}",
                     "{action: Allow, destination: {ports: [http]}, source: {notPorts: [22]}}"] {
            let errors = loadErrors(rule)
            #expect(errors.count == 1, "\(rule)")
            #expect(errors.first?.location?.field == "spec.ingress[0]", "\(rule)")
            #expect(errors.first?.message.contains("only named ports may go without a protocol") == true, "\(rule)")
        }
    }

    @Test func portsWithAProtocolWithoutPortsStayInvalid() {
        let errors = loadErrors("{action: Allow, protocol: ICMP, destination: {ports: [http]}}")
        #expect(errors.first?.message.contains("require protocol TCP, UDP or SCTP") == true)
    }

    @Test func namedPortWithoutProtocolNeverMatchesICMP() throws {
        let a = try TestCluster.decide(policy("{action: Allow, destination: {ports: [http]}}"),
                                       TestCluster.client, TestCluster.web, "icmp", icmpType: 8)
        #expect(a.ingress.strings == ["0|default|gnp:p|deny|-1"])
    }

    @Test func explainSaysWhyARuleIsAbsentForTheFamily() throws {
        let c = try TestCluster.cluster(policy("{action: Allow, source: {notNets: [10.0.0.0/8]}}"))
        let flow = try ExplainRequest(source: "fd00::10", destination: "fd00::20", ipProtocol: "tcp", destinationPort: 80).flow(in: c)
        let e = PolicyEngine(cluster: c).explain(flow)
        #expect(e.annotation.verdict == .deny)
        #expect(e.walk.contains { $0.contains("rule 0: only IPv4 CIDRs; Felix renders no IPv6 rule for it") })
        // The cached path agrees.
        #expect(PolicyEngine(cluster: c).annotate(flow) == e.annotation)
    }
}
