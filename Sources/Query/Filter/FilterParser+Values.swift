import FlowCore

extension FilterParser {
    /// Turns one value into a predicate for `field`, parsing it once (addresses, numbers, enums).
    func predicate(_ field: FilterField, _ side: FlowSide, _ op: ComparisonOperator,
                   _ token: FilterToken) throws -> FilterPredicate {
        let value: String
        switch token.kind {
        case .word(let w): value = w
        case .quoted(let q): value = q
        case .end: throw error("a value is missing at the end of the filter", at: token)
        default: throw error("expected a value, found '\(token.text)'", at: token)
        }
        switch field {
        case .namespace: return .namespace(side, TextMatch(pattern: value))
        case .name: return .name(side, TextMatch(pattern: value))
        case .aggregatedName: return .aggregatedName(side, TextMatch(pattern: value))
        case .endpointKind:
            guard let kind = EndpointKind(flowLogName: value.lowercased()) else {
                throw error("unknown endpoint type '\(value)'\(Spelling.suggestion(for: value, among: ["wep", "hep", "ns", "net"])) (wep, hep, ns, net)", at: token)
            }
            return .endpointKind(side, kind)
        case .labels:
            var quoted = false
            if case .quoted = token.kind { quoted = true }
            return .labels(side, try LabelSelector(parsing: value, column: token.column, quoted: quoted))
        case .address:
            guard let prefix = IPPrefix(value) else {
                throw error("'\(value)' is not an IP address or CIDR prefix", at: token)
            }
            return .address(side, prefix)
        case .port:
            guard let port = UInt16(value) else { throw error("'\(value)' is not a port number (0–65535)", at: token) }
            return .port(side, op, port)
        case .ipProtocol:
            guard let p = IPProtocol(name: value) else {
                let names = ["tcp", "udp", "icmp", "icmpv6", "sctp", "udplite"]
                throw error("unknown protocol '\(value)'\(Spelling.suggestion(for: value, among: names)) (tcp, udp, icmp, icmpv6, sctp or a number)", at: token)
            }
            return .ipProtocol(p)
        case .verdict, .pendingVerdict:
            guard let v = Verdict(name: value) else {
                throw error("unknown action '\(value)'\(Spelling.suggestion(for: value, among: ["allow", "deny", "unknown"])) (allow, deny, unknown)", at: token)
            }
            if case .verdict = field { return .verdict(v) }
            return .pendingVerdict(v)
        case .wouldChange:
            switch value.lowercased() {
            case "yes", "true": return .wouldChange(true)
            case "no", "false": return .wouldChange(false)
            default: throw error("would_change takes yes or no, not '\(value)'", at: token)
            }
        case .policyAction:
            guard let a = PolicyAction(name: value) else {
                throw error("unknown policy action '\(value)'\(Spelling.suggestion(for: value, among: ["allow", "deny", "pass"])) (allow, deny, pass)", at: token)
            }
            return .policyAction(a)
        case .reporter:
            switch value.lowercased() {
            case "src", "source": return .reporter(.source)
            case "dst", "dest", "destination": return .reporter(.destination)
            default: throw error("unknown reporter '\(value)' (src, dst)", at: token)
            }
        case .tier: return .tier(value)
        case .policy:
            guard let pattern = PolicyPattern(value) else {
                throw error("'\(value)' is not a policy: write name, namespace/name or kind:[namespace/]name", at: token)
            }
            return .policy(pattern)
        case .counter(let counter):
            guard let n = Self.quantity(value) else {
                throw error("'\(value)' is not a count (digits with an optional k, M or G)", at: token)
            }
            return .counter(counter, op, n)
        case .vlan:
            guard let id = UInt16(value), id < 4096 else { throw error("'\(value)' is not a VLAN id (0–4095)", at: token) }
            return .vlan(op, id)
        case .node: return .node(TextMatch(pattern: value))
        case .service: return .service(TextMatch(pattern: value))
        case .domain:
            let pattern = (value.hasSuffix(".") ? String(value.dropLast()) : value).lowercased()
            guard !pattern.isEmpty, pattern.split(separator: ".", omittingEmptySubsequences: false).filter({ $0 == "*" }).count <= 1,
                  !pattern.split(separator: ".", omittingEmptySubsequences: false).contains(where: \.isEmpty) else {
                throw error("'\(value)' is not a domain name or pattern (example.com, *.example.com)", at: token)
            }
            return .domain(pattern)
        }
    }

    /// `1500`, `10k`, `2M`, `1G` (powers of 1000, as nfdump reads them).
    static func quantity(_ text: String) -> UInt64? {
        var digits = Substring(text)
        var scale: UInt64 = 1
        switch digits.last {
        case "k", "K": scale = 1_000
        case "m", "M": scale = 1_000_000
        case "g", "G": scale = 1_000_000_000
        default: break
        }
        if scale != 1 { digits = digits.dropLast() }
        guard let n = UInt64(digits) else { return nil }
        let (product, overflow) = n.multipliedReportingOverflow(by: scale)
        return overflow ? nil : product
    }
}
