import FlowCore

/// A column of query output, named as Calico flow logs name it (`source_namespace`,
/// `dest_port`, `action`, `policies`, `packets_in`, …) with Calico's meaning, plus fields those
/// logs lack (both directions' traces, what each side sent, `vlan`, `tcp_flags`, `host`).
/// docs/query.md has the one table of fields.
public enum OutputField: String, CaseIterable, Sendable {
    case startTime = "start_time", endTime = "end_time"
    case sourceIP = "source_ip", sourcePort = "source_port", sourceType = "source_type"
    case sourceNamespace = "source_namespace", sourceName = "source_name", sourceNameAggr = "source_name_aggr"
    case sourceLabels = "source_labels"
    case destIP = "dest_ip", destPort = "dest_port", destType = "dest_type"
    case destNamespace = "dest_namespace", destName = "dest_name", destNameAggr = "dest_name_aggr"
    case destLabels = "dest_labels"
    case destServiceNamespace = "dest_service_namespace", destServiceName = "dest_service_name"
    case proto, action, reporter
    /// The reporter's enforced and pending traces, as Calico's record has them.
    case policies
    case pendingPolicies = "pending_policies"
    /// Calico's counters, relative to the reporter.
    case packetsIn = "packets_in", packetsOut = "packets_out", bytesIn = "bytes_in", bytesOut = "bytes_out"
    // Ours.
    /// Each side in a word: `namespace/pod` for a pod, the IP address otherwise.
    case source, dest
    /// `443/tcp`; the protocol alone when it has no ports (`icmp`).
    case destPortProto = "dest_port_proto"
    /// The action if staged policies were enforced.
    case pendingAction = "pending_action"
    case egressPolicies = "egress_policies", ingressPolicies = "ingress_policies"
    case pendingEgressPolicies = "pending_egress_policies", pendingIngressPolicies = "pending_ingress_policies"
    /// What each side sent, whoever reports.
    case sourcePackets = "source_packets", destPackets = "dest_packets"
    case sourceBytes = "source_bytes", destBytes = "dest_bytes"
    case packets, bytes
    case host, vlan
    case tcpFlags = "tcp_flags"
    /// Calico Enterprise's `dest_domains`: the names DNS answers linked to the destination.
    case destDomains = "dest_domains"

    /// The default CSV / JSON columns: Calico's flow-log record, then our extras.
    public static let standard: [OutputField] = [
        .startTime, .endTime,
        .sourceIP, .sourcePort, .sourceType, .sourceNamespace, .sourceName, .sourceNameAggr, .sourceLabels,
        .destIP, .destPort, .destType, .destNamespace, .destName, .destNameAggr, .destLabels,
        .destServiceNamespace, .destServiceName,
        .proto, .action, .reporter, .policies, .pendingPolicies,
        .packetsIn, .packetsOut, .bytesIn, .bytesOut,
        .pendingAction, .egressPolicies, .ingressPolicies, .pendingEgressPolicies, .pendingIngressPolicies,
        .sourcePackets, .destPackets, .sourceBytes, .destBytes,
        .host, .vlan, .tcpFlags, .destDomains,
    ]

    /// The terminal table: both ends, the service, the action and the size, in 120 columns.
    public static let table: [OutputField] = [
        .startTime, .source, .dest, .destPortProto, .action, .packets, .bytes,
    ]

    /// `-o wide`: the table with addresses, ports, the pending action and the reporter.
    public static let wide: [OutputField] = [
        .startTime, .endTime, .proto, .sourceIP, .sourcePort, .source, .destIP, .destPort, .dest,
        .destServiceName, .action, .pendingAction, .reporter, .sourcePackets, .destPackets, .sourceBytes, .destBytes,
    ]

    /// Filter-language spellings accepted in `--fields` and `--group-by` beside the Calico names.
    static let aliases: [String: OutputField] = [
        "start": .startTime, "end": .endTime,
        "src.ip": .sourceIP, "src.port": .sourcePort, "src.type": .sourceType, "src.namespace": .sourceNamespace,
        "src.ns": .sourceNamespace, "src.pod": .sourceName, "src.name": .sourceName, "src.name_aggr": .sourceNameAggr,
        "src.labels": .sourceLabels, "src.packets": .sourcePackets, "src.bytes": .sourceBytes,
        "dst.ip": .destIP, "dst.port": .destPort, "dst.type": .destType, "dst.namespace": .destNamespace,
        "dst.ns": .destNamespace, "dst.pod": .destName, "dst.name": .destName, "dst.name_aggr": .destNameAggr,
        "dst.labels": .destLabels, "dst.packets": .destPackets, "dst.bytes": .destBytes,
        "src": .source, "dst": .dest,
        "srcip": .sourceIP, "dstip": .destIP, "srcport": .sourcePort, "dstport": .destPort,
        "service": .destServiceName, "dst.service": .destServiceName,
        "dst.domain": .destDomains, "dst.domains": .destDomains, "domain": .destDomains,
        "protocol": .ipProtocol, "verdict": .action, "node": .host,
    ]

    /// The table's column heading: the name, shortened where the values are much narrower.
    var tableHeading: String {
        switch self {
        case .startTime: return "START"
        case .endTime: return "END"
        case .destPortProto: return "PORT"
        case .source: return "SOURCE"
        case .dest: return "DESTINATION"
        default: return rawValue.uppercased()
        }
    }

    /// Table columns that may be cut (with `…`) to fit the terminal.
    var isShrinkable: Bool {
        switch self {
        case .source, .dest, .sourceName, .destName, .sourceLabels, .destLabels, .policies, .pendingPolicies,
             .egressPolicies, .ingressPolicies, .pendingEgressPolicies, .pendingIngressPolicies, .destServiceName, .destDomains:
            return true
        default: return false
        }
    }

    /// Parses a comma-separated list (`source_namespace,dst.port,bytes`).
    public static func list(_ text: String, option: String) throws -> [OutputField] {
        var fields: [OutputField] = []
        var column = 1
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let name = part.trimmingSpaces.lowercased()
            guard let field = OutputField(rawValue: name) ?? aliases[name] else {
                let suggestion = Spelling.suggestion(for: name, among: allCases.map(\.rawValue) + aliases.keys.sorted())
                throw FlowlogError(.invalidArgument,
                                   "unknown field '\(part)'\(suggestion) (fields: \(allCases.map(\.rawValue).joined(separator: ", ")))",
                                   location: FlowlogError.Location(column: column, field: option))
            }
            fields.append(field)
            column += part.count + 1
        }
        return fields
    }

    /// Numbers in JSON; everything else is text, a label object or a list.
    var isNumeric: Bool {
        switch self {
        case .sourcePort, .destPort, .packetsIn, .packetsOut, .bytesIn, .bytesOut, .packets, .bytes,
             .sourcePackets, .destPackets, .sourceBytes, .destBytes: return true
        default: return false
        }
    }
}

extension OutputField {
    static let ipProtocol = OutputField.proto
}

extension Substring {
    var trimmingSpaces: String {
        var s = self[...]
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
