import FlowCore
import Policy

/// How one rule is read for exposure, both ways: Calico's static reading and flowlog's, which
/// resolves selectors against the cluster's pods and network sets and tests CIDRs by containment.
enum RuleReading {
    static func peer(_ rule: PolicyRule, _ direction: PolicyDirection) -> EntityMatch {
        direction == .ingress ? rule.source : rule.destination
    }

    static func own(_ rule: PolicyRule, _ direction: PolicyDirection) -> EntityMatch {
        direction == .ingress ? rule.destination : rule.source
    }

    /// False when the rule's constraints on the endpoint's own side (the destination of an
    /// ingress rule, the source of an egress rule) rule this endpoint out, so it never matches here.
    static func ownSideCanMatch(_ rule: PolicyRule, direction: PolicyDirection, endpoint: ReportEndpoint) -> Bool {
        let own = own(rule, direction)
        if let selector = own.selector, !selector.matches(endpoint.selectorLabels) { return false }
        if let selector = own.notSelector, selector.matches(endpoint.selectorLabels) { return false }
        if !endpoint.addresses.isEmpty {
            let usable = endpoint.addresses.filter { address in
                (rule.ipVersion == nil || rule.ipVersion == address.version)
                    && (own.nets.isEmpty || own.nets.contains { $0.contains(address) })
                    && !own.notNets.contains { $0.contains(address) }
            }
            if usable.isEmpty { return false }
        }
        return true
    }

    /// Whether the rule matches every packet this endpoint sends (egress) or receives (ingress):
    /// no protocol, version or ICMP criteria, nothing on the peer side, and on its own side only
    /// selectors (which `ownSideCanMatch` has already found true).
    static func matchesEverything(_ rule: PolicyRule, direction: PolicyDirection) -> Bool {
        guard rule.ipVersion == nil, rule.ipProtocol == nil, rule.notProtocol == nil, rule.icmp == nil, rule.notICMP == nil
        else { return false }
        let own = own(rule, direction)
        return peer(rule, direction).isEmpty && own.nets.isEmpty && own.notNets.isEmpty && own.ports.isEmpty
            && own.notPorts.isEmpty && own.service == nil
    }

    // MARK: - Calico's static reading (compliance §1.5)

    /// Another namespace: a global policy's rule, or a rule with a namespaceSelector, without
    /// nets; or a namespaced policy's rule with neither a selector nor nets.
    static func calicoOtherNamespace(_ rule: PolicyRule, policy: ClusterPolicy, direction: PolicyDirection) -> Bool {
        let peer = peer(rule, direction)
        guard peer.nets.isEmpty else { return false }
        if !policy.kind.isNamespaced || peer.namesNamespaceSelector { return true }
        return peer.selector == nil && peer.service == nil
    }

    /// The internet: no selector and no nets; no selector and a "public" net; or a selector
    /// matching a network set holding a public net, "public" judged on the network address alone.
    static func calicoInternet(_ rule: PolicyRule, direction: PolicyDirection, networkSets: [NetworkSetLabels]) -> Bool {
        let peer = peer(rule, direction)
        if let selector = peer.selector {
            return networkSets.contains { set in
                selector.matches(set.labels) && set.nets.contains { !PrivateNetworks.calicoCallsPrivate($0) }
            }
        }
        if peer.service != nil { return false }
        return peer.nets.isEmpty || peer.nets.contains { !PrivateNetworks.calicoCallsPrivate($0) }
    }

    // MARK: - flowlog's reading

    /// Whether some address outside the private ranges can be the peer.
    static func admitsInternet(_ rule: PolicyRule, direction: PolicyDirection, networkSets: [NetworkSetLabels],
                               privateNetworks: PrivateNetworks) -> Bool {
        let peer = peer(rule, direction)
        if peer.service != nil { return false }
        func publicPart(_ net: IPPrefix) -> Bool {
            (rule.ipVersion == nil || rule.ipVersion == net.address.version)
                && !privateNetworks.covers(net, excluding: peer.notNets)
        }
        if let selector = peer.selector {
            // Selectors reach addresses only through endpoints (never internet hosts here) and network sets.
            // A rule's nets narrow the sets' nets further; both must leave a public part.
            guard peer.nets.isEmpty || peer.nets.contains(where: publicPart) else { return false }
            return networkSets.contains { set in
                guard selector.matches(set.labels) else { return false }
                if let not = peer.notSelector, not.matches(set.labels) { return false }
                return set.nets.contains(where: publicPart)
            }
        }
        if peer.nets.isEmpty { return publicPart(.everyIPv4) || publicPart(.everyIPv6) }
        return peer.nets.contains(where: publicPart)
    }

    /// Which pods' namespaces a rule's peer can be, read once per rule: "a pod of a namespace
    /// other than the endpoint's can be the peer" is then a lookup per endpoint. Selectors and nets
    /// are resolved against the pods of this cluster state; no peer constraint at all admits any pod.
    enum PeerNamespaces {
        case any
        /// A service peer: its namespace.
        case service(String)
        /// The namespaces of the pods the peer matches; at most two are collected, which is
        /// enough to answer for every namespace.
        case pods(Set<String>)

        func includesOtherThan(_ namespace: String) -> Bool {
            switch self {
            case .any: return true
            case .service(let other): return other != namespace
            case .pods(let namespaces): return namespaces.contains { $0 != namespace }
            }
        }
    }

    static func peerNamespaces(_ rule: PolicyRule, direction: PolicyDirection, pods: [PodLabels]) -> PeerNamespaces {
        let peer = peer(rule, direction)
        if let service = peer.service { return .service(service.namespace) }
        if peer.selector == nil, peer.nets.isEmpty, peer.notSelector == nil { return .any }
        var found: Set<String> = []
        for pod in pods where !found.contains(pod.namespace) {
            if let selector = peer.selector, !selector.matches(pod.labels) { continue }
            if let not = peer.notSelector, not.matches(pod.labels) { continue }
            if !peer.nets.isEmpty || !peer.notNets.isEmpty {
                let inside = pod.addresses.contains { address in
                    (peer.nets.isEmpty || peer.nets.contains { $0.contains(address) }) && !peer.notNets.contains { $0.contains(address) }
                }
                if !inside { continue }
            }
            found.insert(pod.namespace)
            if found.count == 2 { break }
        }
        return .pods(found)
    }
}

/// A network set's selector labels and nets, resolved once per cluster state.
struct NetworkSetLabels {
    let labels: [String: String]
    let nets: [IPPrefix]
}

/// A pod's namespace, selector labels and addresses, resolved once per cluster state.
struct PodLabels {
    let namespace: String
    let labels: [String: String]
    let addresses: [IPAddress]
}
