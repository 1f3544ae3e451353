import FlowCore

/// Kubernetes cluster network policies (policy.networking.k8s.io) → Calico global policies in
/// the built-in tiers, as Calico converts them: ClusterNetworkPolicy (v1alpha2, `tier: Admin`
/// → `kube-admin`, `Baseline` → `kube-baseline`, `priority` → order, Accept → Allow), and the
/// v1alpha1 AdminNetworkPolicy (`kube-admin`) and BaselineAdminNetworkPolicy (`kube-baseline`,
/// no priority) that preceded it. Each API rule becomes one Calico rule per (protocol × peer),
/// protocols sorted by name, so rule indexes in traces count those rules. A rule that cannot be
/// converted fails closed as the API asks: dropped when it accepts, a deny-everything rule
/// when it denies or passes.
extension ClusterBuilder {
    /// Which of the three API kinds a document is.
    enum ClusterPolicyAPI {
        case clusterNetworkPolicy, admin, baseline

        var kindName: String {
            switch self {
            case .clusterNetworkPolicy: return "ClusterNetworkPolicy"
            case .admin: return "AdminNetworkPolicy"
            case .baseline: return "BaselineAdminNetworkPolicy"
            }
        }

        /// Rule actions as each API spells them, with the Calico action they become.
        var actions: [String: RuleAction] {
            switch self {
            case .clusterNetworkPolicy: return ["Accept": .allow, "Deny": .deny, "Pass": .pass]
            case .admin: return ["Allow": .allow, "Deny": .deny, "Pass": .pass]
            case .baseline: return ["Allow": .allow, "Deny": .deny]
            }
        }
    }

    /// The API's limit on rules per direction and on peers, protocols and networks per rule.
    static let clusterPolicyListLimit = 25

    mutating func addClusterNetworkPolicy(_ r: ManifestField, name: String, api: ClusterPolicyAPI) {
        guard let spec = r.child("spec"), spec.isMapping else {
            r.error("missing required field spec")
            return
        }
        let tier: String
        var order: Double?
        switch api {
        case .clusterNetworkPolicy:
            switch spec.requiredString("tier") {
            case "Admin": tier = "kube-admin"
            case "Baseline": tier = "kube-baseline"
            case nil: return
            case let other?:
                spec.child("tier")?.error("tier must be Admin or Baseline, not '\(other)'")
                return
            }
            guard spec.child("priority") != nil else {
                spec.error("missing required field spec.priority")
                return
            }
            guard let priority = spec.integer("priority", in: 0...1000) else { return }
            order = Double(priority)
        case .admin:
            tier = "kube-admin"
            guard spec.child("priority") != nil else {
                spec.error("missing required field spec.priority")
                return
            }
            guard let priority = spec.integer("priority", in: 0...1000) else { return }
            order = Double(priority)
        case .baseline:
            tier = "kube-baseline"
            if name != "default" { r.child("metadata")?.child("name")?.error("a BaselineAdminNetworkPolicy must be named 'default'") }
        }
        guard let selector = subjectSelector(spec) else { return }
        let ingressFields = spec.list("ingress"), egressFields = spec.list("egress")
        for (key, fields) in [("ingress", ingressFields), ("egress", egressFields)] where fields.count > Self.clusterPolicyListLimit {
            spec.child(key)?.error("\(fields.count) rules; at most \(Self.clusterPolicyListLimit) are allowed")
        }
        let ingress = ingressFields.flatMap { clusterRule($0, api: api, ingress: true) }
        let egress = egressFields.flatMap { clusterRule($0, api: api, ingress: false) }
        // Calico sets types from the converted rules; with none, Felix applies the policy both ways.
        let bothWhenEmpty = ingress.isEmpty && egress.isEmpty
        cluster.policies.append(ClusterPolicy(
            kind: .clusterNetworkPolicy, namespace: "", name: name, tier: tier, order: order, selector: selector,
            appliesToIngress: !ingress.isEmpty || bothWhenEmpty, appliesToEgress: !egress.isEmpty || bothWhenEmpty,
            ingress: ingress, egress: egress, stagedAction: .set, origin: r.file))
    }

    /// `subject`: exactly one of `namespaces` (every pod of the selected namespaces) and `pods`
    /// (namespaceSelector and podSelector). Both mean pods only: the orchestrator clause keeps
    /// host endpoints and network sets out.
    private func subjectSelector(_ spec: ManifestField) -> Selector? {
        guard let subject = spec.child("subject"), subject.isMapping else {
            spec.error("missing required field spec.subject")
            return nil
        }
        let namespaces = subject.child("namespaces"), pods = subject.child("pods")
        switch (namespaces, pods) {
        case let (namespaces?, nil):
            return Selector.orchestratorKubernetes.and(Self.labelSelector(namespaces).namespaceScoped())
        case let (nil, pods?):
            let podSelector = pods.child("podSelector").map(Self.labelSelector) ?? .all
            let namespaceSelector = pods.child("namespaceSelector").map(Self.labelSelector) ?? .all
            return Selector.orchestratorKubernetes.and(podSelector).and(namespaceSelector.namespaceScoped())
        default:
            subject.error("subject needs exactly one of namespaces and pods")
            return nil
        }
    }

