import FlowCore

/// Link-layer framings other than Ethernet, and MPLS label stacks.
extension PacketBuilder {
    /// Linux "cooked" capture v1 (LINKTYPE_LINUX_SLL, 16 bytes): packet type, ARPHRD type,
    /// address length, 8 address bytes, then the EtherType of `payload`.
    public static func linuxSLL(protocol etherType: UInt16, payload: [UInt8], packetType: UInt16 = 0) -> [UInt8] {
        be16(packetType) + be16(1) + be16(6) + [0x02, 0, 0, 0, 0, 1, 0, 0] + be16(etherType) + payload
    }

    /// Linux cooked capture v2 (LINKTYPE_LINUX_SLL2, 20 bytes): EtherType first, reserved,
    /// interface index, ARPHRD type, packet type, address length, 8 address bytes.
    public static func linuxSLL2(protocol etherType: UInt16, payload: [UInt8], interfaceIndex: UInt32 = 2) -> [UInt8] {
        be16(etherType) + [0, 0] + be32(interfaceIndex) + be16(1) + [0, 6] + [0x02, 0, 0, 0, 0, 1, 0, 0] + payload
    }

    /// BSD loopback (LINKTYPE_NULL): the address family as a 32-bit word in the capturing
    /// host's byte order (`littleEndian` picks it).
    public static func null(family: UInt32, littleEndian: Bool = true, payload: [UInt8]) -> [UInt8] {
        (littleEndian ? be32(family).reversed() : be32(family)) + payload
    }

    /// OpenBSD loopback (LINKTYPE_LOOP): the address family in network byte order.
    public static func loop(family: UInt32, payload: [UInt8]) -> [UInt8] {
        be32(family) + payload
    }

    /// Address families as the loopback framings write them.
    public static let familyInet: UInt32 = 2
    public static let familyInet6Linux: UInt32 = 10
    public static let familyInet6BSD: UInt32 = 24
    public static let familyInet6FreeBSD: UInt32 = 28
    public static let familyInet6Darwin: UInt32 = 30

    /// An MPLS label stack (outermost first) in front of `payload`; the last label gets the
    /// bottom-of-stack bit.
    public static func mpls(labels: [UInt32], payload: [UInt8], ttl: UInt8 = 64) -> [UInt8] {
        var out: [UInt8] = []
        for (i, label) in labels.enumerated() {
            let bottom: UInt32 = i == labels.count - 1 ? 1 : 0
            out += be32((label & 0xFFFFF) << 12 | bottom << 8 | UInt32(ttl))
        }
        return out + payload
    }

    public static let etherTypeMPLS: UInt16 = 0x8847
    public static let etherTypeMPLSMulticast: UInt16 = 0x8848

    /// An IPv4 or IPv6 packet (by the addresses' version) with no link layer, for raw-IP
    /// links and as the payload of the framings above.
    public static func ip(source: IPAddress, destination: IPAddress, protocol proto: IPProtocol, transport: [UInt8]) -> [UInt8] {
        source.version == .v4
            ? ipv4(source: source, destination: destination, protocol: proto, payload: transport)
            : ipv6(source: source, destination: destination, protocol: proto, payload: transport)
    }
}
