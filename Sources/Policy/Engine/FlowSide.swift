import FlowCore

/// One end of a flow as the evaluator sees it.
struct FlowSide {
    let address: IPAddress
    let port: UInt16
    /// Workload or host endpoint entity at the address, -1 when none.
    let endpoint: Int
    /// Network-set entities whose nets contain the address.
    let sets: [Int]

    var isEndpoint: Bool { endpoint >= 0 }
}

/// The packet facts rules test.
struct FlowFacts {
    let ipProtocol: IPProtocol
    let ipVersion: IPVersion
    let icmpType: UInt8
    let icmpCode: UInt8
    let source: FlowSide
    let destination: FlowSide
    /// The names the destination address was resolved from (for `domains` rules).
    var destinationDomains: DomainNames = .none
}

extension EndpointIdentity {
    /// §1.4: `pvt` only for IPv4 RFC 1918; everything else, IPv6 included, is `pub`
    /// (`PolicyEngine.identityNumber(outside:)` chooses). One shared box each: the store numbers
    /// identities by box, and a box per address made it number every new outside address's
    /// identity by value.
    static let privateNetwork = EndpointIdentity(kind: .network, aggregatedName: "pvt")
    static let publicNetwork = EndpointIdentity(kind: .network, aggregatedName: "pub")
}

extension IPAddress {
    var isRFC1918: Bool {
        guard let v = ipv4Value else { return false }
        return v >> 24 == 10 || v >> 20 == 0xAC1 || v >> 16 == 0xC0A8
    }
}
