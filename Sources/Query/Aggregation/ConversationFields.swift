import FlowCore

// Which filters and group-by keys a conversation answers alike for all its records (see
// `StoreReader.scanConversations`): everything but a record's source port, times, counters and
// TCP flags. Only those queries may read the store column-wise.

extension FilterPredicate {
    /// True when the predicate gives the same answer for every record of a conversation.
    var testsConversationFieldsOnly: Bool {
        switch self {
        case .port(let side, _, _): return side == .destination
        case .counter: return false
        case .namespace, .name, .aggregatedName, .endpointKind, .labels, .address, .ipProtocol, .verdict, .action,
             .pendingAction, .reporter, .tier, .policy, .vlan, .node, .service:
            return true
        }
    }
}

extension FilterExpression {
    var testsConversationFieldsOnly: Bool {
        switch self {
        case .all: return true
        case .predicate(let p): return p.testsConversationFieldsOnly
        case .not(let inner): return inner.testsConversationFieldsOnly
        case .and(let l, let r), .or(let l, let r): return l.testsConversationFieldsOnly && r.testsConversationFieldsOnly
        }
    }
}

extension OutputField {
    /// True when every record of a conversation has the same value in this column.
    var isConversationField: Bool {
        switch self {
        case .startTime, .endTime, .sourcePort, .packetsIn, .packetsOut, .bytesIn, .bytesOut, .packets, .bytes, .tcpFlags:
            return false
        case .sourceIP, .sourceType, .sourceNamespace, .sourceName, .sourceNameAggr, .sourceLabels,
             .destIP, .destPort, .destType, .destNamespace, .destName, .destNameAggr, .destLabels,
             .destServiceNamespace, .destServiceName, .proto, .action, .reporter, .policies, .pendingPolicies,
             .host, .vlan:
            return true
        }
    }
}

extension QueryPlan {
    /// Whether the run reads the store column-wise, summing records per conversation: a
    /// group-by whose keys and filter look at conversation fields only, without `--limit`
    /// (which counts single flows).
    public var readsConversationSums: Bool {
        allowsConversationSums && !groupBy.isEmpty && limit == nil
            && groupBy.allSatisfy(\.isConversationField) && filter.expression.testsConversationFieldsOnly
    }
}
