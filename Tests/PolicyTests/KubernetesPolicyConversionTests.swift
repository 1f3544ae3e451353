import FlowCore
import Testing
@testable import Policy

/// §1.3 / §6.9 / §6.10: Kubernetes NetworkPolicy conversion and its rule indexes.
@Suite struct KubernetesPolicyConversionTests {
    private let knp = """
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: web, namespace: shop}
    spec:
      podSelector: {matchLabels: {app: web}}
      ingress:
      - from:
        - podSelector: {matchLabels: {app: client}}
        - namespaceSelector: {matchLabels: {env: dev}}
        ports:
        - {port: 8080}
        - {protocol: UDP, port: 53}
        - {protocol: SCTP, port: 9000, endPort: 9010}
      - from:
        - ipBlock: {cidr: 203.0.113.0/24, except: [203.0.113.128/25]}
    """

    @Test func rulesExpandPerProtocolThenPeer() throws {
        let c = try TestCluster.cluster(knp)
        let p = try #require(c.policies.first)
        #expect(p.kind == .kubernetesNetworkPolicy && p.tier == "default" && p.order == 1000)
        #expect(p.appliesToIngress && !p.appliesToEgress)
        // SCTP × 2 peers, TCP × 2 peers, UDP × 2 peers, then the ipBlock rule.
        #expect(p.ingress.map { $0.ipProtocol?.description ?? "any" } == ["sctp", "sctp", "tcp", "tcp", "udp", "udp", "any"])
        #expect(p.ingress[0].destination.ports == [.range(9000, 9010)])
        #expect(p.ingress[6].source.nets.map(\.description) == ["203.0.113.0/24"])
        #expect(p.ingress[6].source.notNets.map(\.description) == ["203.0.113.128/25"])
        #expect(p.selector.canonical == "((projectcalico.org/orchestrator == \"k8s\" && app == \"web\") && projectcalico.org/namespace == \"shop\")")
    }

    @Test func ruleIndexesCountExpandedRules() throws {
        // TCP from the dev namespace is rule 3 (sctp×2, then tcp: client=2, dev=3).
        let fromDev = try TestCluster.decide(knp, TestCluster.db, TestCluster.web, dstPort: 8080)
        #expect(fromDev.ingress.strings == ["0|default|knp:shop/web|allow|3"])
        let udp = try TestCluster.decide(knp, TestCluster.client, TestCluster.web, "udp", dstPort: 53)
        #expect(udp.ingress.strings == ["0|default|knp:shop/web|allow|4"])
        let block = try TestCluster.decide(knp, "203.0.113.7", TestCluster.web, dstPort: 1)
        #expect(block.ingress.strings == ["0|default|knp:shop/web|allow|6"])
        let excepted = try TestCluster.decide(knp, "203.0.113.200", TestCluster.web, dstPort: 1)
        #expect(excepted.ingress.strings == ["0|default|knp:shop/web|deny|-1"])
        #expect(excepted.ingress?.hits.first?.legacyFlowLogString == "0|default|shop/knp.default.web|deny|-1")
    }

    @Test func emptyNamespaceSelectorMeansEveryNamespaceAndPolicyTypesDefault() throws {
        let c = try TestCluster.cluster("""
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: egress, namespace: shop}
        spec:
          podSelector: {}
          egress:
          - to: [{namespaceSelector: {}}]
        """)
        let p = try #require(c.policies.first)
        #expect(p.appliesToIngress && p.appliesToEgress)  // Ingress, plus Egress because of egress rules
        let a = try TestCluster.decide("""
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: egress, namespace: shop}
        spec:
          podSelector: {}
          policyTypes: [Egress]
          egress:
          - to: [{namespaceSelector: {}}]
        """, TestCluster.client, TestCluster.db)
        #expect(a.egress.strings == ["0|default|knp:shop/egress|allow|0"])
        let external = try TestCluster.decide("""
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: egress, namespace: shop}
        spec:
          podSelector: {}
          policyTypes: [Egress]
          egress:
          - to: [{namespaceSelector: {}}]
        """, TestCluster.client, "8.8.8.8")
        #expect(external.egress.strings == ["0|default|knp:shop/egress|deny|-1"])
    }

    @Test func namedPortAndMatchExpressions() throws {
        let a = try TestCluster.decide("""
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: named, namespace: shop}
        spec:
          podSelector: {matchExpressions: [{key: app, operator: In, values: [web, api]}]}
          ingress:
          - ports: [{port: http}]
        """, TestCluster.client, TestCluster.web, dstPort: 8080)
        #expect(a.ingress.strings == ["0|default|knp:shop/named|allow|0"])
    }

    @Test func emptyPortEntryAllowsEverything() throws {
        let c = try TestCluster.cluster("""
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: any, namespace: shop}
        spec:
          podSelector: {}
          ingress:
          - ports: [{port: 80}, {}]
        """)
        #expect(c.policies.first?.ingress.count == 1)
        #expect(c.policies.first?.ingress.first?.ipProtocol == nil)
    }
}
