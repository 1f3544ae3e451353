import FlowCore

/// The columns of the flows table, in table and INSERT order: provenance (which store,
/// segment, block and row a flow came from), the flow record, then the annotation.
///
/// Every field of an `AnnotatedFlow` has a column, so a flow read back from ClickHouse is the
/// flow that was stored. The types are the subset that ClickHouse 18.16 (Debian 12's package)
/// and current releases both accept: no `IPv6`, `Map`, `LowCardinality` or `DateTime64`.
enum FlowColumn: String, CaseIterable, Sendable {
    // Provenance: where the flow lives in its node's store. Export idempotency rests on these.
    case storeID = "store_id", segment, block, row
    case node
    // The flow record.
    case startNanoseconds = "start_ns", endNanoseconds = "end_ns"
    case ipVersion = "ip_version", sourceAddress = "src_addr", destinationAddress = "dst_addr"
    case sourcePort = "src_port", destinationPort = "dst_port", ipProtocol = "protocol"
    case vlan, innerVLAN = "inner_vlan", icmpType = "icmp_type", icmpCode = "icmp_code"
    case packetsOut = "packets_out", bytesOut = "bytes_out", packetsIn = "packets_in", bytesIn = "bytes_in"
    case tcpFlagsOut = "tcp_flags_out", tcpFlagsIn = "tcp_flags_in", status
    /// The names DNS answers linked to the destination address (`dest_domains`), in the
    /// store's order: the queried name first, then its CNAME chain.
    case destinationDomains = "dst_domains"
    // The annotation (contiguous, so a row's annotation bytes can be encoded once per box).
    case annotated, verdict
    /// Derived, for SQL users and filters: the action if staged policies were enforced, and
    /// who reports the flow as Calico would (`FlowAnnotation.pendingVerdict`, `.reporter`).
    /// Reading rows back ignores them (the traces carry the same facts).
    case pendingVerdict = "pending_verdict", reporter
    case sourceKind = "src_kind", sourceNamespace = "src_namespace", sourceName = "src_name"
    case sourceNameAggr = "src_name_aggr", sourceLabelKeys = "src_label_keys", sourceLabelValues = "src_label_values"
    case sourceServiceAccount = "src_service_account"
    case destinationKind = "dst_kind", destinationNamespace = "dst_namespace", destinationName = "dst_name"
    case destinationNameAggr = "dst_name_aggr", destinationLabelKeys = "dst_label_keys", destinationLabelValues = "dst_label_values"
    case destinationServiceAccount = "dst_service_account"
    case destinationService = "dst_service"
    case egressReporter = "egress_reporter", egressAction = "egress_action"
    case egressHitIndex = "egress_hit_index", egressHitTier = "egress_hit_tier", egressHitKind = "egress_hit_kind"
    case egressHitNamespace = "egress_hit_namespace", egressHitName = "egress_hit_name"
    case egressHitAction = "egress_hit_action", egressHitRule = "egress_hit_rule"
    case ingressReporter = "ingress_reporter", ingressAction = "ingress_action"
    case ingressHitIndex = "ingress_hit_index", ingressHitTier = "ingress_hit_tier", ingressHitKind = "ingress_hit_kind"
    case ingressHitNamespace = "ingress_hit_namespace", ingressHitName = "ingress_hit_name"
    case ingressHitAction = "ingress_hit_action", ingressHitRule = "ingress_hit_rule"
    case pendingEgressReporter = "pending_egress_reporter", pendingEgressAction = "pending_egress_action"
    case pendingEgressHitIndex = "pending_egress_hit_index", pendingEgressHitTier = "pending_egress_hit_tier"
    case pendingEgressHitKind = "pending_egress_hit_kind", pendingEgressHitNamespace = "pending_egress_hit_namespace"
    case pendingEgressHitName = "pending_egress_hit_name", pendingEgressHitAction = "pending_egress_hit_action"
    case pendingEgressHitRule = "pending_egress_hit_rule"
    case pendingIngressReporter = "pending_ingress_reporter", pendingIngressAction = "pending_ingress_action"
    case pendingIngressHitIndex = "pending_ingress_hit_index", pendingIngressHitTier = "pending_ingress_hit_tier"
    case pendingIngressHitKind = "pending_ingress_hit_kind", pendingIngressHitNamespace = "pending_ingress_hit_namespace"
    case pendingIngressHitName = "pending_ingress_hit_name", pendingIngressHitAction = "pending_ingress_hit_action"
    case pendingIngressHitRule = "pending_ingress_hit_rule"

