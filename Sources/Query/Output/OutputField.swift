import FlowCore

/// A column of query output, named as Calico flow logs name it (`source_namespace`,
/// `dest_port`, `policies`, …), plus a few fields those logs lack (`vlan`, `tcp_flags`, `host`).
public enum OutputField: String, CaseIterable, Sendable {
    case startTime = "start_time", endTime = "end_time"
    case sourceIP = "source_ip", sourcePort = "source_port", sourceType = "source_type"
    case sourceNamespace = "source_namespace", sourceName = "source_name", sourceNameAggr = "source_name_aggr"
    case sourceLabels = "source_labels"
    case destIP = "dest_ip", destPort = "dest_port", destType = "dest_type"
    case destNamespace = "dest_namespace", destName = "dest_name", destNameAggr = "dest_name_aggr"
    case destLabels = "dest_labels"
    case destServiceNamespace = "dest_service_namespace", destServiceName = "dest_service_name"
    case proto, action, reporter, policies
    case pendingPolicies = "pending_policies"
    case packetsIn = "packets_in", packetsOut = "packets_out", bytesIn = "bytes_in", bytesOut = "bytes_out"
    case packets, bytes
    case host, vlan
    case tcpFlags = "tcp_flags"

    /// The default CSV / JSON columns: Calico's flow-log record, then our extras.
    public static let standard: [OutputField] = [
        .startTime, .endTime,
        .sourceIP, .sourcePort, .sourceType, .sourceNamespace, .sourceName, .sourceNameAggr, .sourceLabels,
        .destIP, .destPort, .destType, .destNamespace, .destName, .destNameAggr, .destLabels,
        .destServiceNamespace, .destServiceName,
        .proto, .action, .reporter, .policies, .pendingPolicies,
        .packetsIn, .packetsOut, .bytesIn, .bytesOut, .host, .vlan, .tcpFlags,
    ]

    /// What fits on a terminal line.
    public static let table: [OutputField] = [
        .startTime, .proto, .sourceNamespace, .sourceName, .sourcePort, .destNamespace, .destName, .destPort,
        .action, .packets, .bytes,
    ]

    /// Filter-language spellings accepted in `--fields` and `--group-by` beside the Calico names.
    static let aliases: [String: OutputField] = [
        "start": .startTime, "end": .endTime,
        "src.ip": .sourceIP, "src.port": .sourcePort, "src.type": .sourceType, "src.namespace": .sourceNamespace,
        "src.ns": .sourceNamespace, "src.pod": .sourceName, "src.name": .sourceName, "src.name_aggr": .sourceNameAggr,
        "src.labels": .sourceLabels,
        "dst.ip": .destIP, "dst.port": .destPort, "dst.type": .destType, "dst.namespace": .destNamespace,
        "dst.ns": .destNamespace, "dst.pod": .destName, "dst.name": .destName, "dst.name_aggr": .destNameAggr,
        "dst.labels": .destLabels,
        "srcip": .sourceIP, "dstip": .destIP, "srcport": .sourcePort, "dstport": .destPort,
        "service": .destServiceName, "dst.service": .destServiceName,
        "protocol": .ipProtocol, "verdict": .action, "node": .host, "policy": .policies,
    ]

    /// Parses a comma-separated list (`source_namespace,dst.port,bytes`).
    public static func list(_ text: String, option: String) throws -> [OutputField] {
        var fields: [OutputField] = []
        var column = 1
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let name = part.trimmingSpaces.lowercased()
            guard let field = OutputField(rawValue: name) ?? aliases[name] else {
                throw FlowlogError(.invalidArgument,
                                   "unknown field '\(part)' (fields: \(allCases.map(\.rawValue).joined(separator: ", ")))",
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
        case .sourcePort, .destPort, .packetsIn, .packetsOut, .bytesIn, .bytesOut, .packets, .bytes: return true
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
