import FlowCore
import Testing
@testable import Policy

/// The engine's endpoint index numbers a pod's selector labels from parts (what its namespace
/// and service account give, its own labels, Calico's three); `Cluster.selectorLabels(of:)`
/// builds the whole map, as reports still do. On random clusters whose labels collide on
/// purpose (pod labels named like inherited and Calico labels, values equal only as text,
/// service accounts too long to label, accounts and namespaces no manifest defines), every
/// entity's numbered map must be exactly the map the plain path builds, byte for byte.
@Suite struct EndpointLabelNumberingTests {
    static let keys = ["app", "team", "env", "tier", "pcns.team", "pcns.env", "pcsa.role", "pcns.projectcalico.org/name",
                       ClusterLabels.namespace, ClusterLabels.orchestrator, ClusterLabels.serviceAccount, ClusterLabels.name, "role"]
    /// "é" twice: precomposed and decomposed are equal `String`s with different bytes.
    static let values = ["web", "db", "prod", "dev", "", "k8s", "caf\u{E9}", "cafe\u{301}", "shop", "x"]

    static func labels(_ rng: inout SplitMix64, most: Int) -> [String: String] {
        var labels: [String: String] = [:]
        for _ in 0..<Int(rng.next() % UInt64(most + 1)) {
            labels[keys[Int(rng.next() % UInt64(keys.count))]] = values[Int(rng.next() % UInt64(values.count))]
        }
        return labels
    }

    static func randomCluster(seed: UInt64) -> Cluster {
        var rng = SplitMix64(seed: seed)
        var cluster = Cluster()
        let namespaces = ["shop", "other", "kube-system", "undefined"]
        let accounts = ["default", "web", "db", String(repeating: "a", count: 62), String(repeating: "b", count: 63), "nobody"]
        for namespace in namespaces.dropLast() {
            cluster.namespaces[namespace] = ClusterNamespace(name: namespace, labels: labels(&rng, most: 4))
            for account in accounts.dropLast() where rng.next() % 2 == 0 {
                cluster.serviceAccounts["\(namespace)/\(account)"] = ClusterServiceAccount(
                    namespace: namespace, name: account, labels: labels(&rng, most: 3))
            }
        }
        for p in 0..<(20 + Int(rng.next() % 60)) {
            cluster.pods.append(ClusterPod(
                namespace: namespaces[Int(rng.next() % UInt64(namespaces.count))], name: "pod-\(p)", generateName: "",
                labels: labels(&rng, most: 6), serviceAccount: accounts[Int(rng.next() % UInt64(accounts.count))],
                addresses: [IPAddress("10.0.\(p / 200).\(p % 200 + 1)")!], ports: [], node: "n"))
        }
        for h in 0..<Int(rng.next() % 4) {
            cluster.hostEndpoints.append(ClusterHostEndpoint(
                name: "host-\(h)", node: "n\(h)", interfaceName: "eth0", labels: labels(&rng, most: 3),
                expectedIPs: [IPAddress("192.168.0.\(h + 1)")!], profiles: ["kns.shop", "kns.undefined"], ports: []))
        }
        for s in 0..<Int(rng.next() % 4) {
            cluster.networkSets.append(ClusterNetworkSet(
                namespace: s % 2 == 0 ? "" : namespaces[s % namespaces.count], name: "set-\(s)", labels: labels(&rng, most: 3),
                nets: [IPPrefix("198.51.100.\(s * 16)/28")!]))
        }
        return cluster
    }

    /// A numbered map read back as text keys and value bytes.
    static func decode(_ map: Int32, _ numbering: LabelNumbering) -> [String: [UInt8]] {
        let keyNames = Dictionary(uniqueKeysWithValues: numbering.keyNumbers.map { ($0.value, $0.key) })
        var decoded: [String: [UInt8]] = [:]
        for pair in numbering.pairs[Int(numbering.start[Int(map)])..<Int(numbering.start[Int(map) + 1])] {
            decoded[keyNames[Int32(truncatingIfNeeded: pair >> 32)]!] = Array(numbering.values[Int(pair & 0xFFFF_FFFF)].utf8)
        }
        return decoded
    }

    static func bytes(_ labels: [String: String]) -> [String: [UInt8]] { labels.mapValues { Array($0.utf8) } }

    @Test func numberedSelectorLabelsAreThePlainMaps() {
        var compared = 0, overridden = 0
        for seed in 0..<300 as Range<UInt64> {
            let cluster = Self.randomCluster(seed: seed)
            let index = EndpointIndex(cluster: cluster)
            #expect(index.entities.count == cluster.pods.count + cluster.hostEndpoints.count + cluster.networkSets.count)
            for (e, entity) in index.entities.enumerated() {
                let plain: [String: String]
                switch entity.kind {
                case .workload:
                    let pod = cluster.pods[entity.resource]
                    plain = cluster.selectorLabels(of: pod)
                    let inherited = cluster.inheritedLabels(namespace: pod.namespace, serviceAccount: pod.serviceAccount)
                    if pod.labels.keys.contains(where: { inherited[$0] != nil }) { overridden += 1 }
                case .host: plain = cluster.selectorLabels(of: cluster.hostEndpoints[entity.resource])
                case .networkSet: plain = cluster.selectorLabels(of: cluster.networkSets[entity.resource])
                }
                #expect(Self.decode(index.selectorLabelMaps[e], index.labels) == Self.bytes(plain), "seed \(seed) entity \(e)")
                #expect(Self.decode(index.ownLabelMaps[e], index.labels) == Self.bytes(entity.identity.labels), "seed \(seed) entity \(e)")
                compared += 1
            }
            // Equal maps share one number, however they were numbered.
            var seen: [[String: [UInt8]]: Int32] = [:]
            for map in index.selectorLabelMaps + index.ownLabelMaps {
                let decoded = Self.decode(map, index.labels)
                #expect(seen[decoded, default: map] == map, "seed \(seed)")
                seen[decoded] = map
            }
        }
        #expect(compared > 10_000)
        // Pods whose own labels replace inherited ones are common enough to test the override.
        #expect(overridden > 500, "\(overridden)")
    }

    @Test func overridingKeepsTheTopValueOfEveryKey() {
        var rng = SplitMix64(seed: 0x0FE1)
        for _ in 0..<2000 {
            func row() -> [UInt64] {
                var byKey: [UInt64: UInt64] = [:]
                for _ in 0..<Int(rng.next() % 8) { byKey[rng.next() % 12] = rng.next() % 5 }
                return byKey.map { $0.key << 32 | $0.value }.sorted()
            }
            let base = row(), top = row()
            var expected: [UInt64: UInt64] = [:]
            for pair in base + top { expected[pair >> 32] = pair & 0xFFFF_FFFF }
            #expect(LabelNumbering.overriding(base, with: top) == expected.map { $0.key << 32 | $0.value }.sorted())
        }
    }
}
