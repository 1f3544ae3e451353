import FlowCore

/// Something selectors can match: a workload endpoint, a host endpoint or a network set.
struct SelectableEntity {
    enum Kind { case workload, host, networkSet }
    let kind: Kind
    /// Index into the cluster's pods, host endpoints or network sets.
    let resource: Int
    /// "" when not namespaced.
    let namespace: String
    let namedPorts: [NamedPort]
    /// Flow-log identity (for endpoints; network sets get theirs per flow, see `FlowSides`).
    let identity: EndpointIdentity
    /// (profile name, allows every packet): `kns.<ns>` and the default-allow profile allow,
    /// `ksa.*` has no rules, a `Profile` resource's rules are in the engine's `profiles`.
    let profiles: [(name: String, allows: Bool)]
}

/// Addresses → entities, built once per engine.
struct EndpointIndex {
    private(set) var entities: [SelectableEntity] = []
    /// Every entity's label maps numbered once (selectors and match classes share the numbers):
    /// per entity, the number of its selector labels and of its own labels.
    private(set) var labels = LabelNumbering()
    private(set) var selectorLabelMaps: [Int32] = []
    private(set) var ownLabelMaps: [Int32] = []
    /// Workload and host endpoints by address (a pod wins over a host endpoint on a clash).
    private var endpointByAddress: [IPAddress: Int] = [:]
    /// Network sets: for each prefix length in use (longest first), masked address → entities.
    private var setPrefixLengths: [IPVersion: [Int]] = [:]
    private var setsByPrefix: [PrefixKey: [Int]] = [:]
    private var serviceByClusterIP: [IPAddress: String] = [:]
    /// Per entity, the key that orders network sets of equal prefix length (`name` for a global
    /// set, `namespace/name` otherwise) as UTF-8 bytes; empty for endpoints.
    private var setOrderKeys: [[UInt8]] = []
    private var servicesByNamespace: [String: [(name: String, selector: [String: String])]] = [:]

    struct PrefixKey: Hashable {
        let address: IPAddress
        let length: Int
    }

    /// A namespace and service account: pods sharing both inherit the same labels.
    private struct InheritedKey: Hashable {
        let namespace: String
        let serviceAccount: String
    }

    init(cluster: Cluster) {
        // A pod's selector labels (`Cluster.selectorLabels(of:)`: what it inherits from its
        // namespace and service account, its own labels over them, then Calico's own three)
        // are numbered from parts: most pods share their namespace and account with many
        // others, so what they inherit and Calico's three are numbered once per pair, and a
        // pod numbers only its own labels (which its identity needs anyway). Building
        // and numbering each pod's whole map was a third of the engine's build.
        var inherited: [InheritedKey: (row: [UInt64], calico: [UInt64], profiles: [(name: String, allows: Bool)])] = [:]
        for (i, pod) in cluster.pods.enumerated() {
            let key = InheritedKey(namespace: pod.namespace, serviceAccount: pod.serviceAccount)
            let base: (row: [UInt64], calico: [UInt64], profiles: [(name: String, allows: Bool)])
            if let known = inherited[key] {
                base = known
            } else {
                var calico = [labels.pair(ClusterLabels.namespace, pod.namespace), labels.pair(ClusterLabels.orchestrator, "k8s")]
                if pod.serviceAccount.utf8.count < 63 { calico.append(labels.pair(ClusterLabels.serviceAccount, pod.serviceAccount)) }
                calico.sort()
                base = (labels.row(cluster.inheritedLabels(namespace: pod.namespace, serviceAccount: pod.serviceAccount)), calico,
                        cluster.profiles(of: pod).map { ($0.name, $0.allowsAll) })
                inherited[key] = base
            }
            let own = labels.row(pod.labels)
            let selectorRow = LabelNumbering.overriding(LabelNumbering.overriding(base.row, with: own), with: base.calico)
            selectorLabelMaps.append(labels.number(row: selectorRow))
            ownLabelMaps.append(labels.number(row: own))
            let aggregated = pod.generateName.isEmpty ? pod.name : pod.generateName + "*"
            let identity = EndpointIdentity(kind: .workload, namespace: pod.namespace, name: pod.name,
                                            aggregatedName: aggregated, labels: pod.labels, serviceAccount: pod.serviceAccount)
            let index = entities.count
            entities.append(SelectableEntity(
                kind: .workload, resource: i, namespace: pod.namespace, namedPorts: pod.ports, identity: identity, profiles: base.profiles))
            for a in pod.addresses where endpointByAddress[a] == nil { endpointByAddress[a] = index }
        }
        for (i, hep) in cluster.hostEndpoints.enumerated() {
            let identity = EndpointIdentity(kind: .host, namespace: "-", name: hep.name,
                                            aggregatedName: hep.node.isEmpty ? hep.name : hep.node, labels: hep.labels)
            let profiles = cluster.profiles(of: hep).map { ($0.name, $0.allowsAll) }
            let index = entities.count
            selectorLabelMaps.append(labels.number(cluster.selectorLabels(of: hep)))
            ownLabelMaps.append(labels.number(identity.labels))
            entities.append(SelectableEntity(kind: .host, resource: i, namespace: "", namedPorts: hep.ports, identity: identity,
                                             profiles: profiles))
            for a in hep.expectedIPs where endpointByAddress[a] == nil { endpointByAddress[a] = index }
        }
        for (i, set) in cluster.networkSets.enumerated() {
            let identity = EndpointIdentity(kind: .networkSet, namespace: set.isGlobal ? "-" : set.namespace,
                                            name: set.name, aggregatedName: set.name, labels: set.labels)
            selectorLabelMaps.append(labels.number(cluster.selectorLabels(of: set)))
            ownLabelMaps.append(labels.number(identity.labels))
            let index = entities.count
            entities.append(SelectableEntity(kind: .networkSet, resource: i, namespace: set.namespace, namedPorts: [],
                                             identity: identity, profiles: []))
            for net in set.nets {
                setsByPrefix[PrefixKey(address: net.address, length: net.length), default: []].append(index)
                if !(setPrefixLengths[net.address.version]?.contains(net.length) ?? false) {
                    setPrefixLengths[net.address.version, default: []].append(net.length)
                }
            }
        }
        for version in setPrefixLengths.keys { setPrefixLengths[version]?.sort(by: >) }
        setOrderKeys = entities.map { entity in
            guard entity.kind == .networkSet else { return [] }
            let set = cluster.networkSets[entity.resource]
            return Array((set.isGlobal ? set.name : "\(set.namespace)/\(set.name)").utf8)
        }
        for service in cluster.services.sorted(by: { ($0.namespace, $0.name) < ($1.namespace, $1.name) }) {
            let name = "\(service.namespace)/\(service.name)"
            for ip in service.clusterIPs where serviceByClusterIP[ip] == nil { serviceByClusterIP[ip] = name }
            if let selector = service.selector, !selector.isEmpty {
                servicesByNamespace[service.namespace, default: []].append((name, selector))
            }
        }
    }

