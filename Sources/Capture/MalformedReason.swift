/// Why a frame could not be decoded down to its flow key. Every such frame is counted under
/// exactly one reason; none ever stops a capture.
///
/// The `name`s are stable: they appear in `flowlog replay --summary-format json`.
public enum MalformedReason: Int, CaseIterable, Sendable, CustomStringConvertible {
    /// Shorter than the link-layer header (Ethernet, SLL, SLL2, NULL/LOOP family, empty raw frame).
    case linkHeaderTruncated = 0
    /// An 802.1Q/802.1ad tag announced but cut off.
    case vlanTagTruncated
    /// An MPLS label stack cut off before its bottom-of-stack entry.
    case mplsTruncated
    /// Fewer than 20 bytes of IPv4 header, or options cut off.
    case ipv4HeaderTruncated
    /// IPv4 header length below 20 bytes, a total length below the header length, or a
    /// version field that is not 4.
    case ipv4HeaderInvalid
    /// Fewer than 40 bytes of IPv6 header.
    case ipv6HeaderTruncated
    /// IPv6 version field not 6.
    case ipv6HeaderInvalid
    /// An IPv6 extension header (hop-by-hop, routing, fragment, destination options, AH) cut off.
    case ipv6ExtensionTruncated
    /// More chained IPv6 extension headers than any sane packet carries (a loop guard).
    case ipv6ExtensionChainTooLong
    /// A raw-IP link frame whose version nibble is neither 4 nor 6.
    case ipVersionInvalid
    /// The TCP/UDP/SCTP ports, TCP flags or ICMP type/code/identifier are cut off.
    case transportHeaderTruncated

    public var name: String {
        switch self {
        case .linkHeaderTruncated: return "link-header-truncated"
        case .vlanTagTruncated: return "vlan-tag-truncated"
        case .mplsTruncated: return "mpls-truncated"
        case .ipv4HeaderTruncated: return "ipv4-header-truncated"
        case .ipv4HeaderInvalid: return "ipv4-header-invalid"
        case .ipv6HeaderTruncated: return "ipv6-header-truncated"
        case .ipv6HeaderInvalid: return "ipv6-header-invalid"
        case .ipv6ExtensionTruncated: return "ipv6-extension-truncated"
        case .ipv6ExtensionChainTooLong: return "ipv6-extension-chain-too-long"
        case .ipVersionInvalid: return "ip-version-invalid"
        case .transportHeaderTruncated: return "transport-header-truncated"
        }
    }

    public var description: String { name }

    /// Reasons that mean the frame was cut short (as opposed to carrying impossible values).
    public var isTruncation: Bool {
        switch self {
        case .ipv4HeaderInvalid, .ipv6HeaderInvalid, .ipv6ExtensionChainTooLong, .ipVersionInvalid: return false
        default: return true
        }
    }
}

/// A per-reason counter table without per-packet allocation.
public struct MalformedCounts: Hashable, Sendable, Sequence {
    var counts: [UInt64] = Array(repeating: 0, count: MalformedReason.allCases.count)

    public init() {}

    public subscript(reason: MalformedReason) -> UInt64 {
        get { counts[reason.rawValue] }
        set { counts[reason.rawValue] = newValue }
    }

    mutating func increment(_ reason: MalformedReason) { counts[reason.rawValue] &+= 1 }

    public var total: UInt64 { counts.reduce(0, &+) }
    public var truncated: UInt64 { MalformedReason.allCases.filter(\.isTruncation).reduce(0) { $0 &+ counts[$1.rawValue] } }
    public var invalid: UInt64 { total &- truncated }

    /// Non-zero reasons in declaration order.
    public func makeIterator() -> some IteratorProtocol<(reason: MalformedReason, count: UInt64)> {
        MalformedReason.allCases.compactMap { counts[$0.rawValue] == 0 ? nil : (reason: $0, count: counts[$0.rawValue]) }.makeIterator()
    }

    mutating func add(_ other: MalformedCounts) {
        for i in counts.indices { counts[i] &+= other.counts[i] }
    }
}