    static let verdictType = "Enum8('unknown' = 0, 'allow' = 1, 'deny' = 2)"
    static let kindType = "Enum8('none' = 0, 'wep' = 1, 'hep' = 2, 'ns' = 3, 'net' = 4)"
    static let reporterType = "Enum8('none' = 0, 'src' = 1, 'dst' = 2)"
    static let policyKindType = "Enum8('gnp' = 1, 'np' = 2, 'knp' = 3, 'sgnp' = 4, 'snp' = 5, 'sknp' = 6, 'pro' = 7)"
    static let hitActionType = "Enum8('allow' = 1, 'deny' = 2, 'pass' = 3)"

    /// The column's ClickHouse type.
    var type: String {
        switch self {
        case .storeID, .node, .sourceNamespace, .sourceName, .sourceNameAggr, .sourceServiceAccount,
             .destinationNamespace, .destinationName, .destinationNameAggr, .destinationServiceAccount, .destinationService:
            return "String"
        case .segment, .startNanoseconds, .endNanoseconds, .packetsOut, .bytesOut, .packetsIn, .bytesIn: return "UInt64"
        case .block, .row: return "UInt32"
        case .ipVersion, .ipProtocol, .icmpType, .icmpCode, .tcpFlagsOut, .tcpFlagsIn, .annotated: return "UInt8"
        case .sourceAddress, .destinationAddress: return "FixedString(16)"
        case .sourcePort, .destinationPort, .vlan, .innerVLAN, .status: return "UInt16"
        case .verdict, .pendingVerdict: return Self.verdictType
        case .reporter: return Self.reporterType
        case .sourceKind, .destinationKind: return Self.kindType
        case .sourceLabelKeys, .sourceLabelValues, .destinationLabelKeys, .destinationLabelValues, .destinationDomains:
            return "Array(String)"
        default:
            guard let (_, part) = traceColumn else { preconditionFailure("untyped column \(rawValue)") }
            switch part {
            case .reporter: return Self.reporterType
            case .action: return Self.verdictType
            case .hitIndex, .hitRule: return "Array(Int32)"
            case .hitTier, .hitNamespace, .hitName: return "Array(String)"
            case .hitKind: return "Array(\(Self.policyKindType))"
            case .hitAction: return "Array(\(Self.hitActionType))"
            }
        }
    }

    /// The four policy traces of an annotation.
    enum Trace: Int, CaseIterable, Sendable {
        case egress, ingress, pendingEgress, pendingIngress

        var prefix: String { ["egress", "ingress", "pending_egress", "pending_ingress"][rawValue] }
        func of(_ a: FlowAnnotation) -> PolicyTrace? {
            switch self {
            case .egress: return a.egress
            case .ingress: return a.ingress
            case .pendingEgress: return a.pendingEgress
            case .pendingIngress: return a.pendingIngress
            }
        }
        func column(_ part: TracePart) -> FlowColumn { FlowColumn(rawValue: prefix + "_" + part.suffix)! }
    }

    /// One trace is nine columns: its reporter and action, and its hits as parallel arrays.
    enum TracePart: Int, CaseIterable, Sendable {
        case reporter, action, hitIndex, hitTier, hitKind, hitNamespace, hitName, hitAction, hitRule
        var suffix: String {
            ["reporter", "action", "hit_index", "hit_tier", "hit_kind", "hit_namespace", "hit_name", "hit_action", "hit_rule"][rawValue]
        }
    }

    /// Which trace and part a trace column is, nil for other columns.
    var traceColumn: (Trace, TracePart)? {
        for trace in Trace.allCases where rawValue.hasPrefix(trace.prefix + "_") {
            let suffix = rawValue.dropFirst(trace.prefix.count + 1)
            // "egress_" is also a prefix of nothing else; "pending_egress_…" never matches "egress_".
            if let part = TracePart.allCases.first(where: { $0.suffix == suffix }) { return (trace, part) }
        }
        return nil
    }

    /// First column of the annotation group.
    static let firstAnnotationColumn = FlowColumn.annotated

    /// The comma-separated column list of an INSERT or SELECT.
    static func list(_ columns: [FlowColumn]) -> String { columns.map(\.rawValue).joined(separator: ", ") }
}
