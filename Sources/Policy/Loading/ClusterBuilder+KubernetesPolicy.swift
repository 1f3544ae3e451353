import FlowCore

/// networking.k8s.io/v1 NetworkPolicy → Calico policy, as Calico converts it (§1.3, §6.9, §6.10):
/// tier `default`, order 1000, every rule Allow, one rule per (protocol × peer) with protocols
/// sorted by name, so that rule indexes match Calico's flow logs.
extension ClusterBuilder {
    static let kubernetesPolicyOrder = 1000.0

    mutating func addKubernetesPolicy(_ r: ManifestField, metadata: ManifestField, name: String, staged: Bool) {
        let namespace = metadata.string("namespace") ?? "default"
        guard let spec = r.child("spec"), spec.isMapping else {
            r.error("missing required field spec")
            return
        }
        let podSelector = spec.child("podSelector").map(Self.labelSelector) ?? .all
        let selector = Selector.orchestratorKubernetes.and(podSelector).and(.namespaceEquals(namespace))
        let ingressRules = spec.list("ingress")
        let egressRules = spec.list("egress")
        var appliesToIngress = true
        var appliesToEgress = !egressRules.isEmpty
        if spec.child("policyTypes") != nil {
            appliesToIngress = false
            appliesToEgress = false
            for t in spec.list("policyTypes") {
                switch t.scalarText {
                case "Ingress": appliesToIngress = true
                case "Egress": appliesToEgress = true
                case let other: t.error("policyTypes entries must be Ingress or Egress, not '\(other ?? "")'")
                }
            }
        }
        let ingress = ingressRules.flatMap { convert($0, peersKey: "from", ingress: true, namespace: namespace) }
        let egress = egressRules.flatMap { convert($0, peersKey: "to", ingress: false, namespace: namespace) }
        var stagedAction = StagedAction.set
        if staged, let a = spec.child("stagedAction"), let text = a.scalarText {
            if let parsed = StagedAction(rawValue: text) { stagedAction = parsed }
            else { a.error("stagedAction must be Set, Delete, Learn or Ignore, not '\(text)'") }
        }
        cluster.policies.append(ClusterPolicy(
            kind: staged ? .stagedKubernetesNetworkPolicy : .kubernetesNetworkPolicy,
            namespace: namespace, name: name, tier: PolicyTier.defaultTierName, order: Self.kubernetesPolicyOrder,
            selector: selector, appliesToIngress: appliesToIngress, appliesToEgress: appliesToEgress,
            ingress: ingress, egress: egress, stagedAction: stagedAction, origin: r.file))
    }

    /// One Kubernetes rule → Calico rules: protocols (sorted) outer, peers (listed order) inner.
    private func convert(_ f: ManifestField, peersKey: String, ingress: Bool, namespace: String) -> [PolicyRule] {
        // Protocol name → ports; an empty list means every port of that protocol.
        var byProtocol: [String: [PortMatch]] = [:]
        var anyProtocol = false
        for p in f.list("ports") {
            let protoField = p.child("protocol")
            let portField = p.child("port")
            if protoField == nil && portField == nil {
                anyProtocol = true
                break
            }
            let protoName = (protoField?.scalarText ?? "TCP").uppercased()
            guard ["TCP", "UDP", "SCTP"].contains(protoName) else {
                protoField?.error("protocol must be TCP, UDP or SCTP")
                continue
            }
            guard let portField, let text = portField.scalarText else {
                byProtocol[protoName] = []  // all ports of this protocol
                continue
            }
            let match: PortMatch
            if let n = Int(text) {
                guard (1...65535).contains(n) else { portField.error("port \(n) is outside 1...65535"); continue }
                if let end = p.integer("endPort", in: 1...65535) {
                    guard end >= n else { p.child("endPort")?.error("endPort \(end) is below port \(n)"); continue }
                    match = .range(UInt16(n), UInt16(end))
                } else {
                    match = .range(UInt16(n), UInt16(n))
                }
            } else {
                match = .named(text)
            }
            if let existing = byProtocol[protoName], existing.isEmpty, byProtocol.keys.contains(protoName) {
                continue  // already "all ports" for this protocol
            }
            byProtocol[protoName, default: []].append(match)
        }
        let protocols: [(IPProtocol?, [PortMatch])] = anyProtocol || byProtocol.isEmpty
            ? [(nil, [])]
            : byProtocol.keys.sorted().map { (IPProtocol(name: $0), byProtocol[$0] ?? []) }

        let peerFields = f.list(peersKey)
        let peers: [EntityMatch] = peerFields.isEmpty ? [EntityMatch()] : peerFields.map { peer($0, namespace: namespace) }
        var rules: [PolicyRule] = []
        for (proto, ports) in protocols {
            for peerMatch in peers {
                var rule = PolicyRule(action: .allow)
                rule.ipProtocol = proto
                if ingress {
                    rule.source = peerMatch
                    rule.destination.ports = ports
                } else {
                    rule.destination = peerMatch
                    rule.destination.ports = ports
                }
                rules.append(rule)
            }
        }
        return rules
    }

    private func peer(_ f: ManifestField, namespace: String) -> EntityMatch {
        var e = EntityMatch()
        if let block = f.child("ipBlock") {
            if let cidr = block.child("cidr").flatMap(Self.prefix) { e.nets = [cidr] } else if block.child("cidr") == nil {
                block.error("ipBlock needs a cidr")
            }
            e.notNets = block.list("except").compactMap(Self.prefix)
            return e
        }
        let pods = f.child("podSelector").map(Self.labelSelector)
        let namespaces = f.child("namespaceSelector").map(Self.labelSelector)
        // A pod selector always carries the orchestrator clause, so it never matches host
        // endpoints or network sets.
        let podPart = Selector.orchestratorKubernetes.and(pods ?? .all)
        if let namespaces {
            e.namesNamespaceSelector = true
            e.selector = podPart.and(namespaces.namespaceScoped())
        } else if pods != nil {
            e.selector = podPart.and(.namespaceEquals(namespace))
        } else {
            f.error("a peer needs podSelector, namespaceSelector or ipBlock")
        }
        return e
    }

    /// A Kubernetes LabelSelector (matchLabels, matchExpressions) as a Calico selector.
    static func labelSelector(_ f: ManifestField) -> Selector {
        var parts: [SelectorExpression] = []
        let matchLabels = f.stringMap("matchLabels")
        for key in matchLabels.keys.sorted() { parts.append(.equal(key, matchLabels[key]!)) }
        for e in f.list("matchExpressions") {
            guard let key = e.requiredString("key"), let op = e.requiredString("operator") else { continue }
            let values = e.stringList("values")
            switch op {
            case "In": parts.append(.member(key, SelectorExpression.sortedSet(values)))
            case "NotIn": parts.append(.notMember(key, SelectorExpression.sortedSet(values)))
            case "Exists": parts.append(.has(key))
            case "DoesNotExist": parts.append(.not(.has(key)))
            default: e.child("operator")?.error("operator must be In, NotIn, Exists or DoesNotExist, not '\(op)'")
            }
        }
        switch parts.count {
        case 0: return .all
        case 1: return Selector(expression: parts[0])
        default: return Selector(expression: .and(parts))
        }
    }
}

extension Selector {
    static let orchestratorKubernetes = Selector(expression: .equal(ClusterLabels.orchestrator, "k8s"))
}
