import FlowCore
import Testing
@testable import Policy

/// The network set that names an address in flow logs (§1.4) is chosen without building keys
/// or lists per candidate; on random clusters of overlapping sets (namespaced and global, equal
/// prefixes, names that sort either way) it must be the one the rule's plain reading chooses.
@Suite struct IdentifyingNetworkSetTests {
    /// §1.4 read plainly: longest prefix in the other end's namespace, else among global sets,
    /// else among other namespaces'; equal prefixes to the lowest-sorting `[ns/]name`.
    static func reference(_ address: IPAddress, among sets: [Int], otherNamespace: String,
                          index: EndpointIndex, cluster: Cluster) -> Int? {
        let ranked = sets.map { entity -> (category: Int, length: Int, key: [UInt8], entity: Int) in
            let set = cluster.networkSets[index.entities[entity].resource]
            let length = set.nets.filter { $0.contains(address) }.map(\.length).max() ?? -1
            let category = !otherNamespace.isEmpty && set.namespace == otherNamespace ? 0 : (set.isGlobal ? 1 : 2)
            return (category, length, Array((set.isGlobal ? set.name : set.namespace + "/" + set.name).utf8), entity)
        }
        return ranked.min { a, b in
            if a.category != b.category { return a.category < b.category }
            if a.length != b.length { return a.length > b.length }
            return a.key.lexicographicallyPrecedes(b.key)
        }?.entity
    }

    @Test func chosenSetIsThePlainRulesChoice() throws {
        var rng = SplitMix64(seed: 0x1D_5E75)
        func below(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
        let namespaces = ["", "", "ns0", "ns1", "ns2"]
        var checked = 0, several = 0
        for _ in 0..<12 {
            var docs: [String] = []
            // Prefixes inside 10.0.0.0/16, so sets overlap and tie on length, and names whose
            // order differs from their sets' order.
            for i in 0..<(6 + below(20)) {
                let namespace = namespaces[below(namespaces.count)]
                let name = ["a", "b", "ab", "ba", "a0"][below(5)] + "-\(i)"
                let nets = (0..<(1 + below(3))).map { _ -> String in
                    let length = [16, 20, 24, 24, 28, 32][below(6)]
                    let host = UInt32(below(1 << 16))
                    let base = (0x0A00_0000 | host) & (length == 32 ? ~0 : ~(UInt32.max >> UInt32(length)))
                    return "'\(base >> 24).\(base >> 16 & 255).\(base >> 8 & 255).\(base & 255)/\(length)'"
                }
                let kind = namespace.isEmpty ? "GlobalNetworkSet" : "NetworkSet"
                let meta = namespace.isEmpty ? "{name: \(name)}" : "{name: \(name), namespace: \(namespace)}"
                docs.append("apiVersion: projectcalico.org/v3\nkind: \(kind)\nmetadata: \(meta)\nspec: {nets: [\(nets.joined(separator: ", "))]}")
            }
            let cluster = try ClusterLoader.load(text: docs.joined(separator: "\n---\n"))
            let index = EndpointIndex(cluster: cluster)
            for _ in 0..<400 {
                let address = IPAddress(ipv4: 0x0A00_0000 | UInt32(below(1 << 16)))
                let sets = index.networkSets(containing: address)
                for other in ["", "ns0", "ns1", "ns2", "ns9"] {
                    let expected = Self.reference(address, among: sets, otherNamespace: other, index: index, cluster: cluster)
                    #expect(index.identifyingNetworkSet(for: address, among: sets, otherNamespace: other, cluster: cluster) == expected,
                            "\(address) from namespace '\(other)' among \(sets)")
                    checked += 1
                    if sets.count > 1 { several += 1 }
                }
            }
        }
        #expect(checked > 10_000)
        #expect(several > 1_000, "addresses in several sets: \(several)")
    }
}
