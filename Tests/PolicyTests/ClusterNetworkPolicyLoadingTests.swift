import FlowCore
import Testing
@testable import Policy

/// Reading ClusterNetworkPolicy, AdminNetworkPolicy and BaselineAdminNetworkPolicy manifests:
/// what becomes of them, and errors that say where.
@Suite struct ClusterNetworkPolicyLoadingTests {
    private func load(_ text: String) -> (cluster: Cluster?, errors: [FlowlogError]) {
        do {
            return (try TestCluster.cluster(text), [])
        } catch let e as ClusterLoadError {
            return (nil, e.errors)
        } catch {
            Issue.record("unexpected \(error)")
            return (nil, [])
        }
    }

    private func cnp(_ spec: String, kind: String = "ClusterNetworkPolicy", version: String = "v1alpha2", name: String = "p") -> String {
        """
        apiVersion: policy.networking.k8s.io/\(version)
        kind: \(kind)
        metadata: {name: \(name)}
        spec: \(spec)
        """
    }

    @Test func becomesAGlobalPolicyOfKindKcnpInItsTier() throws {
        let c = try #require(load(cnp("{tier: Baseline, priority: 7, subject: {namespaces: {}}, egress: [{action: Pass, to: [{namespaces: {}}]}]}")).cluster)
        let p = try #require(c.policies.first { $0.kind == .clusterNetworkPolicy })
        #expect(p.tier == "kube-baseline" && p.order == 7 && p.namespace.isEmpty)
        #expect(!p.appliesToIngress && p.appliesToEgress)
        #expect(p.egress.map(\.action) == [.pass])
        #expect(p.hit(index: 0, action: .pass, ruleIndex: 0).flowLogString == "0|kube-baseline|kcnp:p|pass|0")
        #expect(p.hit(index: 0, action: .pass, ruleIndex: 0).legacyFlowLogString == "0|kube-baseline|kcnp.kube-baseline.p|pass|0")
        #expect(ClusterSummary(c).text.contains("kcnp:p  order 7"))
        // The subject is pods only: the orchestrator clause keeps host endpoints out.
        #expect(p.selector.canonical.contains("projectcalico.org/orchestrator == \"k8s\""))
    }

    @Test func errorsNameTheField() {
        let cases: [(String, String, String)] = [
            (cnp("{priority: 1, subject: {namespaces: {}}}"), "spec", "missing required field spec.tier"),
            (cnp("{tier: Middle, priority: 1, subject: {namespaces: {}}}"), "spec.tier", "tier must be Admin or Baseline"),
            (cnp("{tier: Admin, priority: 1001, subject: {namespaces: {}}}"), "spec.priority", "0...1000"),
            (cnp("{tier: Admin, priority: 1, subject: {namespaces: {}, pods: {podSelector: {}}}}"), "spec.subject", "exactly one of namespaces and pods"),
            (cnp("{tier: Admin, priority: 1, subject: {namespaces: {}}, ingress: [{action: Allow, from: [{namespaces: {}}]}]}"),
             "spec.ingress[0].action", "action must be one of Accept, Deny, Pass"),
            (cnp("{priority: 1, subject: {namespaces: {}}, ingress: [{action: Accept, from: [{namespaces: {}}]}]}", kind: "AdminNetworkPolicy", version: "v1alpha1"),
             "spec.ingress[0].action", "action must be one of Allow, Deny, Pass"),
            (cnp("{subject: {namespaces: {}}, ingress: [{action: Pass, from: [{namespaces: {}}]}]}", kind: "BaselineAdminNetworkPolicy", version: "v1alpha1", name: "default"),
             "spec.ingress[0].action", "action must be one of Allow, Deny"),
            (cnp("{subject: {namespaces: {}}}", kind: "BaselineAdminNetworkPolicy", version: "v1alpha1", name: "other"),
             "metadata.name", "must be named 'default'"),
            (cnp("{tier: Admin, priority: 1, subject: {namespaces: {}}, egress: [{action: Deny, to: [{networks: [10.0.0.0/8, 'fd00::/8']}]}]}"),
             "spec.egress[0].to[0].networks", "mix IPv4 and IPv6"),
            (cnp("{tier: Admin, priority: 1, subject: {namespaces: {}}, ingress: [{action: Deny, from: [{pods: {podSelector: {}}, namespaces: {}}]}]}"),
             "spec.ingress[0].from[0]", "exactly one of namespaces, pods"),
            (cnp("{tier: Admin, priority: 1, subject: {namespaces: {}}, ingress: [{action: Deny, from: [{namespaces: {}}], protocols: [{tcp: {destinationPort: {range: {start: 9, end: 9}}}}]}]}"),
             "spec.ingress[0].protocols[0].tcp.destinationPort.range", "must be less than end"),
        ]
        for (text, field, message) in cases {
            let errors = load(text).errors
            #expect(errors.count == 1, "\(text): \(errors)")
            #expect(errors.first?.location?.field == field, "\(text): \(errors)")
            #expect(errors.first?.message.contains(message) == true, "\(text): \(errors)")
        }
    }

    @Test func unconvertibleRulesFailClosedWithAWarning() throws {
        let c = try #require(load(cnp("""
        {tier: Admin, priority: 1, subject: {namespaces: {}},
         egress: [{action: Accept, to: [{domainNames: [example.com]}]},
                  {action: Pass, to: [{pods: {podSelector: {}}}], protocols: [{destinationNamedPort: http}]},
                  {action: Deny, to: [{networks: [10.0.0.0/8]}]}]}
        """)).cluster)
        let p = try #require(c.policies.first { $0.kind == .clusterNetworkPolicy })
        // Accept dropped; Pass replaced by a deny-all rule; Deny converted.
        #expect(p.egress.map(\.action) == [.deny, .deny])
        #expect(p.egress[0].destination.isEmpty && p.egress[0].ipProtocol == nil)
        #expect(p.egress[1].destination.nets.map(\.description) == ["10.0.0.0/8"])
        let warnings = c.warnings.map(\.message)
        #expect(warnings.contains { $0.contains("domainNames peer has no Calico conversion; Calico drops this Accept rule") })
        #expect(warnings.contains { $0.contains("destinationNamedPort yet; Calico replaces this Pass rule with one that denies everything") })
    }

    @Test func protocolsExpandSortedWithPortsMerged() throws {
        let c = try #require(load(cnp("""
        {tier: Admin, priority: 1, subject: {namespaces: {}},
         ingress: [{action: Deny, from: [{namespaces: {}}, {pods: {podSelector: {matchLabels: {app: client}}}}],
                    protocols: [{udp: {destinationPort: {number: 53}}}, {tcp: {destinationPort: {number: 80}}},
                                {tcp: {destinationPort: {number: 443}}}, {sctp: {destinationPort: {number: 9}}}]}]}
        """)).cluster)
        let p = try #require(c.policies.first { $0.kind == .clusterNetworkPolicy })
        #expect(p.ingress.map(\.ipProtocol) == [.sctp, .sctp, .tcp, .tcp, .udp, .udp])
        #expect(p.ingress[2].destination.ports == [.range(80, 80), .range(443, 443)])
        #expect(p.ingress[2].source.selector != p.ingress[3].source.selector)
    }
}
