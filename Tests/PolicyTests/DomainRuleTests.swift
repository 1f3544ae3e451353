import FlowCore
import Testing
@testable import Policy

/// `destination.domains`: where it is valid, what it matches, and that cached decisions keep
/// destinations with different names apart.
@Suite struct DomainRuleTests {
    private func policy(_ direction: String, _ rule: String) -> String {
        """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: p}
        spec:
          selector: app == 'client'
          types: [\(direction == "egress" ? "Egress" : "Ingress")]
          \(direction):
          - \(rule)
        """
    }

    private func errors(_ text: String) -> [FlowlogError] {
        do {
            _ = try TestCluster.cluster(text)
            return []
        } catch let e as ClusterLoadError {
            return e.errors
        } catch {
            return []
        }
    }

    @Test func onlyInTheDestinationOfEgressAllowRules() {
        #expect(errors(policy("egress", "{action: Allow, destination: {domains: [api.example.com, '*.example.org']}}")).isEmpty)
        for (direction, rule, field) in [
            ("ingress", "{action: Allow, destination: {domains: [api.example.com]}}", "spec.ingress[0].destination.domains"),
            ("egress", "{action: Deny, destination: {domains: [api.example.com]}}", "spec.egress[0].destination.domains"),
            ("egress", "{action: Allow, source: {domains: [api.example.com]}}", "spec.egress[0].source.domains"),
        ] {
            let found = errors(policy(direction, rule))
            #expect(found.count == 1 && found.first?.location?.field == field, "\(rule): \(found)")
            #expect(found.first?.message.contains("only valid in the destination of an egress Allow rule") == true)
        }
    }

    @Test func patternsAreChecked() {
        for bad in ["'*.*.example.com'", "'exa mple.com'", "'*'", "''", "'a..b'"] {
            let found = errors(policy("egress", "{action: Allow, destination: {domains: [\(bad)]}}"))
            #expect(found.first?.location?.field == "spec.egress[0].destination.domains[0]", "\(bad): \(found)")
        }
        // Case and a trailing dot do not matter.
        let c = try? TestCluster.cluster(policy("egress", "{action: Allow, destination: {domains: [API.Example.COM.]}}"))
        #expect(c?.policies.first { $0.name == "p" }?.egress.first?.destination.domains == ["api.example.com"])
    }

    @Test func matching() {
        #expect(DomainNames.matches(pattern: "api.example.com", name: "api.example.com"))
        #expect(!DomainNames.matches(pattern: "api.example.com", name: "www.api.example.com"))
        #expect(DomainNames.matches(pattern: "*.example.com", name: "a.example.com"))
        #expect(DomainNames.matches(pattern: "*.example.com", name: "a.b.example.com"))
        #expect(!DomainNames.matches(pattern: "*.example.com", name: "example.com"))
        #expect(DomainNames.matches(pattern: "www.*.com", name: "www.sun.com"))
        #expect(!DomainNames.matches(pattern: "www.*.com", name: "www.com"))
        #expect(DomainNames.matches(pattern: "update.*.mycompany.com", name: "update.tools.eu.mycompany.com"))
    }

    @Test func cachedDecisionsKeepNamesApart() throws {
        let c = try TestCluster.cluster(policy("egress", "{action: Allow, destination: {domains: ['*.example.com']}}"))
        let flow = try ExplainRequest(source: TestCluster.client, destination: "192.0.2.10", ipProtocol: "tcp", destinationPort: 443).flow(in: c)
        let engine = PolicyEngine(cluster: c)
        let allowed = engine.annotate(flow, destinationDomains: DomainNames(["api.example.com"]))
        let denied = engine.annotate(flow, destinationDomains: DomainNames(["api.example.net"]))
        let none = engine.annotate(flow)
        #expect(allowed.verdict == .allow)
        #expect(denied.verdict == .deny && none.verdict == .deny)
        // The same again, from the caches.
        #expect(engine.annotate(flow, destinationDomains: DomainNames(["api.example.com"])) == allowed)
        #expect(engine.annotate(flow, destinationDomains: DomainNames(["api.example.net"])) == denied)
        // Against a fresh walk every time.
        let fresh = PolicyEngine(cluster: c, options: PolicyOptions(cachesDecisions: false))
        #expect(fresh.annotate(flow, destinationDomains: DomainNames(["api.example.com"])) == allowed)
    }

    @Test func withoutDomainRulesNamesStayOutOfTheKeys() throws {
        let c = try TestCluster.cluster(policy("egress", "{action: Allow, destination: {nets: [192.0.2.0/24]}}"))
        let engine = PolicyEngine(cluster: c)
        #expect(!engine.keysOnDomains)
        let flow = try ExplainRequest(source: TestCluster.client, destination: "192.0.2.10", ipProtocol: "tcp", destinationPort: 443).flow(in: c)
        _ = engine.annotate(flow, destinationDomains: DomainNames(["a.example.com"]))
        _ = engine.annotate(flow, destinationDomains: DomainNames(["b.example.com"]))
        #expect(engine.cachedDecisions == 1)
    }
}
