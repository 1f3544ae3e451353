import FlowCore
import Testing
@testable import Policy

/// §1.4 flow-log identities and §1.3 host endpoints.
@Suite struct EndpointIdentityTests {
    private let sets = """
    apiVersion: projectcalico.org/v3
    kind: GlobalNetworkSet
    metadata: {name: wide-global}
    spec: {nets: [198.51.100.0/28]}
    ---
    apiVersion: projectcalico.org/v3
    kind: NetworkSet
    metadata: {name: shop-partners, namespace: shop}
    spec: {nets: [198.51.100.0/24]}
    ---
    apiVersion: projectcalico.org/v3
    kind: NetworkSet
    metadata: {name: other-partners, namespace: other}
    spec: {nets: [198.51.100.0/30]}
    ---
    apiVersion: projectcalico.org/v3
    kind: NetworkSet
    metadata: {name: b-other, namespace: other}
    spec: {nets: [203.0.113.0/24]}
    ---
    apiVersion: projectcalico.org/v3
    kind: NetworkSet
    metadata: {name: a-other, namespace: other}
    spec: {nets: [203.0.113.0/24]}
    """

    @Test func networkSetInTheOtherEndpointsNamespaceWins() throws {
        // From a shop pod: the shop set wins over a longer global and a longer other-namespace set.
        let fromShop = try TestCluster.decide(sets, TestCluster.client, "198.51.100.1")
        #expect(fromShop.destination == EndpointIdentity(kind: .networkSet, namespace: "shop", name: "shop-partners", aggregatedName: "shop-partners"))
        // From an other pod: the other-namespace set (longest in its own namespace).
        let fromOther = try TestCluster.decide(sets, TestCluster.db, "198.51.100.1")
        #expect(fromOther.destination.aggregatedName == "other-partners")
        // From outside any namespace (no endpoint on the other side): global beats other namespaces.
        let fromNowhere = try TestCluster.decide(sets, "8.8.8.8", "198.51.100.1")
        #expect(fromNowhere.destination.aggregatedName == "wide-global")
        #expect(fromNowhere.destination.namespace == "-")
        // Equal prefixes: the lowest-sorting key.
        let tie = try TestCluster.decide(sets, TestCluster.client, "203.0.113.5")
        #expect(tie.destination.aggregatedName == "a-other")
    }

    @Test func publicAndPrivateNetworks() throws {
        func aggregated(_ ip: String) throws -> String { try TestCluster.decide("", TestCluster.client, ip).destination.aggregatedName }
        #expect(try aggregated("10.20.30.40") == "pvt")
        #expect(try aggregated("172.31.0.1") == "pvt")
        #expect(try aggregated("192.168.1.1") == "pvt")
        #expect(try aggregated("172.32.0.1") == "pub")
        #expect(try aggregated("100.64.0.1") == "pub")   // CGNAT is pub (§6.4)
        #expect(try aggregated("127.0.0.1") == "pub")
        let v6 = try TestCluster.decide("", "fd00::10", "fd12::1")
        #expect(v6.destination.aggregatedName == "pub")  // every IPv6 address, ULA included
        #expect(v6.destination.kind == .network && v6.destination.namespace == "-" && v6.destination.name == "-")
    }

    @Test func outsideAddressesShareOneIdentityBoxPerKind() throws {
        // The store numbers identities by box first: a box per address made it compare values.
        func box(_ ip: String) throws -> ObjectIdentifier {
            try TestCluster.decide("", TestCluster.client, ip).destination.storageIdentity
        }
        #expect(try box("172.32.0.1") == box("100.64.0.1"))
        #expect(try box("10.20.30.40") == box("192.168.1.1"))
        #expect(try box("10.20.30.40") != box("172.32.0.1"))
    }

    @Test func podIdentityUsesGenerateName() throws {
        let a = try TestCluster.decide("", TestCluster.client, TestCluster.web)
        #expect(a.source.aggregatedName == "client-7d9f-*")
        #expect(a.destination.aggregatedName == "web-1")
        #expect(a.destination.labels == ["app": "web"])
        #expect(a.destination.serviceAccount == "web")
        #expect(a.destinationService == "shop/web")
    }

    private let hostEndpoint = """
    apiVersion: projectcalico.org/v3
    kind: HostEndpoint
    metadata: {name: node1-eth0, labels: {role: node}}
    spec: {node: node1, interfaceName: eth0, expectedIPs: [192.168.0.11], ports: [{name: ssh, port: 22, protocol: TCP}]}
    """

    @Test func hostEndpointWithoutPolicyOrProfileIsDefaultDeny() throws {
        let a = try TestCluster.decide(hostEndpoint, "203.0.113.9", "192.168.0.11", dstPort: 22)
        #expect(a.verdict == .deny)
        #expect(a.ingress.strings == ["0|__PROFILE__|pro:__NO_MATCH__|deny|0"])
        #expect(a.destination == EndpointIdentity(kind: .host, namespace: "-", name: "node1-eth0", aggregatedName: "node1", labels: ["role": "node"]))
        #expect(a.pendingIngress == nil)
    }

    @Test func hostEndpointDefaultAllowProfileAndGlobalPolicies() throws {
        let withProfile = hostEndpoint.replacingOccurrences(of: "interfaceName: eth0,", with: "interfaceName: eth0, profiles: [projectcalico-default-allow],")
        let a = try TestCluster.decide(withProfile, "203.0.113.9", "192.168.0.11", dstPort: 22)
        #expect(a.ingress.strings == ["0|__PROFILE__|pro:projectcalico-default-allow|allow|0"])

        // Only global policies select host endpoints; a namespaced all() does not.
        let policies = hostEndpoint + """

        ---
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: ns-all, namespace: shop}
        spec: {selector: all(), ingress: [{action: Allow}]}
        ---
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: ssh}
        spec: {selector: role == 'node', ingress: [{action: Allow, protocol: TCP, destination: {ports: [ssh]}}]}
        """
        let ssh = try TestCluster.decide(policies, "203.0.113.9", "192.168.0.11", dstPort: 22)
        #expect(ssh.ingress.strings == ["0|default|gnp:ssh|allow|0"])
        let other = try TestCluster.decide(policies, "203.0.113.9", "192.168.0.11", dstPort: 23)
        #expect(other.ingress.strings == ["0|default|gnp:ssh|deny|-1"])
    }

    @Test func neitherSideKnownIsUnknown() throws {
        let a = try TestCluster.decide("", "8.8.8.8", "1.1.1.1")
        #expect(a.verdict == .unknown)
        #expect(a.egress == nil && a.ingress == nil)
    }
}
