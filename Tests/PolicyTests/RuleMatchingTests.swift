import FlowCore
import Testing
@testable import Policy

/// §3 and §2.6 rule semantics the conformance cases leave open.
@Suite struct RuleMatchingTests {
    private func ingressToWeb(_ rule: String, _ proto: String = "tcp", from src: String = TestCluster.client,
                              srcPort: UInt16 = 40000, dstPort: UInt16 = 80, icmpType: UInt8 = 0, icmpCode: UInt8 = 0) throws -> FlowAnnotation {
        try TestCluster.decide("""
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: p}
        spec:
          selector: app == 'web'
          types: [Ingress]
          ingress:
          - \(rule)
        """, src, TestCluster.web, proto, srcPort: srcPort, dstPort: dstPort, icmpType: icmpType, icmpCode: icmpCode)
    }

    @Test func namedPortOnUDPNeedsProtocolAndNumber() throws {
        let rule = "{action: Allow, protocol: UDP, destination: {ports: [dns]}}"
        #expect(try ingressToWeb(rule, "udp", dstPort: 53).verdict == .allow)
        #expect(try ingressToWeb(rule, "udp", dstPort: 54).verdict == .deny)
        // http is declared for TCP only: a UDP flow to 8080 does not match the named port.
        let http = "{action: Allow, protocol: UDP, destination: {ports: [http]}}"
        #expect(try ingressToWeb(http, "udp", dstPort: 8080).verdict == .deny)
    }

    @Test func portRangesAndNotPorts() throws {
        let rule = "{action: Allow, protocol: TCP, destination: {ports: ['1:1024'], notPorts: [22]}}"
        #expect(try ingressToWeb(rule, dstPort: 1024).verdict == .allow)
        #expect(try ingressToWeb(rule, dstPort: 22).verdict == .deny)
        #expect(try ingressToWeb(rule, dstPort: 1025).verdict == .deny)
        let source = "{action: Allow, protocol: TCP, source: {ports: ['40000:40010']}}"
        #expect(try ingressToWeb(source, srcPort: 40005).verdict == .allow)
        #expect(try ingressToWeb(source, srcPort: 39999).verdict == .deny)
    }

    @Test func serviceAccountsByNameAndSelector() throws {
        let byName = "{action: Allow, source: {serviceAccounts: {names: [db]}}}"
        #expect(try ingressToWeb(byName, from: TestCluster.db).verdict == .allow)
        #expect(try ingressToWeb(byName, from: TestCluster.client).verdict == .deny)
        let bySelector = "{action: Allow, source: {serviceAccounts: {selector: role == 'db'}}}"
        #expect(try ingressToWeb(bySelector, from: TestCluster.db).verdict == .allow)
        #expect(try ingressToWeb(bySelector, from: TestCluster.client).verdict == .deny)
        // A pod without serviceAccountName is "default".
        let byDefault = "{action: Allow, source: {serviceAccounts: {names: [default]}}}"
        #expect(try ingressToWeb(byDefault, from: TestCluster.client).verdict == .allow)
    }

    @Test func icmpTypeAndCode() throws {
        let rule = "{action: Allow, protocol: ICMP, icmp: {type: 8, code: 0}}"
        #expect(try ingressToWeb(rule, "icmp", icmpType: 8, icmpCode: 0).verdict == .allow)
        #expect(try ingressToWeb(rule, "icmp", icmpType: 8, icmpCode: 1).verdict == .deny)
        #expect(try ingressToWeb(rule, "icmp", icmpType: 0).verdict == .deny)
        let notICMP = "{action: Allow, protocol: ICMP, notICMP: {type: 8}}"
        #expect(try ingressToWeb(notICMP, "icmp", icmpType: 8, icmpCode: 3).verdict == .deny)
        #expect(try ingressToWeb(notICMP, "icmp", icmpType: 3, icmpCode: 3).verdict == .allow)
    }