    /// One API rule → Calico rules, or the fail-closed replacement when it cannot be converted.
    private func clusterRule(_ f: ManifestField, api: ClusterPolicyAPI, ingress: Bool) -> [PolicyRule] {
        guard f.isMapping else {
            f.error("a rule must be a map")
            return []
        }
        guard let actionText = f.requiredString("action") else { return [] }
        guard let action = api.actions[actionText] else {
            let allowed = api.actions.keys.sorted().joined(separator: ", ")
            f.child("action")?.error("action must be one of \(allowed), not '\(actionText)'")
            return []
        }
        let peersKey = ingress ? "from" : "to"
        let peerFields = f.list(peersKey)
        if peerFields.isEmpty { f.error("missing required field \(f.path).\(peersKey) (at least one peer)") }
        for (key, count) in [(peersKey, peerFields.count)] where count > Self.clusterPolicyListLimit {
            f.child(key)?.error("\(count) peers; at most \(Self.clusterPolicyListLimit) are allowed")
        }
        var unsupported: String?
        var peers: [EntityMatch] = []
        for peer in peerFields {
            switch clusterPeer(peer, ingress: ingress) {
            case .match(let m): peers.append(m)
            case .unsupported(let why): unsupported = unsupported ?? why
            case .invalid: return []
            }
        }
        var protocols: [(IPProtocol?, [PortMatch])] = []
        switch api == .clusterNetworkPolicy ? protocolsV1Alpha2(f) : portsV1Alpha1(f) {
        case .ports(let p): protocols = p
        case .unsupported(let why): unsupported = unsupported ?? why
        case .invalid: return []
        }
        if let unsupported {
            // The API's fail-closed rule: Calico cannot convert it.
            if action == .allow {
                f.warning("\(unsupported); Calico drops this \(actionText) rule")
                return []
            }
            f.warning("\(unsupported); Calico replaces this \(actionText) rule with one that denies everything")
            return [PolicyRule(action: .deny)]
        }
        var rules: [PolicyRule] = []
        for (proto, ports) in protocols {
            for peer in peers {
                var rule = PolicyRule(action: action)
                rule.ipProtocol = proto
                if ingress {
                    rule.source = peer
                } else {
                    rule.destination = peer
                }
                rule.destination.ports = ports
                rules.append(rule)
            }
        }
        return rules
    }

    private enum PeerConversion {
        case match(EntityMatch)
        case unsupported(String)
        case invalid
    }

    /// A peer: `namespaces` (any endpoint of those namespaces, network sets included, as Calico
    /// writes no pod selector for it), `pods`, and for egress `networks`. `nodes` and
    /// `domainNames` have no Calico conversion.
    private func clusterPeer(_ f: ManifestField, ingress: Bool) -> PeerConversion {
        guard f.node.isMapping, f.node.pairCount == 1 else {
            f.error("a peer needs exactly one of namespaces, pods\(ingress ? "" : ", nodes, networks, domainNames")")
            return .invalid
        }
        var e = EntityMatch()
        if let namespaces = f.child("namespaces") {
            e.selector = Self.labelSelector(namespaces).namespaceScoped()
        } else if let pods = f.child("pods") {
            let podSelector = pods.child("podSelector").map(Self.labelSelector) ?? .all
            let namespaceSelector = pods.child("namespaceSelector").map(Self.labelSelector) ?? .all
            e.selector = Selector.orchestratorKubernetes.and(podSelector).and(namespaceSelector.namespaceScoped())
        } else if !ingress, let networks = f.child("networks") {
            let list = f.list("networks")
            if list.count > Self.clusterPolicyListLimit {
                networks.error("\(list.count) networks; at most \(Self.clusterPolicyListLimit) are allowed")
            }
            e.nets = list.compactMap(Self.prefix)
            if e.nets.count != list.count { return .invalid }
            if Set(e.nets.map(\.address.version)).count > 1 {
                // Calico's rule validation refuses a rule mixing families.
                networks.error("networks mix IPv4 and IPv6 CIDRs; Calico cannot convert such a peer into one rule")
                return .invalid
            }
        } else if !ingress, f.child("nodes") != nil {
            return .unsupported("a nodes peer has no Calico conversion")
        } else if !ingress, f.child("domainNames") != nil {
            return .unsupported("a domainNames peer has no Calico conversion")
        } else {
            f.error("unknown peer; expected namespaces, pods\(ingress ? "" : ", nodes, networks or domainNames")")
            return .invalid
        }
        return .match(e)
    }

