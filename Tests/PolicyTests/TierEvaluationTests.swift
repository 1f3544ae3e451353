import FlowCore
import Testing
@testable import Policy

/// §1.2–1.3 rules the conformance cases leave open.
@Suite struct TierEvaluationTests {
    private let securityTier = """
    apiVersion: projectcalico.org/v3
    kind: Tier
    metadata: {name: security}
    spec: {order: 100}
    """

    @Test func endOfTierIsAttributedToTheLastSelectingPolicyAndPendingToTheFirst() throws {
        let a = try TestCluster.decide(securityTier + """

        ---
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: first}
        spec: {tier: security, order: 1, selector: app == 'web', types: [Ingress], ingress: [{action: Log}]}
        ---
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: second}
        spec: {tier: security, order: 2, selector: app == 'web', types: [Ingress]}
        ---
        apiVersion: projectcalico.org/v3
        kind: StagedGlobalNetworkPolicy
        metadata: {name: later}
        spec: {tier: security, order: 3, selector: app == 'web', types: [Ingress], ingress: [{action: Log}]}
        """, TestCluster.client, TestCluster.web)
        #expect(a.verdict == .deny)
        #expect(a.ingress.strings == ["0|security|gnp:second|deny|-1"])
        #expect(a.pendingIngress.strings == ["0|security|gnp:first|deny|-1"])
    }

    @Test func passDefaultActionContinuesToTheNextTierWithAPassHit() throws {
        let a = try TestCluster.decide("""
        apiVersion: projectcalico.org/v3
        kind: Tier
        metadata: {name: platform}
        spec: {order: 10, defaultAction: Pass}
        ---
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: watch}
        spec: {tier: platform, selector: all(), types: [Ingress], ingress: [{action: Deny, protocol: UDP}]}
        """, TestCluster.client, TestCluster.web)
        #expect(a.verdict == .allow)
        #expect(a.ingress.strings == ["0|platform|gnp:watch|pass|-1", "1|__PROFILE__|pro:kns.shop|allow|0"])
    }

    @Test func logRuleAloneStillTriggersTheEndOfTierDeny() throws {
        // calico#3801: a policy with only a Log rule selects the pod, so the tier's end denies.
        let a = try TestCluster.decide("""
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: log-only, namespace: shop}
        spec: {selector: app == 'web', ingress: [{action: Log}]}
        """, TestCluster.client, TestCluster.web)
        #expect(a.ingress.strings == ["0|default|np:shop/log-only|deny|-1"])
    }

    @Test func egressDenyMeansIngressIsNotEvaluated() throws {
        let a = try TestCluster.decide("""
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: no-egress}
        spec: {selector: app == 'client', types: [Egress], egress: [{action: Deny}]}
        """, TestCluster.client, TestCluster.web)
        #expect(a.verdict == .deny)
        #expect(a.egress.strings == ["0|default|gnp:no-egress|deny|0"])
        #expect(a.ingress == nil)
    }

    @Test func typesDefaultFromRules() throws {
        let c = try TestCluster.cluster("""
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: none}
        spec: {selector: all()}
        ---
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: egress-only}
        spec: {selector: all(), egress: [{action: Allow}]}
        ---
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: both}
        spec: {selector: all(), ingress: [{action: Allow}], egress: [{action: Allow}]}
        """)
        let byName = Dictionary(uniqueKeysWithValues: c.policies.map { ($0.name, $0) })
        #expect(byName["none"]?.appliesToIngress == true && byName["none"]?.appliesToEgress == false)
        #expect(byName["egress-only"]?.appliesToIngress == false && byName["egress-only"]?.appliesToEgress == true)
        #expect(byName["both"]?.appliesToIngress == true && byName["both"]?.appliesToEgress == true)
    }

    @Test func tierOrderingRules() throws {
        let c = try TestCluster.cluster("""
        apiVersion: projectcalico.org/v3
        kind: Tier
        metadata: {name: b-unordered}
        ---
        apiVersion: projectcalico.org/v3
        kind: Tier
        metadata: {name: a-unordered}
        ---
        apiVersion: projectcalico.org/v3
        kind: Tier
        metadata: {name: zeta}
        spec: {order: 100}
        ---
        apiVersion: projectcalico.org/v3
        kind: Tier
        metadata: {name: alpha}
        spec: {order: 100}
        ---
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: orphan}
        spec: {tier: missing, selector: all()}
        """)
        #expect(c.tiers.map(\.name) == ["alpha", "zeta", "kube-admin", "default", "kube-baseline", "a-unordered", "b-unordered", "missing"])
        #expect(c.warnings.contains { $0.message.contains("missing") })
    }

