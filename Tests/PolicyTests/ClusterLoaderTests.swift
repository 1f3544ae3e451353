import FlowCore
import Foundation
import Testing
@testable import Policy

@Suite struct ClusterLoaderTests {
    private func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("policy-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func loadsJSONListsAndDirectories() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try """
        {"apiVersion": "v1", "kind": "List", "items": [
          {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}},
          {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a", "namespace": "shop"},
           "status": {"podIP": "10.0.0.1"}}
        ]}
        """.write(to: dir.appendingPathComponent("list.json"), atomically: true, encoding: .utf8)
        try """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: d}
        ---
        apiVersion: v1
        kind: PodList
        items:
        - apiVersion: v1
          kind: Pod
          metadata: {name: b, namespace: shop}
          spec: {hostNetwork: true}
          status: {podIP: 192.168.0.1}
        """.write(to: dir.appendingPathComponent("sub/more.yml"), atomically: true, encoding: .utf8)
        try "not a manifest".write(to: dir.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)

        let c = try ClusterLoader.load(paths: [dir.path])
        #expect(c.files.count == 2)
        #expect(c.namespaces["shop"]?.labels["kubernetes.io/metadata.name"] == "shop")
        #expect(c.pods.map(\.name) == ["a"])
        #expect(c.skippedPods == 1)
        #expect(c.skippedKinds == ["apps/v1/Deployment": 1])
        #expect(c.tiers.map(\.name) == ["kube-admin", "default", "kube-baseline"])
    }

    @Test func everyErrorNamesFileLineResourceAndField() throws {
        let text = """
        apiVersion: v1
        kind: Namespace
        metadata: {name: shop}
        ---
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: bad, namespace: shop}
        spec:
          selector: app = 'web'
          ingress:
          - action: Allow
            source: {nets: [10.0.0.0/40]}
        ---
        apiVersion: projectcalico.org/v3
        kind: Tier
        metadata: {name: t}
        spec: {defaultAction: Allow}
        """
        do {
            _ = try ClusterLoader.load(text: text, name: "cluster.yaml")
            Issue.record("expected errors")
        } catch let e as ClusterLoadError {
            #expect(e.errors.count == 3)
            let selector = try #require(e.errors.first { $0.location?.field == "spec.selector" })
            #expect(selector.location?.file == "cluster.yaml")
            #expect(selector.location?.line == 9)
            #expect(selector.message.contains("NetworkPolicy shop/bad"))
            #expect(selector.message.contains("column 5"))
            let nets = try #require(e.errors.first { $0.location?.field == "spec.ingress[0].source.nets[0]" })
            #expect(nets.location?.line == 12)
            let tier = try #require(e.errors.first { $0.location?.field == "spec.defaultAction" })
            #expect(tier.message.contains("Tier t"))
        }
    }

    @Test func yamlSyntaxErrorKeepsEarlierDocumentsAndReportsTheLine() {
        let (cluster, errors) = {
            let d = LoadDiagnostics()
            var b = ClusterBuilder(diagnostics: d)
            ClusterLoader.load(text: "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\nkind: [\n", file: "x.yaml", into: &b)
            return (b.cluster, d.errors)
        }()
        #expect(cluster.namespaces["a"] != nil)
        #expect(errors.count == 1)
        #expect(errors.first?.code == .parse)
        #expect(errors.first?.location?.line != nil)
    }

    @Test func missingPathsAreErrors() {
        let (_, errors) = ClusterLoader.inspect(paths: ["/nonexistent/cluster.yaml"])
        #expect(errors.first?.code == .fileNotFound)
    }

    @Test func conformanceClusterLoadsWithoutWarnings() throws {
        let file = FixtureFiles.conformance.appendingPathComponent("tiers/S06-pass-then-default-tier/cluster.yaml")
        let c = try ClusterLoader.load(paths: [file.path])
        #expect(c.pods.count == 4)
        #expect(c.warnings.isEmpty)
        #expect(ClusterSummary(c).text.contains("tiers (evaluation order):"))
    }

    @Test func calicoValidationLimits() {
        let text = """
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: g}
        spec:
          selector: global()
          ingress:
          - {action: Allow, source: {nets: [10.0.0.0/8]}, destination: {nets: ["fd00::/8"]}}
          - {action: Allow, ipVersion: 6, source: {nets: [10.0.0.0/8]}}
          - {action: Allow, source: {namespaceSelector: global()}}
          - {action: Allow, protocol: ICMP, icmp: {code: 3}}
        """
        do {
            _ = try ClusterLoader.load(text: text)
            Issue.record("expected errors")
        } catch let e as ClusterLoadError {
            let fields = e.errors.compactMap(\.location?.field)
            #expect(fields.contains("spec.selector"))
            #expect(fields.contains("spec.ingress[0]"))
            #expect(fields.contains("spec.ingress[1]"))
            #expect(fields.contains("spec.ingress[3].icmp"))
            #expect(!fields.contains { $0.hasPrefix("spec.ingress[2]") })
        } catch { Issue.record("wrong error \(error)") }
    }
}