    private enum PortConversion {
        case ports([(IPProtocol?, [PortMatch])])
        case unsupported(String)
        case invalid
    }

    /// v1alpha2 `protocols`: `{tcp|udp|sctp: {destinationPort: {number | range: {start, end}}}}`
    /// or `{destinationNamedPort}` (which Calico 3.32 does not convert yet).
    private func protocolsV1Alpha2(_ f: ManifestField) -> PortConversion {
        var byProtocol: [String: [PortMatch]] = [:]
        let entries = f.list("protocols")
        if entries.count > Self.clusterPolicyListLimit {
            f.child("protocols")?.error("\(entries.count) protocols; at most \(Self.clusterPolicyListLimit) are allowed")
        }
        for entry in entries {
            if entry.child("destinationNamedPort") != nil { return .unsupported("Calico does not convert destinationNamedPort yet") }
            guard let (name, body) = [("TCP", "tcp"), ("UDP", "udp"), ("SCTP", "sctp")].lazy
                .compactMap({ name, key in entry.child(key).map { (name, $0) } }).first else {
                entry.error("a protocol entry needs one of tcp, udp, sctp, destinationNamedPort")
                return .invalid
            }
            guard let port = body.child("destinationPort") else {
                byProtocol[name] = []  // every port of the protocol
                continue
            }
            let match: PortMatch
            if port.child("number") != nil {
                guard let n = port.integer("number", in: 1...65535) else { return .invalid }
                match = .range(UInt16(n), UInt16(n))
            } else if let range = port.child("range") {
                guard let start = range.integer("start", in: 1...65535), let end = range.integer("end", in: 1...65535) else {
                    if range.child("start") == nil || range.child("end") == nil { range.error("a range needs start and end") }
                    return .invalid
                }
                guard start < end else {
                    range.error("start \(start) must be less than end \(end)")
                    return .invalid
                }
                match = .range(UInt16(start), UInt16(end))
            } else {
                port.error("destinationPort needs number or range")
                return .invalid
            }
            add(match, to: name, in: &byProtocol)
        }
        return .ports(sortedProtocols(byProtocol))
    }

    /// v1alpha1 `ports`: `{portNumber: {protocol, port}}`, `{portRange: {protocol, start, end}}`
    /// or `{namedPort}`; a named port goes without a protocol (valid since Calico 3.32).
    private func portsV1Alpha1(_ f: ManifestField) -> PortConversion {
        var byProtocol: [String: [PortMatch]] = [:]
        for entry in f.list("ports") {
            if let named = entry.child("namedPort") {
                guard let text = named.scalarText, !text.isEmpty else { return .invalid }
                add(.named(text), to: "", in: &byProtocol)
            } else if let number = entry.child("portNumber") {
                guard let proto = clusterProtocol(number), let port = number.integer("port", in: 1...65535) else {
                    if number.child("port") == nil { number.error("missing required field port") }
                    return .invalid
                }
                add(.range(UInt16(port), UInt16(port)), to: proto, in: &byProtocol)
            } else if let range = entry.child("portRange") {
                guard let proto = clusterProtocol(range), let start = range.integer("start", in: 1...65535),
                      let end = range.integer("end", in: 1...65535) else {
                    if range.child("start") == nil || range.child("end") == nil { range.error("a portRange needs start and end") }
                    return .invalid
                }
                guard start < end else {
                    range.error("start \(start) must be less than end \(end)")
                    return .invalid
                }
                add(.range(UInt16(start), UInt16(end)), to: proto, in: &byProtocol)
            } else {
                entry.error("a ports entry needs one of portNumber, portRange, namedPort")
                return .invalid
            }
        }
        return .ports(sortedProtocols(byProtocol))
    }

    /// `protocol` of a v1alpha1 port entry: TCP (the default), UDP or SCTP.
    private func clusterProtocol(_ f: ManifestField) -> String? {
        let text = f.string("protocol") ?? "TCP"
        guard ["TCP", "UDP", "SCTP"].contains(text) else {
            f.child("protocol")?.error("protocol must be TCP, UDP or SCTP, not '\(text)'")
            return nil
        }
        return text
    }

    /// Adds ports to a protocol unless it already means "every port" (an empty list).
    private func add(_ port: PortMatch, to proto: String, in byProtocol: inout [String: [PortMatch]]) {
        if let existing = byProtocol[proto], existing.isEmpty { return }
        byProtocol[proto, default: []].append(port)
    }

    /// No entries at all: one rule without protocol or ports. Otherwise one per protocol, sorted
    /// by name ("" for named ports without a protocol sorts first).
    private func sortedProtocols(_ byProtocol: [String: [PortMatch]]) -> [(IPProtocol?, [PortMatch])] {
        if byProtocol.isEmpty { return [(nil, [])] }
        return byProtocol.keys.sorted().map { ($0.isEmpty ? nil : IPProtocol(name: $0), byProtocol[$0] ?? []) }
    }
}
