import FlowCore
import Testing
@testable import Reports

/// The demo cluster (samples/cluster), worked out by hand from its README and manifests.
@Suite struct DemoClusterTests {
    @Test func calicoAndFlowlogReadingsOfTheDemo() throws {
        let d = try ReportFixtures.document(try ReportFixtures.demoCluster)
        let s = ReportSummary(d)
        #expect(d.endpoints.count == 14)
        // deny-threat-feed (security tier, all(), Ingress+Egress) applies to every pod.
        #expect(s.endpointsIngressProtected == 14 && s.endpointsEgressProtected == 14)
        // allow-public-web opens the two frontends to 0.0.0.0/0 and ::/0.
        #expect(s.endpointsIngressFromInternet == 2)
        // allow-egress-in-cluster allows fd00:10:244::/48, which Calico calls public: every pod.
        #expect(s.endpointsEgressToInternet == 14)
        // Global policies with selector rules and no nets: every pod both ways.
        #expect(s.endpointsIngressFromOtherNamespace == 14 && s.endpointsEgressToOtherNamespace == 14)
        // default-deny selects every pod outside kube-system; the two coredns pods fall through to kns.kube-system.
        #expect(s.endpointsIngressDefaultDeny == 12 && s.endpointsEgressDefaultDeny == 12)
        // Reachable from the internet: the frontends (allow-public-web) and coredns (profile).
        #expect(s.endpointsReachableFromInternet == 4)
        // Reaching the internet: payments' api (payment-providers, 192.0.2.0/25) and coredns.
        #expect(s.endpointsReachingInternet == 4)
        // Only Prometheus, whose only allowed ingress comes from its own namespace, is not reachable from elsewhere.
        #expect(s.endpointsReachableFromOtherNamespace == 13)
        #expect(s.endpointsReachingOtherNamespace == 14)
        #expect(ReportFixtures.assessment(d, "monitoring/prometheus-0")?.assessed.ingressFromOtherNamespace == false)
        let coredns = d.endpoints.filter { $0.key.namespace == "kube-system" }
        #expect(coredns.count == 2 && coredns.allSatisfy { !$0.assessed.ingressDefaultDeny && $0.calico.ingressProtected })
        let api = try #require(d.endpoints.first { $0.key.namespace == "payments" && $0.key.name.hasPrefix("api-") })
        #expect(api.assessed.egressToInternet && api.findings.contains("egress to the internet: rule 0 of NetworkPolicy(payments/allow-payment-providers)"))
        #expect(api.appliedPolicies == ["GlobalNetworkPolicy(deny-threat-feed)", "GlobalNetworkPolicy(allow-dns)",
                                        "GlobalNetworkPolicy(allow-prometheus-scrape)", "NetworkPolicy(payments/allow-payment-providers)",
                                        "GlobalNetworkPolicy(allow-egress-in-cluster)",
                                        "NetworkPolicy.networking.k8s.io/v1(payments/allow-api-from-shop)", "GlobalNetworkPolicy(default-deny)"])
        // The staged frontend-tls-only enforces nothing and is not an applied policy.
        #expect(d.endpoints.allSatisfy { !$0.appliedPolicies.contains { $0.contains("frontend-tls-only") } })
    }

    @Test func inventoryCountsNamespacesServicesAndAccounts() throws {
        let d = try ReportFixtures.document(try ReportFixtures.demoCluster, .inventory)
        let s = ReportSummary(d)
        #expect(s.namespacesInScope == 4 && s.namespacesIngressProtected == 4 && s.namespacesEgressProtected == 4)
        #expect(d.namespaces.map(\.name) == ["kube-system", "monitoring", "payments", "shop"])
        #expect(d.namespaces.first { $0.name == "kube-system" }?.ingressDefaultDeny == 0)
        #expect(d.namespaces.first { $0.name == "shop" }.map { ($0.endpoints, $0.ingressDefaultDeny) } ?? (0, 0) == (8, 8))
        // coredns, prometheus, shop's frontend/api/redis/worker, payments' api/postgres.
        #expect(s.serviceAccountsInScope == 8)
        #expect(!d.services.isEmpty && d.services.allSatisfy { $0.name.hasPrefix("Service.v1(") && $0.ingressProtected })
    }
}
