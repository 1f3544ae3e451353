import FlowCore
import Testing
@testable import Reports

/// The cases where Calico's definitions mislead, on `Fixtures/differences/cluster.yaml`; each
/// expectation is worked out by hand from the manifests (the comments say how).
@Suite struct DefinitionDifferenceTests {
    struct Expected {
        let pod: String
        let calico: (ingress: Bool, egress: Bool, fromInternet: Bool, toInternet: Bool, fromOther: Bool, toOther: Bool)
        let assessed: (ingress: Bool, egress: Bool, fromInternet: Bool, toInternet: Bool, fromOther: Bool, toOther: Bool)
    }

    static let expected: [Expected] = [
        // Allow-all: Calico sees types Ingress/Egress and calls it protected; a match-all Allow
        // is no default deny. Both readings see the exposure (no selector, no nets).
        Expected(pod: "alpha/open-all", calico: (true, true, true, true, true, true), assessed: (false, false, true, true, true, true)),
        // Pass-only: Calico protected, no Allow rule so no exposure; the Pass leaves the tier,
        // no later tier selects the pod, profile kns.alpha allows everything.
        Expected(pod: "alpha/pass-only", calico: (true, true, false, false, false, false), assessed: (false, false, true, true, true, true)),
        // Allow from 0.0.0.0/0 after a match-all Deny: Calico counts the exposure; it is unreachable.
        // Egress: no policy of that type, so the profile allows (both readings agree on "unprotected").
        Expected(pod: "alpha/after-deny", calico: (true, false, true, false, false, false), assessed: (true, false, false, true, false, true)),
        // 10.0.0.0/7: Calico sees 10.0.0.0 (RFC 1918) and says private; 11.0.0.0/8 is the internet,
        // and beta/client (10.2.0.1) is inside, another namespace.
        Expected(pod: "alpha/wide-net", calico: (true, false, false, false, false, false), assessed: (true, false, true, true, true, true)),
        // fd00::/8: Calico calls every IPv6 range public; it is unique-local. beta/client's fd00:2::1 is inside.
        Expected(pod: "alpha/ula-net", calico: (true, false, true, false, false, false), assessed: (true, false, false, true, true, true)),
        // A global policy's selector rule: Calico says other namespaces (global, no nets) and not the
        // internet (the set's 10.0.0.0/7 starts private); resolved, the set reaches 11/8 and no pod matches.
        Expected(pod: "alpha/legacy-db", calico: (true, false, false, false, true, false), assessed: (true, false, true, true, false, true)),
        // No policy at all: both readings say unprotected.
        Expected(pod: "beta/client", calico: (false, false, false, false, false, false), assessed: (false, false, true, true, true, true)),
    ]

    @Test(arguments: expected.indices)
    func podAsHandComputed(_ index: Int) throws {
        let want = Self.expected[index]
        let document = try ReportFixtures.document(try ReportFixtures.differencesCluster)
        let got = try #require(ReportFixtures.assessment(document, want.pod))
        let c = got.calico, a = got.assessed
        #expect(c.ingressProtected == want.calico.ingress && c.egressProtected == want.calico.egress, "\(want.pod) Calico protected")
        #expect(c.ingressFromInternet == want.calico.fromInternet && c.egressToInternet == want.calico.toInternet, "\(want.pod) Calico internet")
        #expect(c.ingressFromOtherNamespace == want.calico.fromOther && c.egressToOtherNamespace == want.calico.toOther, "\(want.pod) Calico other namespace")
        #expect(a.ingressDefaultDeny == want.assessed.ingress && a.egressDefaultDeny == want.assessed.egress, "\(want.pod) default deny")
        #expect(a.ingressFromInternet == want.assessed.fromInternet && a.egressToInternet == want.assessed.toInternet, "\(want.pod) internet")
        #expect(a.ingressFromOtherNamespace == want.assessed.fromOther && a.egressToOtherNamespace == want.assessed.toOther, "\(want.pod) other namespace")
    }

    @Test func hostEndpointWithoutProfilesDeniesByDefault() throws {
        let document = try ReportFixtures.document(try ReportFixtures.differencesCluster)
        let host = try #require(document.endpoints.first { $0.key.kind == .hostEndpoint })
        #expect(host.key.calicoName == "HostEndpoint(node-1-eth0)")
        // Calico: no applied policy, unprotected. With no policy and no profile, every packet is dropped.
        #expect(!host.calico.ingressProtected && !host.calico.egressProtected)
        #expect(host.assessed.ingressDefaultDeny && host.assessed.egressDefaultDeny)
        #expect(!host.assessed.ingressFromInternet && !host.assessed.egressToInternet)
    }

    @Test func findingsNameTheRuleOrProfile() throws {
        let document = try ReportFixtures.document(try ReportFixtures.differencesCluster)
        let open = try #require(ReportFixtures.assessment(document, "alpha/open-all"))
        #expect(open.findings.contains("ingress: rule 0 of NetworkPolicy(alpha/allow-everything) allows every packet"))
        let pass = try #require(ReportFixtures.assessment(document, "alpha/pass-only"))
        #expect(pass.findings.contains("egress: no tier denies by default; profile kns.alpha allows what the tiers pass"))
        let wide = try #require(ReportFixtures.assessment(document, "alpha/wide-net"))
        #expect(wide.findings.contains("ingress from the internet: rule 0 of NetworkPolicy(alpha/allow-wide-net)"))
    }

    @Test func configuredPrivateNetworksChangeTheHonestReadingOnly() throws {
        let cluster = try ReportFixtures.differencesCluster
        let wider = PrivateNetworks(prefixes: PrivateNetworks.standard.prefixes + [IPPrefix("11.0.0.0/8")!])
        let document = try ReportBuilder(privateNetworks: wider).build(
            ReportFixtures.spec(.networkAccess), states: ManifestStateSource(cluster: cluster, paths: []),
            start: ReportFixtures.start, end: ReportFixtures.end, generated: ReportFixtures.end)
        let wide = try #require(ReportFixtures.assessment(document, "alpha/wide-net"))
        #expect(!wide.assessed.ingressFromInternet)
        #expect(!wide.calico.ingressFromInternet)
    }
}
