import Foundation
import Testing
import Yams
import FlowCore
@testable import samplegen

/// The allowed paths the traffic is drawn from are exactly those the written policies grant:
/// read back from the YAML, independent of how the generator built them.
@Suite("samplegen policies match the traffic model")
struct ManifestGrantTests {
    /// Who may reach which app on which port, as read from the manifests.
    struct Grant: Hashable {
        var clientNamespace: String
        var clientApp: String
        var serverNamespace: String
        var serverApp: String
        var port: UInt16
    }

    @Test("every workload-to-workload grant in the manifests is an allowed path, and back")
    func grantsMatch() throws {
        let sample = try SampleFixture(extra: ["--policies", "60"])
        defer { sample.remove() }
        let cluster = sample.generation.cluster
        var grants: Set<Grant> = []
        var publicPorts: Set<String> = []
        func port(_ value: Any, serverApp: String) -> UInt16? {
            if let number = value as? Int { return UInt16(number) }
            guard let name = value as? String else { return nil }
            let role = WorkloadRole.allCases.first { $0.app == serverApp }
            return role?.containerPorts.first { $0.name == name }?.number
        }
        func quoted(_ selector: String, after prefix: String) -> String? {
            guard let range = selector.range(of: prefix + " == '") else { return nil }
            return String(selector[range.upperBound...].prefix { $0 != "'" })
        }
        for file in ["70-networkpolicies.yaml", "80-kubernetes-networkpolicies.yaml"] {
            let text = String(decoding: try sample.contents("cluster/" + file), as: UTF8.self)
            for case let doc as [String: Any] in try Yams.load_all(yaml: text) {
                let metadata = try #require(doc["metadata"] as? [String: Any])
                let namespace = try #require(metadata["namespace"] as? String)
                let spec = try #require(doc["spec"] as? [String: Any])
                let rules = spec["ingress"] as? [[String: Any]] ?? []
                if doc["apiVersion"] as? String == "networking.k8s.io/v1" {
                    let podSelector = try #require(spec["podSelector"] as? [String: Any])
                    let serverApp = try #require((podSelector["matchLabels"] as? [String: Any])?["app"] as? String)
                    for rule in rules {
                        for peer in rule["from"] as? [[String: Any]] ?? [] {
                            let pods = try #require(peer["podSelector"] as? [String: Any])
                            var apps: [String] = []
                            if let app = (pods["matchLabels"] as? [String: Any])?["app"] as? String { apps.append(app) }
                            for expression in pods["matchExpressions"] as? [[String: Any]] ?? [] {
                                apps += expression["values"] as? [String] ?? []
                            }
                            let ns = ((peer["namespaceSelector"] as? [String: Any])?["matchLabels"] as? [String: Any])?["kubernetes.io/metadata.name"] as? String
                            for p in rule["ports"] as? [[String: Any]] ?? [] {
                                let number = try #require(port(p["port"] as Any, serverApp: serverApp))
                                for app in apps {
                                    grants.insert(Grant(clientNamespace: ns ?? namespace, clientApp: app, serverNamespace: namespace,
                                                        serverApp: serverApp, port: number))
                                }
                            }
                        }
                    }
                } else {
                    // Guard rails select every pod and never allow; only allowing policies grant.
                    let allowing = rules.filter { $0["action"] as? String == "Allow" }
                    guard !allowing.isEmpty else { continue }
                    let selector = try #require(spec["selector"] as? String)
                    let serverApp = try #require(quoted(selector, after: "app"))
                    for rule in allowing {
                        let source = rule["source"] as? [String: Any] ?? [:]
                        let ports = (rule["destination"] as? [String: Any])?["ports"] as? [Any] ?? []
                        if let nets = source["nets"] as? [String], nets.contains("0.0.0.0/0") || nets.contains("::/0") {
                            for p in ports { publicPorts.insert("\(namespace)/\(serverApp):\(port(p, serverApp: serverApp) ?? 0)") }
                            continue
                        }
                        let sourceSelector = try #require(source["selector"] as? String)
                        let clientApp = try #require(quoted(sourceSelector, after: "app"))
                        let clientNamespace = (source["namespaceSelector"] as? String).flatMap { quoted($0, after: "kubernetes.io/metadata.name") }
                        for p in ports {
                            grants.insert(Grant(clientNamespace: clientNamespace ?? namespace, clientApp: clientApp,
                                                serverNamespace: namespace, serverApp: serverApp,
                                                port: try #require(port(p, serverApp: serverApp))))
                        }
                    }
                }
            }
        }
        let prometheus = cluster.workload(.prometheus, in: 1)
        let modelled = Set(sample.generation.policy.allowed.filter { $0.client != prometheus }.map { key in
            Grant(clientNamespace: cluster.namespaceName(of: key.client), clientApp: cluster.workloads[key.client].app,
                  serverNamespace: cluster.namespaceName(of: key.server), serverApp: cluster.workloads[key.server].app, port: key.port)
        })
        #expect(grants.count > 20)
        #expect(grants.subtracting(modelled).isEmpty, "granted but not modelled: \(grants.subtracting(modelled))")
        #expect(modelled.subtracting(grants).isEmpty, "modelled but not granted: \(modelled.subtracting(grants))")
        let frontends = cluster.workloads.indices.filter { cluster.workloads[$0].role == .frontend }
        #expect(publicPorts == Set(frontends.flatMap { w in [8080, 8443].map { "\(cluster.namespaceName(of: w))/frontend:\($0)" } }))
    }
}
