import FlowCore

/// Which side of a flow a per-endpoint test looks at.
public enum FlowSide: UInt8, Sendable {
    case source, destination
    /// Either side: true when the source or the destination passes.
    case either
}

/// Exact text, or a prefix (written with a trailing `*`: `web-*`).
public enum TextMatch: Hashable, Sendable {
    case exact(String)
    case prefix(String)

    init(pattern: String) {
        if pattern.count > 1 || pattern == "*", pattern.hasSuffix("*") {
            self = .prefix(String(pattern.dropLast()))
        } else {
            self = .exact(pattern)
        }
    }

    func matches(_ text: String) -> Bool {
        switch self {
        case .exact(let wanted): return text == wanted
        case .prefix(let wanted): return text.utf8.starts(with: wanted.utf8)
        }
    }
}

/// The per-flow counters a filter can compare.
///
/// `packetsIn` … `bytesOut` have Calico's meaning: relative to the reporting endpoint (`in` is
/// what the reporter received). The reporter is the destination when the flow has an ingress
/// trace, else the source; flows stored without a cluster count from the source. `source…`
/// and `destination…` are what each side sent, whoever reports.
public enum FlowCounter: UInt8, Sendable {
    case packets, bytes, packetsIn, packetsOut, bytesIn, bytesOut
    case sourcePackets, destinationPackets, sourceBytes, destinationBytes

    /// `reportedByDestination`: see `FlowAnnotation.reportsAtDestination`.
    func value(of flow: FlowRecord, reportedByDestination: Bool) -> UInt64 {
        value(packetsOut: flow.packetsOut, bytesOut: flow.bytesOut, packetsIn: flow.packetsIn, bytesIn: flow.bytesIn,
              reportedByDestination: reportedByDestination)
    }

    /// The same from the four counters as `FlowRecord` holds them (a row's counter columns).
    @inline(__always)
    func value(packetsOut: UInt64, bytesOut: UInt64, packetsIn: UInt64, bytesIn: UInt64,
               reportedByDestination: Bool) -> UInt64 {
        // FlowRecord's `…Out` counters run source → destination, `…In` the other way.
        switch self {
        case .packets: return packetsOut &+ packetsIn
        case .bytes: return bytesOut &+ bytesIn
        case .packetsIn: return reportedByDestination ? packetsOut : packetsIn
        case .packetsOut: return reportedByDestination ? packetsIn : packetsOut
        case .bytesIn: return reportedByDestination ? bytesOut : bytesIn
        case .bytesOut: return reportedByDestination ? bytesIn : bytesOut
        case .sourcePackets: return packetsOut
        case .destinationPackets: return packetsIn
        case .sourceBytes: return bytesOut
        case .destinationBytes: return bytesIn
        }
    }
}

/// A policy named in a filter: `name`, `namespace/name` or `kind:[namespace/]name`
/// (the v3.32 flow-log name part, e.g. `knp:shop/allow-web`).
public struct PolicyPattern: Hashable, Sendable {
    public var kind: PolicyKind?
    public var namespace: String?
    public var name: String

    init?(_ text: String) {
        var rest = Substring(text)
        if let colon = rest.firstIndex(of: ":") {
            guard let kind = PolicyKind(abbreviation: String(rest[..<colon])) else { return nil }
            self.kind = kind
            rest = rest[rest.index(after: colon)...]
        }
        if let slash = rest.firstIndex(of: "/") {
            namespace = String(rest[..<slash])
            rest = rest[rest.index(after: slash)...]
        }
        guard !rest.isEmpty else { return nil }
        name = String(rest)
    }

    func matches(_ hit: PolicyHit) -> Bool {
        guard hit.name == name else { return false }
        if let kind, hit.kind != kind { return false }
        if let namespace, hit.namespace != namespace { return false }
        return true
    }
}

/// One leaf test of a filter, with its operands already parsed (addresses, numbers, enums,
/// compiled selectors), so evaluation never looks at the filter text again.
public enum FilterPredicate: Sendable {
    case namespace(FlowSide, TextMatch)
    /// The endpoint's full name (the pod name for pods).
    case name(FlowSide, TextMatch)
    case aggregatedName(FlowSide, TextMatch)
    case endpointKind(FlowSide, EndpointKind)
    /// A Calico selector over the side's labels.
    case labels(FlowSide, LabelSelector)
    case address(FlowSide, IPPrefix)
    case port(FlowSide, ComparisonOperator, UInt16)
    case ipProtocol(IPProtocol)
    /// The flow's action (its verdict); flows stored without a cluster are `unknown`.
    case verdict(Verdict)
    /// The action the flow would get if staged policies were enforced (`pendingVerdict`).
    case pendingVerdict(Verdict)
    /// Whether enforcing the staged policies would change the flow's action.
    case wouldChange(Bool)
    /// Some enforced hit (egress or ingress) took this action.
    case policyAction(PolicyAction)
    case reporter(Reporter)
    /// Some hit, enforced or pending, is in this tier.
    case tier(String)
    /// Some hit, enforced or pending, names this policy.
    case policy(PolicyPattern)
    case counter(FlowCounter, ComparisonOperator, UInt64)
    /// Outer VLAN id; untagged flows never match.
    case vlan(ComparisonOperator, UInt16)
    case node(TextMatch)
    /// The destination service, `namespace/name`.
    case service(TextMatch)
    /// Some destination domain name matches (exact, or with one `*` label as in Calico's
    /// `domains`: `*.example.com` matches `a.example.com` and `a.b.example.com`).
    case domain(String)
}
