import FlowCore
import Policy
import Testing
@testable import Reports

/// A history of states over the interval: in scope if matched at any moment, protected only if
/// protected at every moment, exposed if exposed at any moment (compliance §1.5).
@Suite struct IntervalStatesTests {
    /// Two states: the second adds a pod, relabels another out of scope, and drops a policy.
    struct TwoStates: PolicyStateSource {
        let first: Cluster
        let second: Cluster
        var provenance: StateProvenance { StateProvenance(kind: .history, sources: ["test history"]) }
        func states(from start: Timestamp, to end: Timestamp) throws -> [PolicyState] {
            [PolicyState(validFrom: start, cluster: first),
             PolicyState(validFrom: Timestamp(nanoseconds: start.nanoseconds + 1_800_000_000_000), cluster: second)]
        }
        func policyChanges(from start: Timestamp, to end: Timestamp) throws -> [PolicyChange]? {
            [PolicyChange(time: Timestamp(nanoseconds: start.nanoseconds + 1_800_000_000_000), verb: .delete,
                          kind: "NetworkPolicy", namespace: "alpha", name: "web-policy", author: "alice", document: "{}")]
        }
    }

    static let base = """
    apiVersion: v1
    kind: Namespace
    metadata: {name: alpha}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: web, namespace: alpha, labels: {app: web, tier: front}}
    status: {podIP: 10.1.0.1}
    """
    static let policy = """
    ---
    apiVersion: projectcalico.org/v3
    kind: NetworkPolicy
    metadata: {name: web-policy, namespace: alpha}
    spec:
      selector: app == 'web'
      types: [Ingress]
      ingress: [{action: Allow, protocol: TCP, source: {selector: app == 'web'}}]
    """
    static let newcomer = """
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: late, namespace: alpha, labels: {tier: front}}
    status: {podIP: 10.1.0.2}
    """

    @Test func scopeAndProtectionOverTheInterval() throws {
        let first = try ClusterLoader.load(text: Self.base + "\n" + Self.policy)
        let second = try ClusterLoader.load(text: Self.base + "\n" + Self.newcomer)
        let document = try ReportBuilder().build(
            ReportFixtures.spec(.networkAccess, EndpointSelection(selector: try Selector(parsing: "tier == 'front'"))),
            states: TwoStates(first: first, second: second), start: ReportFixtures.start, end: ReportFixtures.end,
            generated: ReportFixtures.end)
        #expect(document.statesAssessed == 2)
        #expect(document.provenance.kind == .history)
        // `late` exists only in the second state and is still in scope.
        #expect(document.endpoints.map(\.key.name) == ["late", "web"])
        let web = try #require(document.endpoints.last)
        // Protected in the first state only: not protected over the interval.
        #expect(!web.calico.ingressProtected)
        #expect(!web.assessed.ingressDefaultDeny)
        // Exposed to the internet in the second state (profile fall-through): exposed over the interval.
        #expect(web.assessed.ingressFromInternet)
        #expect(web.appliedPolicies == ["NetworkPolicy(alpha/web-policy)"])
        let json = ReportJSON.render(document)
        #expect(json.contains("\"kind\": \"history\""))
        #expect(json.contains("\"statesAssessed\": 2"))
    }

    @Test func policyAuditCountsChangesAndNeedsHistory() throws {
        let cluster = try ClusterLoader.load(text: Self.base)
        let document = try ReportBuilder().build(ReportFixtures.spec(.policyAudit), states: TwoStates(first: cluster, second: cluster),
                                                 start: ReportFixtures.start, end: ReportFixtures.end, generated: ReportFixtures.end)
        #expect(ReportSummary(document).policiesDeleted == 1)
        let files = ReportWriter.files(document)
        #expect(files.map(\.name) == ["summary.csv", "events.json", "events.yaml", "report.json", "report.html"])
        #expect(files[0].contents.hasSuffix(",,,,,0,0,1\n"))
        #expect(files[2].contents.contains("verb: delete"))
        let refused = #expect(throws: FlowlogError.self) {
            try ReportBuilder().build(ReportFixtures.spec(.policyAudit), states: ManifestStateSource(cluster: cluster, paths: []),
                                      start: ReportFixtures.start, end: ReportFixtures.end, generated: ReportFixtures.end)
        }
        #expect(refused?.message.contains("policy-audit reports need the policy version history (--audit DIR)") == true)
    }
}
