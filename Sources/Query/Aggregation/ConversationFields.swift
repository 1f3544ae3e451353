import FlowCore

// What a filter or group-by key reads of a conversation (see `StoreReader.scanConversations`):
// a set of `ConversationFields`, or nil when it reads something records of one conversation do
// not share (source port, times, counters, TCP flags). Only queries whose every key and test
// has such a set may read the store column-wise; the set says what a conversation's memoised
// group depends on (`ConversationMemo`).

/// The parts of a conversation a query reads.
struct ConversationFields: OptionSet {
    let rawValue: UInt8
    static let destinationPort = ConversationFields(rawValue: 1)
    static let ipProtocol = ConversationFields(rawValue: 2)
    static let vlan = ConversationFields(rawValue: 4)
    /// Annotation or node.
    static let annotation = ConversationFields(rawValue: 8)
    static let addresses = ConversationFields(rawValue: 16)
}

extension FilterPredicate {
    /// What the test reads of a conversation; nil when its answer can differ between records of
    /// one conversation.
    var conversationFields: ConversationFields? {
        switch self {
        case .port(let side, _, _): return side == .destination ? .destinationPort : nil
        case .counter: return nil
        case .address: return .addresses
        case .ipProtocol: return .ipProtocol
        case .vlan: return .vlan
        case .namespace, .name, .aggregatedName, .endpointKind, .labels, .verdict, .pendingVerdict, .wouldChange,
             .policyAction, .reporter, .tier, .policy, .node, .service, .domain:
            return .annotation
        }
    }
}

extension FilterExpression {
    /// What the filter reads of a conversation; nil when some test reads a single record's fields.
    var conversationFields: ConversationFields? {
        switch self {
        case .all: return []
        case .predicate(let p): return p.conversationFields
        case .not(let inner): return inner.conversationFields
        case .and(let l, let r), .or(let l, let r):
            guard let left = l.conversationFields, let right = r.conversationFields else { return nil }
            return left.union(right)
        }
    }
}

extension OutputField {
    /// What the column shows of a conversation; nil when records of one conversation differ in it.
    var conversationFields: ConversationFields? {
        switch self {
        case .startTime, .endTime, .sourcePort, .packetsIn, .packetsOut, .bytesIn, .bytesOut, .packets, .bytes, .tcpFlags,
             .sourcePackets, .destPackets, .sourceBytes, .destBytes:
            return nil
        case .sourceIP, .destIP: return .addresses
        // Whether a port prints depends on the protocol.
        case .destPort, .destPortProto: return [.destinationPort, .ipProtocol]
        case .source, .dest: return [.annotation, .addresses]
        case .proto: return .ipProtocol
        case .vlan: return .vlan
        case .sourceType, .sourceNamespace, .sourceName, .sourceNameAggr, .sourceLabels,
             .destType, .destNamespace, .destName, .destNameAggr, .destLabels,
             .destServiceNamespace, .destServiceName, .action, .reporter, .policies, .pendingPolicies, .host,
             .pendingAction, .egressPolicies, .ingressPolicies, .pendingEgressPolicies, .pendingIngressPolicies, .destDomains:
            return .annotation
        }
    }
}

extension QueryPlan {
    /// For a run that reads the store column-wise, what its keys and filter read of a
    /// conversation; nil for a run that reads rows (see `readsConversationSums`).
    var conversationSumFields: ConversationFields? {
        // Time orders need each flow's start, which conversation sums do not carry.
        guard allowsConversationSums, !groupBy.isEmpty, limit == nil, !resultOrder.readsTimes,
              var fields = filter.expression.conversationFields else { return nil }
        for key in groupBy {
            guard let more = key.conversationFields else { return nil }
            fields.formUnion(more)
        }
        return fields
    }

    /// Whether the run reads the store column-wise, summing records per conversation: a
    /// group-by whose keys and filter look at conversation fields only, without `--limit`
    /// (which counts single flows).
    public var readsConversationSums: Bool { conversationSumFields != nil }
}
