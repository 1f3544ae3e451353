import FlowCore

/// The fields a filter can test, by the names users type.
enum FilterField: Sendable {
    // Per side (take `src.`, `dst.` or `any.`; bare means either side).
    case namespace, name, aggregatedName, endpointKind, labels, address, port
    // Per flow.
    case ipProtocol, verdict, pendingVerdict, wouldChange, policyAction, reporter, tier, policy
    /// Counters; `packets` and `bytes` also take a side (`src.packets`: sent by the source).
    case counter(FlowCounter)
    case vlan, node, service
    /// The destination's domain names (`dst.domain`); only the destination has them.
    case domain

    var isPerSide: Bool {
        switch self {
        case .namespace, .name, .aggregatedName, .endpointKind, .labels, .address, .port: return true
        default: return false
        }
    }

    /// Whether `<`, `<=`, `>`, `>=` make sense.
    var isOrdered: Bool {
        switch self {
        case .port, .counter, .vlan: return true
        default: return false
        }
    }

    static let byName: [String: FilterField] = [
        "namespace": .namespace, "ns": .namespace,
        "pod": .name, "name": .name,
        "name_aggr": .aggregatedName, "aggr": .aggregatedName,
        "type": .endpointKind,
        "labels": .labels, "label": .labels,
        "ip": .address, "net": .address, "addr": .address,
        "port": .port,
        "proto": .ipProtocol, "protocol": .ipProtocol,
        // Calico's flow-log name is `action`; `verdict` is another spelling of the same field.
        "action": .verdict, "verdict": .verdict,
        "pending_action": .pendingVerdict,
        "would_change": .wouldChange,
        "policy_action": .policyAction,
        "reporter": .reporter,
        "tier": .tier,
        "policy": .policy,
        "packets": .counter(.packets), "bytes": .counter(.bytes),
        "packets_in": .counter(.packetsIn), "packets_out": .counter(.packetsOut),
        "bytes_in": .counter(.bytesIn), "bytes_out": .counter(.bytesOut),
        "source_packets": .counter(.sourcePackets), "dest_packets": .counter(.destinationPackets),
        "source_bytes": .counter(.sourceBytes), "dest_bytes": .counter(.destinationBytes),
        "vlan": .vlan,
        "node": .node, "host": .node,
        "service": .service, "svc": .service,
        "domain": .domain, "domains": .domain,
    ]

    static let sidePrefixes: [String: FlowSide] = [
        "src": .source, "source": .source,
        "dst": .destination, "dest": .destination, "destination": .destination,
        "any": .either,
    ]

    /// The list shown when a field is unknown.
    static let summary = "src./dst./any. namespace, pod (name), name_aggr, type, labels, ip, port; "
        + "proto, action (verdict), pending_action, would_change, policy_action, reporter, tier, policy, "
        + "packets, bytes (also src./dst.), packets_in, packets_out, bytes_in, bytes_out, vlan, node, service, dst.domain"

    /// Every name a filter accepts, for "did you mean" (built once: every mistyped field asks).
    static let allNames: [String] =
        Array(byName.keys).sorted() + sidePrefixes.keys.flatMap { side in byName.keys.map { "\(side).\($0)" } }.sorted()

    /// `src.packets`, `dst.bytes`: the counter one side sent; nil for any other field.
    func counter(sentBy side: FlowSide) -> FilterField? {
        guard case .counter(let c) = self else { return nil }
        switch (c, side) {
        case (.packets, .source): return .counter(.sourcePackets)
        case (.packets, .destination): return .counter(.destinationPackets)
        case (.bytes, .source): return .counter(.sourceBytes)
        case (.bytes, .destination): return .counter(.destinationBytes)
        default: return nil
        }
    }
}
