import ConfigAudit
import FlowCore
import Foundation
import Policy
import Testing

/// Each pack rendered for two namespaces, loaded as `flowlog policy check` loads it, its
/// semantics checked with the policy engine as `flowlog policy explain` decides connections,
/// and `pack check` on clusters where it holds and where it does not.
@Suite struct CompliancePackTests {
    static let packs: [String: CompliancePack] = (try? CompliancePackLibrary.load()) ?? [:]
    static let scope = ["payments", "cards"]

    /// A directory with the base cluster, the rendered pack and `extra` manifests.
    static func cluster(pack: String, extra: String = "", base: String? = nil) throws -> String {
        let dir = NSTemporaryDirectory() + "flowlog-pack-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try (base ?? FixtureFiles.text("packs/cluster.yaml")).write(toFile: dir + "/cluster.yaml", atomically: true, encoding: .utf8)
        try PackRenderer.render(try #require(packs[pack]), namespaces: scope).write(toFile: dir + "/pack.yaml", atomically: true, encoding: .utf8)
        if !extra.isEmpty { try extra.write(toFile: dir + "/extra.yaml", atomically: true, encoding: .utf8) }
        return dir
    }

    static func explain(_ cluster: Cluster, _ src: String, _ dst: String, _ proto: String, _ port: UInt16) throws -> FlowAnnotation {
        let flow = try ExplainRequest(source: src, destination: dst, ipProtocol: proto, sourcePort: 40000, destinationPort: port).flow(in: cluster)
        return PolicyEngine(cluster: cluster).explain(flow).annotation
    }

    @Test func theFourPacksShipWithTheirControlMaps() throws {
        #expect(Self.packs.keys.sorted() == ["cis", "hipaa", "pci-dss", "soc2"])
        let ids = Self.packs.mapValues { $0.controls.map(\.id) }
        #expect(ids["pci-dss"].map { Set(["1.3.1", "1.3.2", "1.4.1", "10.2.1"]).isSubset(of: $0) } == true)
        #expect(ids["hipaa"] == ["164.312(a)(1)", "164.312(b)", "164.312(e)(1)"])
        #expect(ids["soc2"] == ["CC6.1", "CC6.6", "CC7.2"])
        #expect(ids["cis"]?.allSatisfy { $0.hasPrefix("5.") } == true)
        for pack in Self.packs.values {
            #expect(!pack.controls.isEmpty && !pack.expectations.isEmpty && !pack.policyNames.isEmpty)
            #expect(pack.controls.allSatisfy { !$0.checks.isEmpty })
        }
    }

    @Test(arguments: ["pci-dss", "hipaa", "soc2", "cis"])
    func renderedForTwoNamespacesItLoadsCleanly(pack name: String) throws {
        let dir = try Self.cluster(pack: name)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (cluster, errors) = ClusterLoader.inspect(paths: [dir])
        #expect(errors.isEmpty, "\(errors)")
        let pack = try #require(Self.packs[name])
        #expect(cluster.tierDefinitions[pack.tier.name]?.exists == true)
        for policy in pack.policyNames { #expect(cluster.policies.contains { $0.name == policy }, "\(policy)") }
        let text = try PackRenderer.render(pack, namespaces: Self.scope)
        #expect(text.contains("flowlog.io/pack-scope: cards,payments"))
        #expect(text.contains("projectcalico.org/name in {'cards', 'payments'}"))
        #expect(text.components(separatedBy: "kind: GlobalReport").count - 1 == pack.reports.count)
    }

    @Test func pciSemanticsHoldAsPolicyExplainDecidesThem() throws {
        let dir = try Self.cluster(pack: "pci-dss")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cluster = try ClusterLoader.load(paths: [dir])
        // A non-CDE pod to a CDE pod: denied by the pack's tier.
        let fromShop = try Self.explain(cluster, "shop/web-0", "payments/api-0", "tcp", 443)
        #expect(fromShop.verdict == .deny)
        #expect(fromShop.ingress?.hits.first.map { $0.tier == "pci-dss" && $0.action == .deny } == true)
        // The CDE to kube-dns:53, UDP and TCP: allowed.
        #expect(try Self.explain(cluster, "payments/api-0", "kube-system/coredns-0", "udp", 53).verdict == .allow)
        #expect(try Self.explain(cluster, "cards/vault-0", "kube-system/coredns-0", "tcp", 53).verdict == .allow)
        // The CDE to kube-dns on another port, and to an internet address: denied in the pack's tier.
        #expect(try Self.explain(cluster, "payments/api-0", "kube-system/coredns-0", "tcp", 80).verdict == .deny)
        let toInternet = try Self.explain(cluster, "payments/api-0", "198.51.100.7", "tcp", 443)
        #expect(toInternet.verdict == .deny && toInternet.egress?.hits.first?.tier == "pci-dss")
        // Across CDE namespaces, and from a connected namespace: allowed.
        #expect(try Self.explain(cluster, "cards/vault-0", "payments/api-0", "tcp", 8443).verdict == .allow)
        #expect(try Self.explain(cluster, "fraud/scorer-0", "payments/api-0", "tcp", 8443).verdict == .allow)
        // The internet to the CDE: denied; outside the CDE nothing changes.
        #expect(try Self.explain(cluster, "198.51.100.7", "cards/vault-0", "tcp", 443).verdict == .deny)
        #expect(try Self.explain(cluster, "shop/web-0", "198.51.100.7", "tcp", 443).verdict == .allow)

        // Nets added to pci-allowed-egress open egress to them, and only to them.
        let allowed = """
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkSet
            metadata: {name: pci-allowed-egress, labels: {flowlog.io/network-set: pci-allowed-egress}}
            spec: {nets: [203.0.113.0/24]}
            """
        let withNets = try ClusterLoader.load(text: (try String(contentsOfFile: dir + "/cluster.yaml", encoding: .utf8))
            + "\n---\n" + (try String(contentsOfFile: dir + "/pack.yaml", encoding: .utf8)).replacingOccurrences(of: "  nets: []", with: "  nets: [203.0.113.0/24]"))
        #expect(!allowed.isEmpty)
        #expect(try Self.explain(withNets, "payments/api-0", "203.0.113.9", "tcp", 443).verdict == .allow)
        #expect(try Self.explain(withNets, "payments/api-0", "198.51.100.7", "tcp", 443).verdict == .deny)
    }

    @Test func hipaaSoc2AndCisSemanticsHold() throws {
        let hipaa = try ClusterLoader.load(paths: [try Self.cluster(pack: "hipaa")])
        #expect(try Self.explain(hipaa, "shop/web-0", "payments/api-0", "tcp", 5432).verdict == .deny)
        #expect(try Self.explain(hipaa, "payments/api-0", "kube-system/coredns-0", "udp", 53).verdict == .allow)
        #expect(try Self.explain(hipaa, "payments/api-0", "198.51.100.7", "tcp", 443).verdict == .deny)

        let soc2 = try ClusterLoader.load(paths: [try Self.cluster(pack: "soc2")])
        #expect(try Self.explain(soc2, "shop/web-0", "payments/api-0", "tcp", 8080).verdict == .allow)
        #expect(try Self.explain(soc2, "198.51.100.7", "payments/api-0", "tcp", 443).verdict == .deny)
        #expect(try Self.explain(soc2, "payments/api-0", "198.51.100.7", "tcp", 443).verdict == .deny)
        #expect(try Self.explain(soc2, "payments/api-0", "shop/web-0", "tcp", 8080).verdict == .allow)

        let cis = try ClusterLoader.load(paths: [try Self.cluster(pack: "cis")])
        #expect(try Self.explain(cis, "shop/web-0", "payments/api-0", "tcp", 8080).verdict == .deny)
        #expect(try Self.explain(cis, "payments/api-0", "kube-system/coredns-0", "udp", 53).verdict == .allow)
        #expect(try Self.explain(cis, "payments/api-0", "198.51.100.7", "tcp", 443).verdict == .deny)
        // Outside the scope the cis pack changes nothing.
        #expect(try Self.explain(cis, "shop/web-0", "198.51.100.7", "tcp", 443).verdict == .allow)
    }

    @Test(arguments: ["pci-dss", "hipaa", "soc2"])
    func checkPassesEveryRequirementWhereThePackHolds(pack name: String) throws {
        let dir = try Self.cluster(pack: name)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let report = try PackChecker.check(try #require(Self.packs[name]), clusterPaths: [dir])
        #expect(report.scope == ["cards", "payments"])
        for r in report.requirements {
            #expect(r.status != .fail, "\(r.id): \(r.evidence.filter { $0.status == .fail })")
            // Flow checks need a store.
            for e in r.evidence where e.check.hasPrefix("flows ") { #expect(e.status == .notEvaluated) }
        }
        #expect(report.passed)
    }

    @Test func theCisPackMakesItsNamespacesPass532() throws {
        let dir = try Self.cluster(pack: "cis")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let report = try PackChecker.check(try #require(Self.packs["cis"]), clusterPaths: [dir])
        let r532 = try #require(report.requirements.first { $0.id == "5.3.2" })
        #expect(r532.status == .pass, "\(r532.evidence)")
        // The workloads mount service-account tokens: 5.1.6 fails, with them as evidence.
        let r516 = try #require(report.requirements.first { $0.id == "5.1.6" })
        #expect(r516.status == .fail)
        #expect(r516.evidence[0].details.contains { $0.hasPrefix("Pod payments/api-0") })
        #expect(!r516.evidence[0].details.contains { $0.contains("shop/") })
    }

    @Test func checkFailsWhereThePackDoesNotHold() throws {
        // The CDE namespaces do not enforce restricted: 2.2.1 fails and says why.
        let base = try FixtureFiles.text("packs/cluster.yaml").replacingOccurrences(of: "pod-security.kubernetes.io/enforce: restricted", with: "pod-security.kubernetes.io/enforce: baseline")
        let unlabelled = try Self.cluster(pack: "pci-dss", base: base)
        let pss = try PackChecker.check(try #require(Self.packs["pci-dss"]), clusterPaths: [unlabelled])
        let r221 = try #require(pss.requirements.first { $0.id == "2.2.1" })
        #expect(r221.status == .fail && r221.evidence[0].details.contains("Namespace cards enforces baseline:latest; restricted is required"))

        // A team tier before the pack's allows the internet in: the pack's tier no longer decides.
        let bypass = """
            apiVersion: projectcalico.org/v3
            kind: Tier
            metadata: {name: early}
            spec: {order: 50}
            ---
            apiVersion: projectcalico.org/v3
            kind: GlobalNetworkPolicy
            metadata: {name: early.open}
            spec: {tier: early, selector: all(), types: [Ingress], ingress: [{action: Allow}]}
            """
        let bypassed = try Self.cluster(pack: "pci-dss", extra: bypass)
        let report = try PackChecker.check(try #require(Self.packs["pci-dss"]), clusterPaths: [bypassed])
        let r131 = try #require(report.requirements.first { $0.id == "1.3.1" })
        #expect(r131.status == .fail)
        let outside = try #require(r131.evidence.first { $0.check == "expectation outside-to-cde" })
        #expect(outside.status == .fail && outside.details.allSatisfy { $0.contains("verdict allow") && $0.contains("not decided in tier pci-dss") })
        #expect(!report.passed)

        // Without the rendered pack every requirement fails, saying so.
        let bare = NSTemporaryDirectory() + "flowlog-pack-bare-\(UUID().uuidString).yaml"
        try FixtureFiles.text("packs/cluster.yaml").write(toFile: bare, atomically: true, encoding: .utf8)
        let none = try PackChecker.check(try #require(Self.packs["pci-dss"]), clusterPaths: [bare])
        #expect(none.scope.isEmpty && none.requirements.allSatisfy { $0.status == .fail })
        #expect(none.requirements[0].evidence[0].details[0].contains("not rendered"))
    }

    @Test func badPacksAreRefusedWithPositions() throws {
        let file = NSTemporaryDirectory() + "flowlog-badpack-\(UUID().uuidString).yaml"
        try """
            apiVersion: flowlog.io/v1
            kind: CompliancePack
            metadata: {name: broken}
            spec:
              tier: {name: t}
              podSecurity: {level: strict}
              endpoints:
                internet: {address: not-an-ip}
              expectations:
              - {id: a, from: nowhere, to: scope, port: 80, pack: pass}
              - {id: b, from: scope, to: internet, pack: deny}
              controls:
              - id: X
                checks: [{policy: missing}, {frobnicate: 1}]
            """.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        #expect {
            _ = try CompliancePack.load(path: file)
        } throws: { error in
            let errors = (error as? ManifestError)?.errors ?? []
            let messages = errors.map(\.message).joined(separator: "\n")
            return errors.count == 6 && errors.allSatisfy { $0.location?.line != nil && $0.location?.file == file }
                && messages.contains("level must be") && messages.contains("not an IP address") && messages.contains("unknown endpoint 'nowhere'")
                && messages.contains("missing port") && messages.contains("policy 'missing' is not defined") && messages.contains("unknown check 'frobnicate'")
        }
        #expect(throws: FlowlogError.self) { try PackRenderer.render(Self.packs["pci-dss"]!, namespaces: ["Bad_NS"]) }
    }

    /// A fuzzer found a pack whose network set had lost its `name:` key: it loaded, and rendered
    /// a GlobalNetworkSet without metadata.name that `--cluster` then refused.
    @Test func namelessNetworkSetsAndReportsAreRefusedWhereTheyAreWritten() throws {
        let text = """
            apiVersion: flowlog.io/v1
            kind: CompliancePack
            metadata: {name: p}
            spec:
              tier: {name: t}
              networkSets:
              - {na*e: allowed, nets: [10.0.0.0/8]}
              reports:
              - {reportType: inventory, schedule: "@daily"}
            """
        #expect {
            _ = try CompliancePack.load(text: text, name: "p.yaml")
        } throws: { error in
            let errors = (error as? ManifestError)?.errors ?? []
            return errors.map(\.message).sorted() == ["a network set needs a name", "a report needs a name"]
                && errors.compactMap { $0.location?.line }.sorted() == [7, 9]
        }
    }
}
