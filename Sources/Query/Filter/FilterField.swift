import FlowCore

/// The fields a filter can test, by the names users type.
enum FilterField: Sendable {
    // Per side (take `src.`, `dst.` or `any.`; bare means either side).
    case namespace, name, aggregatedName, endpointKind, labels, address, port
    // Per flow.
    case ipProtocol, verdict, action, pendingAction, reporter, tier, policy
    case counter(FlowCounter)
    case vlan, node, service

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
        "verdict": .verdict,
        "action": .action,
        "pending_action": .pendingAction,
        "reporter": .reporter,
        "tier": .tier,
        "policy": .policy,
        "packets": .counter(.packets), "bytes": .counter(.bytes),
        "packets_in": .counter(.packetsIn), "packets_out": .counter(.packetsOut),
        "bytes_in": .counter(.bytesIn), "bytes_out": .counter(.bytesOut),
        "vlan": .vlan,
        "node": .node, "host": .node,
        "service": .service, "svc": .service,
    ]

    static let sidePrefixes: [String: FlowSide] = [
        "src": .source, "source": .source,
        "dst": .destination, "dest": .destination, "destination": .destination,
        "any": .either,
    ]

    /// The list shown when a field is unknown.
    static let summary = "src./dst./any. namespace, pod (name), name_aggr, type, labels, ip, port; "
        + "proto, verdict, action, pending_action, reporter, tier, policy, packets, bytes, packets_in, "
        + "packets_out, bytes_in, bytes_out, vlan, node, service"
}
