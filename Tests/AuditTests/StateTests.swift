import FlowCore
import Policy
import Testing
@testable import Audit

@Suite("State at an instant")
struct StateTests {
    static func keys(at time: String) throws -> [String] {
        let history = try AuditHistory.load(directory: AuditFixtures.ingestedStore().directory)
        return history.state(at: AuditFixtures.time(time)).orderedObjects.map(\.key.description)
    }

    @Test("hand-computed states before the pods, after the 07:30 change, and after the namespace delete")
    func states() throws {
        #expect(try Self.keys(at: "2026-11-23T06:59:00Z") == [])
        #expect(try Self.keys(at: "2026-11-23T07:03:30Z") == [
            "namespace/db", "namespace/shop", "globalnetworkpolicy.projectcalico.org/default.deny-all",
            "networkpolicy.projectcalico.org/shop/default.allow-web", "networkpolicy.networking.k8s.io/db/allow-shop",
            "serviceaccount/db/default", "serviceaccount/shop/default",
        ])
        #expect(try Self.keys(at: "2026-11-23T07:35:00Z") == [
            "namespace/db", "namespace/shop", "globalnetworkpolicy.projectcalico.org/default.deny-all",
            "networkpolicy.projectcalico.org/shop/default.allow-web", "networkpolicy.networking.k8s.io/db/allow-shop",
            "pod/db/postgres-0", "pod/shop/frontend-1", "serviceaccount/db/default", "serviceaccount/shop/default",
            "service/db/postgres",
        ])
        #expect(try Self.keys(at: "2026-11-23T08:30:00Z") == [
            "namespace/db", "globalnetworkpolicy.projectcalico.org/default.deny-all",
            "networkpolicy.networking.k8s.io/db/allow-shop", "pod/db/postgres-0", "serviceaccount/db/default", "service/db/postgres",
        ])
    }

    @Test("the state loads as a cluster, pod IPs included, and decides differently before and after the change")
    func cluster() throws {
        let history = try AuditHistory.load(directory: AuditFixtures.ingestedStore().directory)
        let request = ExplainRequest(source: "shop/frontend-1", destination: "198.51.100.7", ipProtocol: "tcp", destinationPort: 8443)
        let before = try history.state(at: AuditFixtures.time("2026-11-23T07:20:00Z")).cluster()
        let after = try history.state(at: AuditFixtures.time("2026-11-23T07:35:00Z")).cluster()
        #expect(before.pods.count == 2)
        #expect(before.pods.first { $0.name == "frontend-1" }?.addresses.map(\.description) == ["10.244.1.5"])
        #expect(PolicyEngine(cluster: before).explain(try request.flow(in: before)).annotation.verdict == .deny)
        #expect(PolicyEngine(cluster: after).explain(try request.flow(in: after)).annotation.verdict == .allow)
        let changes = history.verdictChanges(for: request, since: AuditFixtures.time("2026-11-23T07:20:00Z"))
        #expect(changes.first?.verdict == .allow)
        #expect(changes.first?.versions.map(\.key.description) == ["networkpolicy.projectcalico.org/shop/default.allow-web"])
    }

    @Test("the state's YAML reads back as the same objects")
    func yamlRoundTrip() throws {
        let history = try AuditHistory.load(directory: AuditFixtures.ingestedStore().directory)
        let state = history.state(at: AuditFixtures.time("2026-11-23T07:35:00Z"))
        let cluster = try ClusterLoader.load(text: state.yamlManifests())
        #expect(cluster.policies.count == 3)
        #expect(cluster.namespaces.keys.sorted() == ["db", "shop"])
        #expect(cluster.services.count == 1)
    }
}
