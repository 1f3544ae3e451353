import FlowCore

/// Decides from a block's digest whether any of its flows can pass a filter and time window,
/// so the scan skips blocks that cannot. Sound by construction: it answers "skip" only when
/// the digest proves no flow matches (no false negatives).
///
/// Each filter node gets two may-questions, "can some flow make this true?" and "can some flow
/// make this false?"; `not` swaps them, `and`/`or` combine them. Bloom-filter leaves (names,
/// namespaces, ports, prefixes, policies, tiers, node, service) can only rule out "true";
/// exact leaves (verdict, protocol) can rule out either. Everything else is "maybe" both ways.
public struct BlockPruner: Sendable {
    indirect enum Node: Sendable {
        /// True may occur only if one of these Bloom tokens may be present.
        case anyToken([UInt64])
        case verdict(Verdict)
        case ipProtocol(IPProtocol)
        /// The digest says nothing about it.
        case unknown
        case always
        case and(Node, Node)
        case or(Node, Node)
        case not(Node)
    }

    let root: Node
    public let since: Timestamp?
    public let until: Timestamp?

    public init(filter: FilterExpression, since: Timestamp? = nil, until: Timestamp? = nil) {
        root = Self.node(for: filter)
        self.since = since
        self.until = until
    }

    /// `mayMatch`, for a scan's visitor: a block skipped that the time window alone would have
    /// read is counted in `prunedByFilter`.
    func shouldRead(_ digest: BlockDigest, prunedByFilter: inout Int) -> Bool {
        if mayMatch(digest) { return true }
        if digest.mayOverlap(since: since, until: until) { prunedByFilter += 1 }
        return false
    }

    /// Whether the block may hold a flow in the window that passes the filter.
    public func mayMatch(_ digest: BlockDigest) -> Bool {
        guard digest.count > 0, digest.mayOverlap(since: since, until: until) else { return false }
        return Self.possibilities(root, digest).canBeTrue
    }

    private static func possibilities(_ node: Node, _ d: BlockDigest) -> (canBeTrue: Bool, canBeFalse: Bool) {
        switch node {
        case .always:
            return (true, false)
        case .unknown:
            return (true, true)
        case .anyToken(let tokens):
            for token in tokens where d.mayContain(token: token) { return (true, true) }
            return (false, true)
        case .verdict(let v):
            let mine: UInt8 = 1 << v.rawValue
            return (d.verdictMask & mine != 0, d.verdictMask & ~mine != 0)
        case .ipProtocol(let p):
            let present = d.mayContain(protocol: p)
            let (a, b, c, e) = d.protocolMask
            let total = a.nonzeroBitCount + b.nonzeroBitCount + c.nonzeroBitCount + e.nonzeroBitCount
            return (present, total > (present ? 1 : 0))
        case .not(let inner):
            let r = possibilities(inner, d)
            return (r.canBeFalse, r.canBeTrue)
        case .and(let l, let r):
            let a = possibilities(l, d)
            if !a.canBeTrue { return (false, true) }
            let b = possibilities(r, d)
            return (a.canBeTrue && b.canBeTrue, a.canBeFalse || b.canBeFalse)
        case .or(let l, let r):
            let a = possibilities(l, d)
            if !a.canBeFalse { return (true, false) }
            let b = possibilities(r, d)
            return (a.canBeTrue || b.canBeTrue, a.canBeFalse && b.canBeFalse)
        }
    }

    // MARK: - From the filter

    static func node(for expression: FilterExpression) -> Node {
        switch expression {
        case .all: return .always
        case .not(let e): return .not(node(for: e))
        case .and(let l, let r): return .and(node(for: l), node(for: r))
        case .or(let l, let r): return .or(node(for: l), node(for: r))
        case .predicate(let p): return node(for: p)
        }
    }

    private static func node(for predicate: FilterPredicate) -> Node {
        switch predicate {
        case .namespace(let side, .exact(let text)):
            return textTokens(side, .sourceNamespace, .destinationNamespace, text)
        case .name(let side, .exact(let text)):
            return textTokens(side, .sourceName, .destinationName, text)
        case .aggregatedName(let side, .exact(let text)):
            return textTokens(side, .sourceAggregatedName, .destinationAggregatedName, text)
        case .address(let side, let prefix):
            var tokens: [UInt64] = []
            if side != .destination {
                guard let t = prefixToken(.sourcePrefix, prefix) else { return .unknown }
                tokens.append(t)
            }
            if side != .source {
                guard let t = prefixToken(.destinationPrefix, prefix) else { return .unknown }
                tokens.append(t)
            }
            return .anyToken(tokens)
        case .port(let side, .equal, let port):
            var tokens: [UInt64] = []
            if side != .destination {
                // Ephemeral source ports are not indexed: such a block can always match.
                guard port < BlockDigest.indexedSourcePortLimit else { return .unknown }
                tokens.append(BlockDigest.token(.sourcePort, port: port))
            }
            if side != .source { tokens.append(BlockDigest.token(.destinationPort, port: port)) }
            return .anyToken(tokens)
        case .ipProtocol(let p):
            return .ipProtocol(p)
        case .verdict(let v):
            return .verdict(v)
        case .tier(let tier):
            return .anyToken([BlockDigest.token(.tierName, tier)])
        case .policy(let pattern):
            return .anyToken([BlockDigest.token(.policyName, pattern.name)])
        case .node(.exact(let name)) where !name.isEmpty:
            return .anyToken([BlockDigest.token(.node, name)])
        case .service(.exact(let name)) where !name.isEmpty:
            return .anyToken([BlockDigest.token(.service, name)])
        default:
            return .unknown
        }
    }

    private static func textTokens(_ side: FlowSide, _ source: BlockDigest.Field, _ destination: BlockDigest.Field,
                                   _ text: String) -> Node {
        switch side {
        case .source: return .anyToken([BlockDigest.token(source, text)])
        case .destination: return .anyToken([BlockDigest.token(destination, text)])
        case .either: return .anyToken([BlockDigest.token(source, text), BlockDigest.token(destination, text)])
        }
    }

    /// The token `BlockDigest.mayContain(_:addressIn:)` would test: the longest indexed prefix
    /// length not longer than the filter's; nil when the filter's prefix is shorter than all.
    private static func prefixToken(_ field: BlockDigest.Field, _ prefix: IPPrefix) -> UInt64? {
        let lengths = prefix.address.version == .v4 ? BlockDigest.indexedIPv4PrefixLengths : BlockDigest.indexedIPv6PrefixLengths
        guard let usable = lengths.last(where: { $0 <= prefix.length }) else { return nil }
        return BlockDigest.token(field, prefix: prefix.address, length: usable)
    }
}