    @Test func ipVersionAndIPv6Nets() throws {
        let v6 = "{action: Allow, ipVersion: 6}"
        // A pod named as ns/pod takes its address of the other side's IP version.
        #expect(try ingressToWeb(v6, from: "fd00::10").verdict == .allow)
        let a = try TestCluster.decide("""
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: p}
        spec: {selector: app == 'web', types: [Ingress], ingress: [{action: Allow, ipVersion: 6, source: {nets: ['fd00::/64']}}]}
        """, "fd00::10", "fd00::20")
        #expect(a.verdict == .allow)
        #expect(a.source.kind == .workload && a.source.name == "client-7d9f-abcde")
        let v4 = try TestCluster.decide("""
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: p}
        spec: {selector: app == 'web', types: [Ingress], ingress: [{action: Allow, ipVersion: 6}]}
        """, TestCluster.client, TestCluster.web)
        #expect(v4.verdict == .deny)
    }

    @Test func netsAndNotNets() throws {
        let rule = "{action: Allow, source: {nets: [10.0.0.0/16], notNets: [10.0.2.0/24]}}"
        #expect(try ingressToWeb(rule, from: TestCluster.client).verdict == .allow)
        #expect(try ingressToWeb(rule, from: TestCluster.db).verdict == .deny)
        #expect(try ingressToWeb(rule, from: "10.0.9.9").verdict == .allow)
    }

    @Test func notProtocol() throws {
        let rule = "{action: Allow, notProtocol: UDP}"
        #expect(try ingressToWeb(rule, "tcp").verdict == .allow)
        #expect(try ingressToWeb(rule, "udp").verdict == .deny)
    }

    @Test func namespacedNotSelectorNeverMatchesExternalAddresses() throws {
        // S29: in a namespaced policy a notSelector-only rule still means "pods of this namespace".
        let policy = """
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: p, namespace: shop}
        spec: {selector: app == 'web', types: [Ingress], ingress: [{action: Allow, source: {notSelector: app == 'db'}}]}
        """
        #expect(try TestCluster.decide(policy, "203.0.113.9", TestCluster.web).verdict == .deny)
        #expect(try TestCluster.decide(policy, TestCluster.client, TestCluster.web).verdict == .allow)
        #expect(try TestCluster.decide(policy, TestCluster.db, TestCluster.web).verdict == .deny)
    }

    @Test func positiveSelectorNegationOnlyMatchesKnownEndpoints() throws {
        let rule = "{action: Allow, source: {selector: \"!has(nothing)\"}}"
        #expect(try ingressToWeb(rule, from: "203.0.113.9").verdict == .deny)
        #expect(try ingressToWeb(rule, from: TestCluster.db).verdict == .allow)
    }

    @Test func ruleNamespaceSelectorGlobalMeansNonNamespaced() throws {
        let policy = """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkSet
        metadata: {name: partners, labels: {kind: partner}}
        spec: {nets: [198.51.100.0/24]}
        ---
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: p}
        spec: {selector: app == 'web', types: [Ingress], ingress: [{action: Allow, source: {namespaceSelector: global()}}]}
        """
        #expect(try TestCluster.decide(policy, "198.51.100.7", TestCluster.web).verdict == .allow)
        #expect(try TestCluster.decide(policy, TestCluster.client, TestCluster.web).verdict == .deny)
        #expect(try TestCluster.decide(policy, "203.0.113.9", TestCluster.web).verdict == .deny)
    }

    @Test func servicesRuleMatchesClusterIPAndBackingPods() throws {
        let policy = """
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: p, namespace: shop}
        spec: {selector: app == 'client', types: [Egress], egress: [{action: Allow, destination: {services: {name: web}}}]}
        """
        #expect(try TestCluster.decide(policy, TestCluster.client, TestCluster.web).verdict == .allow)
        let viaClusterIP = try TestCluster.decide(policy, TestCluster.client, "10.96.0.20")
        #expect(viaClusterIP.verdict == .allow)
        #expect(viaClusterIP.destinationService == "shop/web")
        #expect(try TestCluster.decide(policy, TestCluster.client, TestCluster.db).verdict == .deny)
    }

    @Test func gnpNamespaceSelectorExcludesHostEndpoints() throws {
        let c = try TestCluster.cluster("""
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: p}
        spec: {namespaceSelector: env == 'prod'}
        """)
        let p = try #require(c.policies.first)
        #expect(p.selector.canonical == "(has(projectcalico.org/namespace) && pcns.env == \"prod\")")
    }
}
