import FlowCore

/// The address ranges a report treats as "not the internet", and the containment tests both
/// readings use.
///
/// flowlog's reading: a CIDR is private only when every address in it lies in one of the ranges
/// (after removing the rule's `notNets`). Calico's reading (kept for the compatible columns):
/// private when the CIDR's network address is IPv4 RFC 1918, so `10.0.0.0/7` counts as private
/// and every IPv6 range as public (compliance §1.5).
public struct PrivateNetworks: Sendable, Hashable {
    public let prefixes: [IPPrefix]

    public init(prefixes: [IPPrefix]) { self.prefixes = prefixes }

    /// RFC 1918, shared address space (RFC 6598), link-local, loopback, IPv6 ULA, link-local and loopback.
    public static let standard = PrivateNetworks(prefixes: [
        "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16", "127.0.0.0/8",
        "fc00::/7", "fe80::/10", "::1/128",
    ].map { IPPrefix($0)! })

    public func contains(_ address: IPAddress) -> Bool { prefixes.contains { $0.contains(address) } }

    /// Whether every address of `net` is private or inside one of `excluded`.
    public func covers(_ net: IPPrefix, excluding excluded: [IPPrefix] = []) -> Bool {
        Self.covered(net, by: prefixes + excluded, depth: 0)
    }

    /// Calico's test (compliance §1.5): the network address alone, IPv4 RFC 1918 only.
    public static func calicoCallsPrivate(_ net: IPPrefix) -> Bool { net.address.isRFC1918 }

    /// `net` ⊆ ∪ `cover`: true when one prefix holds it, false when none reaches inside it,
    /// otherwise each half is checked; only halves some prefix reaches into recurse, so the
    /// work is bounded by prefixes × address bits.
    static func covered(_ net: IPPrefix, by cover: [IPPrefix], depth: Int) -> Bool {
        if cover.contains(where: { $0.holds(net) }) { return true }
        let inside = cover.filter { net.holds($0) }
        guard !inside.isEmpty, net.length < net.address.bitWidth else { return false }
        let (low, high) = net.halves
        return covered(low, by: inside, depth: depth + 1) && covered(high, by: inside, depth: depth + 1)
    }
}

extension IPPrefix {
    /// Whether every address of `other` is in this prefix.
    func holds(_ other: IPPrefix) -> Bool {
        other.address.version == address.version && other.length >= length && other.address.masked(to: length) == address
    }

    func overlaps(_ other: IPPrefix) -> Bool { holds(other) || other.holds(self) }

    /// The two prefixes one bit longer.
    var halves: (IPPrefix, IPPrefix) {
        var upper = address
        if address.version == .v4 {
            upper.low |= UInt64(1) << UInt64(31 - length)
        } else if length < 64 {
            upper.high |= UInt64(1) << UInt64(63 - length)
        } else {
            upper.low |= UInt64(1) << UInt64(127 - length)
        }
        return (IPPrefix(address: address, length: length + 1), IPPrefix(address: upper, length: length + 1))
    }

    static let everyIPv4 = IPPrefix("0.0.0.0/0")!
    static let everyIPv6 = IPPrefix("::/0")!
}
