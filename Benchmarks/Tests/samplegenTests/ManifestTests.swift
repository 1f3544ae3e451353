import Foundation
import Testing
import Yams
import FlowCore
@testable import samplegen

@Suite("samplegen manifests")
struct ManifestTests {
    @Test("every manifest parses as YAML and describes the generated cluster")
    func manifestsParse() throws {
        let sample = try SampleFixture()
        defer { sample.remove() }
        var kinds: [String: Int] = [:]
        var podIPs: Set<String> = []
        var policyNames: Set<String> = []
        for file in try sample.manifestFiles() {
            let text = String(decoding: try sample.contents("cluster/" + file), as: UTF8.self)
            for case let document as [String: Any] in try Yams.load_all(yaml: text) {
                let kind = try #require(document["kind"] as? String, "\(file)")
                #expect(document["apiVersion"] is String)
                let metadata = try #require(document["metadata"] as? [String: Any])
                let name = try #require(metadata["name"] as? String)
                kinds[kind, default: 0] += 1
                if kind == "Pod" {
                    let status = try #require(document["status"] as? [String: Any])
                    let ip = try #require(status["podIP"] as? String)
                    #expect(IPAddress(ip) != nil)
                    podIPs.insert(ip)
                    let ips = try #require(status["podIPs"] as? [[String: Any]])
                    #expect(ips.count == 2)
                    let spec = try #require(document["spec"] as? [String: Any])
                    #expect(spec["serviceAccountName"] is String)
                }
                if kind.hasSuffix("NetworkPolicy") {
                    policyNames.insert("\(kind)/\(metadata["namespace"] as? String ?? "")/\(name)")
                    if let spec = document["spec"] as? [String: Any], let selector = spec["selector"] {
                        #expect(selector is String, "\(name): selector must stay a string")
                    }
                    // Calico rejects a rule whose nets mix IPv4 and IPv6.
                    let spec = document["spec"] as? [String: Any] ?? [:]
                    for case let rule as [String: Any] in (spec["ingress"] as? [Any] ?? []) + (spec["egress"] as? [Any] ?? []) {
                        for side in ["source", "destination"] {
                            let nets = (rule[side] as? [String: Any])?["nets"] as? [String] ?? []
                            #expect(Set(nets.map { $0.contains(":") }).count <= 1, "\(name): \(nets)")
                        }
                    }
                }
                if kind == "Tier" {
                    let spec = try #require(document["spec"] as? [String: Any])
                    #expect(spec["order"] is Int)
                }
            }
        }
        let generation = sample.generation
        #expect(kinds["Namespace"] == generation.cluster.namespaces.count)
        #expect(kinds["Pod"] == generation.cluster.pods.count)
        #expect(podIPs == Set(generation.cluster.pods.map { $0.ipv4.description }))
        #expect(kinds["Tier"] == sample.options.tiers)
        #expect(kinds["StagedNetworkPolicy", default: 0] >= 1)
        // The threat feed and three guard-rail sets; the payment providers and one partner set per
        // application namespace.
        let applicationNamespaces = generation.cluster.applicationNamespaces.count
        #expect(kinds["GlobalNetworkSet"] == 4 && kinds["NetworkSet"] == 1 + applicationNamespaces)
        #expect(kinds["StagedGlobalNetworkPolicy"] == 1 && kinds["StagedKubernetesNetworkPolicy", default: 0] >= 1)
        #expect(policyNames.count == generation.policy.policyCount)
        #expect(generation.policy.policyCount == sample.options.policies)
    }

    @Test("scalars that look like other types are quoted and read back as the same strings")
    func scalarQuoting() throws {
        let values = ["true", "no", "8080", "1e3", "10.244.0.0/16", "10.244.0.5", "fd00:10:244::/48", "::/0",
                      "app == 'web'", "all()", "projectcalico.org/namespace != 'kube-system'", "a: b", "x #y",
                      "2026-01-01T00:00:00Z", "app in {'a', 'b'}", "-dash", "plain text", "0x1F", "1_000"]
        let node = YAMLNode.map(values.enumerated().map { ("k\($0.offset)", .string($0.element)) })
        let parsed = try #require(try Yams.load(yaml: node.rendered()) as? [String: Any])
        for (i, value) in values.enumerated() {
            #expect(parsed["k\(i)"] as? String == value, "\(value) → \(node.rendered())")
        }
    }

    @Test("bad arguments name the flag")
    func badArguments() {
        for (arguments, field) in [(["--out", "x", "--pods", "many"], "--pods"), (["--pods", "3"], "--out"),
                                   (["--out", "x", "--start", "yesterday"], "--start"), (["--out", "x", "--seed"], "--seed")] {
            #expect(throws: FlowlogError.self) { try GeneratorOptions(arguments: arguments) }
            do {
                _ = try GeneratorOptions(arguments: arguments)
            } catch let error as FlowlogError {
                #expect(error.code == .invalidArgument)
                #expect(error.location?.field == field, "\(arguments)")
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
        #expect(throws: FlowlogError.self) { try GeneratorOptions(arguments: ["--out", "x", "--frobnicate"]) }
    }

    @Test("too few pods for the namespaces is an error")
    func tooFewPods() throws {
        let options = try GeneratorOptions(arguments: ["--out", NSTemporaryDirectory() + "samplegen-unused", "--pods", "3", "--namespaces", "5"])
        #expect(throws: FlowlogError.self) { try SampleGeneration(options) }
    }
}
