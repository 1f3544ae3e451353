import FlowCore
import Testing
@testable import Policy

/// Loading `Profile` resources beside the profiles Calico derives itself.
@Suite struct ProfileLoadingTests {
    private let hostEndpoint = """
    apiVersion: projectcalico.org/v3
    kind: HostEndpoint
    metadata: {name: node-1-eth0}
    spec: {node: node-1, expectedIPs: [10.0.9.1], profiles: [ops, missing, kns.shop, ksa.shop.default, projectcalico-default-allow]}
    """

    @Test func derivedProfilesRestatedByCalicoctlAreNotRead() throws {
        let c = try TestCluster.cluster("""
        apiVersion: projectcalico.org/v3
        kind: Profile
        metadata: {name: kns.shop}
        spec: {ingress: [{action: Deny}], egress: [{action: Deny}]}
        ---
        apiVersion: projectcalico.org/v3
        kind: Profile
        metadata: {name: projectcalico-default-allow}
        spec: {ingress: [{action: Deny}]}
        ---
        apiVersion: projectcalico.org/v3
        kind: Profile
        metadata: {name: ops}
        spec: {labelsToApply: {role: ops}, ingress: [{action: Allow, protocol: TCP, destination: {ports: [22]}}]}
        """)
        #expect(c.profiles.keys.sorted() == ["ops"])
        #expect(c.profiles["ops"]?.labelsToApply == ["role": "ops"])
        #expect(c.profiles["ops"]?.ingress.count == 1)
        // kns.shop still allows pods of shop: the restated Deny copy was not used.
        let a = try TestCluster.decide("", TestCluster.client, TestCluster.web)
        #expect(a.verdict == .allow)
    }

    @Test func anUndefinedProfileIsAWarningNamingTheHostEndpoint() throws {
        let c = try TestCluster.cluster(hostEndpoint + """

        ---
        apiVersion: projectcalico.org/v3
        kind: Profile
        metadata: {name: ops}
        spec: {}
        """)
        let warnings = c.warnings.filter { $0.location?.field == "spec.profiles" }
        #expect(warnings.count == 1)
        #expect(warnings.first?.message.contains("profile 'missing' is not defined") == true)
    }

    @Test func aProfileDefinedTwiceIsAnError() {
        #expect(throws: ClusterLoadError.self) {
            try TestCluster.cluster("""
            apiVersion: projectcalico.org/v3
            kind: Profile
            metadata: {name: ops}
            ---
            apiVersion: projectcalico.org/v3
            kind: Profile
            metadata: {name: ops}
            """)
        }
    }

    @Test func profileRuleErrorsNameTheField() {
        do {
            _ = try TestCluster.cluster("""
            apiVersion: projectcalico.org/v3
            kind: Profile
            metadata: {name: ops}
            spec: {ingress: [{action: Reject}]}
            """)
            Issue.record("expected an error")
        } catch let e as ClusterLoadError {
            #expect(e.errors.first?.location?.field == "spec.ingress[0].action")
        } catch { Issue.record("unexpected \(error)") }
    }

    @Test func profileRulesShareTheClassCacheWithPolicies() throws {
        // A profile's nets must split match classes exactly like a policy's would.
        let c = try TestCluster.cluster("""
        apiVersion: projectcalico.org/v3
        kind: Profile
        metadata: {name: ops}
        spec: {ingress: [{action: Allow, source: {nets: [10.0.1.10/32]}}]}
        ---
        apiVersion: projectcalico.org/v3
        kind: HostEndpoint
        metadata: {name: node-1-eth0}
        spec: {node: node-1, expectedIPs: [10.0.9.1], profiles: [ops]}
        """)
        let cached = PolicyEngine(cluster: c)
        let fresh = PolicyEngine(cluster: c, options: PolicyOptions(cachesDecisions: false))
        for source in ["10.0.1.10", "10.0.1.20", "10.0.2.30", "192.168.1.1"] {
            let flow = try ExplainRequest(source: source, destination: "10.0.9.1", ipProtocol: "tcp", destinationPort: 22).flow(in: c)
            #expect(cached.annotate(flow) == fresh.annotate(flow), "\(source)")
        }
        let allowed = try ExplainRequest(source: "10.0.1.10", destination: "10.0.9.1", ipProtocol: "tcp", destinationPort: 22).flow(in: c)
        #expect(cached.annotate(allowed).ingress.strings == ["0|__PROFILE__|pro:ops|allow|0"])
        let denied = try ExplainRequest(source: "10.0.1.20", destination: "10.0.9.1", ipProtocol: "tcp", destinationPort: 22).flow(in: c)
        #expect(cached.annotate(denied).ingress.strings == ["0|__PROFILE__|pro:__NO_MATCH__|deny|0"])
    }
}
