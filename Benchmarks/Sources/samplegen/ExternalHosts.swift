import FlowCore

/// Hosts outside the cluster, in documentation and benchmarking ranges (RFC 5737, RFC 2544,
/// RFC 3849) so that the sample never names a real network.
enum ExternalGroup: Int, CaseIterable {
    /// People using the shop's frontends.
    case webClients
    /// Card processors the payments API calls; a NetworkSet names them.
    case paymentProviders
    /// Known-bad addresses; a GlobalNetworkSet names them and the security tier denies them.
    case threatFeed
    /// Everything else on the internet: package mirrors, NTP, scanners.
    case internet

    var name: String {
        switch self {
        case .webClients: return "web-clients"
        case .paymentProviders: return "payment-providers"
        case .threatFeed: return "threat-feed"
        case .internet: return "internet"
        }
    }

    var networkV4: IPPrefix {
        switch self {
        case .webClients: return IPPrefix("203.0.113.0/24")!
        case .paymentProviders: return IPPrefix("192.0.2.0/25")!
        case .threatFeed: return IPPrefix("198.51.100.0/24")!
        case .internet: return IPPrefix("198.18.0.0/15")!
        }
    }

    var networkV6: IPPrefix {
        switch self {
        case .webClients: return IPPrefix("2001:db8:100::/48")!
        case .paymentProviders: return IPPrefix("2001:db8:200::/48")!
        case .threatFeed: return IPPrefix("2001:db8:bad::/48")!
        case .internet: return IPPrefix("2001:db8:300::/48")!
        }
    }

    /// Usable host addresses in the IPv4 range (network and broadcast excluded).
    var capacity: Int { (1 << (32 - networkV4.length)) - 2 }
}

struct ExternalHosts {
    /// Hosts per group, indexed by `ExternalGroup.rawValue`.
    private(set) var counts: [Int] = [1, 1, 1, 1]

    init() {}

    /// Splits `count` hosts: 40 % web clients, 15 % providers, 10 % threat feed, the rest internet.
    init(count: Int) {
        let clients = min(ExternalGroup.webClients.capacity, max(1, count * 40 / 100))
        let providers = min(ExternalGroup.paymentProviders.capacity, max(1, count * 15 / 100))
        let threats = min(ExternalGroup.threatFeed.capacity, max(1, count * 10 / 100))
        let rest = min(ExternalGroup.internet.capacity, max(1, count - clients - providers - threats))
        counts = [clients, providers, threats, rest]
    }

    func count(_ group: ExternalGroup) -> Int { counts[group.rawValue] }

    var total: Int { counts.reduce(0, +) }

    /// The `index`-th host of `group` (0-based), IPv4 or IPv6.
    func address(_ group: ExternalGroup, _ index: Int, ipv6: Bool) -> IPAddress {
        if ipv6 {
            let net = group.networkV6.address
            return IPAddress(ipv6High: net.high, low: UInt64(index + 1))
        }
        return IPAddress(ipv4: group.networkV4.address.ipv4Value! + UInt32(index + 1))
    }
}