    func endpoint(at address: IPAddress) -> Int? { endpointByAddress[address] }

    /// Every workload and host endpoint address.
    var endpointAddresses: Dictionary<IPAddress, Int>.Keys { endpointByAddress.keys }

    /// Every network set containing `address`, longest prefix first.
    func networkSets(containing address: IPAddress) -> [Int] {
        guard let lengths = setPrefixLengths[address.version] else { return [] }
        var found: [Int] = []
        for length in lengths {
            if let sets = setsByPrefix[PrefixKey(address: address.masked(to: length), length: length)] {
                for s in sets where !found.contains(s) { found.append(s) }
            }
        }
        return found
    }

    /// `<ns>/<name>` of the service at `address` (cluster IP) or selecting the pod there.
    func service(for address: IPAddress, endpoint: Int?) -> String {
        if let name = serviceByClusterIP[address] { return name }
        guard let endpoint, entities[endpoint].kind == .workload else { return "" }
        let e = entities[endpoint]
        for candidate in servicesByNamespace[e.namespace] ?? [] {
            if candidate.selector.allSatisfy({ e.identity.labels[$0.key] == $0.value }) { return candidate.name }
        }
        return ""
    }

    /// The flow-log network set for an address (§1.4, `GetLongestPrefixCidrWithNamespaceIsolation`):
    /// longest prefix among sets in the other endpoint's namespace, else among global sets, else
    /// among other namespaces' sets; equal prefixes go to the lowest-sorting key (`setOrderKeys`).
    /// Allocates nothing: it runs for every new pair of a network-set address and another end's
    /// class, a tenth of a random pod pair's cold decision when it built each key and length list.
    func identifyingNetworkSet(for address: IPAddress, among sets: [Int], otherNamespace: String, cluster: Cluster) -> Int? {
        var best = -1, bestCategory = Int.max, bestLength = -1
        for entity in sets {
            let namespace = entities[entity].namespace
            let category = (!otherNamespace.isEmpty && namespace == otherNamespace) ? 0 : (namespace.isEmpty ? 1 : 2)
            if category > bestCategory { continue }
            var length = -1
            for net in cluster.networkSets[entities[entity].resource].nets where net.length > length && net.contains(address) {
                length = net.length
            }
            if category == bestCategory {
                if length < bestLength { continue }
                if length == bestLength && !setOrderKeys[entity].lexicographicallyPrecedes(setOrderKeys[best]) { continue }
            }
            best = entity
            bestCategory = category
            bestLength = length
        }
        return best < 0 ? nil : best
    }
}