    @Test func calicoPolicyWithoutOrderRunsAfterKubernetesPolicies() throws {
        let c = try TestCluster.cluster("""
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: a-unordered, namespace: shop}
        spec: {selector: all(), ingress: [{action: Deny}]}
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: z-knp, namespace: shop}
        spec: {podSelector: {}, ingress: [{}]}
        ---
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: early, namespace: shop}
        spec: {order: 999, selector: app == 'nothing', ingress: [{action: Deny}]}
        """)
        #expect(c.policies(inTier: "default").map(\.name) == ["early", "z-knp", "a-unordered"])
        let a = try TestCluster.decide("", TestCluster.client, TestCluster.web)
        #expect(a.ingress.strings == ["0|__PROFILE__|pro:kns.shop|allow|0"])
    }

    @Test func stagedDeleteAndReplacementShapeOnlyThePendingTrace() throws {
        let a = try TestCluster.decide("""
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: allow-web, namespace: shop}
        spec: {selector: app == 'web', ingress: [{action: Allow}]}
        ---
        apiVersion: projectcalico.org/v3
        kind: StagedNetworkPolicy
        metadata: {name: allow-web, namespace: shop}
        spec: {selector: app == 'web', stagedAction: Set, ingress: [{action: Allow, protocol: UDP}]}
        """, TestCluster.client, TestCluster.web)
        #expect(a.verdict == .allow)
        #expect(a.ingress.strings == ["0|default|np:shop/allow-web|allow|0"])
        // The staged version replaces the enforced one: TCP no longer matches → end of tier.
        #expect(a.pendingIngress.strings == ["0|default|snp:shop/allow-web|deny|-1"])

        let deleted = try TestCluster.decide("""
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: deny-web, namespace: shop}
        spec: {selector: app == 'web', ingress: [{action: Deny}]}
        ---
        apiVersion: projectcalico.org/v3
        kind: StagedNetworkPolicy
        metadata: {name: deny-web, namespace: shop}
        spec: {selector: app == 'web', stagedAction: Delete}
        """, TestCluster.client, TestCluster.web)
        #expect(deleted.verdict == .deny)
        #expect(deleted.pendingIngress.strings == ["0|__PROFILE__|pro:kns.shop|allow|0"])
    }

    /// Enforced egress denies, so ingress is never walked for enforcement; the staged egress
    /// would let the packet out, so the pending ingress is walked: the pending action is what
    /// the flow would get with the staged policies enforced, on both sides.
    @Test func pendingActionFollowsAStagedEgressAllowIntoIngress() throws {
        let cluster = """
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: lockdown, namespace: shop}
        spec: {selector: app == 'client', types: [Egress]}
        ---
        apiVersion: projectcalico.org/v3
        kind: StagedNetworkPolicy
        metadata: {name: lockdown, namespace: shop}
        spec: {selector: app == 'client', stagedAction: Set, types: [Egress], egress: [{action: Allow}]}
        """
        let a = try TestCluster.decide(cluster, TestCluster.client, TestCluster.web)
        #expect(a.verdict == .deny)
        #expect(a.ingress == nil)
        #expect(a.pendingEgress.strings == ["0|default|snp:shop/lockdown|allow|0"])
        #expect(a.pendingIngress.strings == ["0|__PROFILE__|pro:kns.shop|allow|0"])
        #expect(a.pendingVerdict == .allow)

        let stillDenied = try TestCluster.decide(cluster + """

        ---
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: web-closed, namespace: shop}
        spec: {selector: app == 'web', types: [Ingress]}
        """, TestCluster.client, TestCluster.web)
        #expect(stillDenied.pendingIngress.strings == ["0|default|np:shop/web-closed|deny|-1"])
        #expect(stillDenied.pendingVerdict == .deny)
    }

    @Test func noStagedPoliciesMeansNoPendingTrace() throws {
        let a = try TestCluster.decide("", TestCluster.client, TestCluster.web)
        #expect(a.pendingEgress == nil && a.pendingIngress == nil)
    }
}
