import FlowCore

/// Builds wire-format frames layer by layer for tests and sample captures.
///
/// Checksums are left zero except the IPv4 header checksum: the decoder does not verify them,
/// and captures taken on a sending host commonly carry offloaded (unset) checksums anyway.
public enum PacketBuilder {
    // MARK: Link layer

    /// Ethernet II with an optional stack of VLAN tags (outermost first); each tag is
    /// (TPID, VLAN id), e.g. (0x88A8, 100) for an 802.1ad S-tag, (0x8100, 10) for 802.1Q.
    public static func ethernet(source: [UInt8] = [0x02, 0, 0, 0, 0, 1], destination: [UInt8] = [0x02, 0, 0, 0, 0, 2],
                                vlanTags: [(tpid: UInt16, id: UInt16)] = [], etherType: UInt16, payload: [UInt8]) -> [UInt8] {
        var frame = destination + source
        for tag in vlanTags {
            frame += be16(tag.tpid) + be16(tag.id & 0x0FFF)
        }
        return frame + be16(etherType) + payload
    }

    public static let etherTypeIPv4: UInt16 = 0x0800
    public static let etherTypeIPv6: UInt16 = 0x86DD
    public static let etherTypeARP: UInt16 = 0x0806

    // MARK: Network layer

    /// An IPv4 header (with optional options, padded to 4 bytes) followed by `payload`.
    public static func ipv4(source: IPAddress, destination: IPAddress, protocol proto: IPProtocol, payload: [UInt8],
                            ttl: UInt8 = 64, identification: UInt16 = 1, options: [UInt8] = [],
                            moreFragments: Bool = false, fragmentOffset: UInt16 = 0, totalLength: Int? = nil) -> [UInt8] {
        var opts = options
        while opts.count % 4 != 0 { opts.append(0) }
        let ihl = 5 + opts.count / 4
        let total = totalLength ?? (ihl * 4 + payload.count)
        var flagsFragment = fragmentOffset & 0x1FFF
        if moreFragments { flagsFragment |= 0x2000 }
        var header: [UInt8] = [UInt8(0x40 | ihl), 0] + be16(UInt16(total)) + be16(identification) + be16(flagsFragment)
            + [ttl, proto.rawValue, 0, 0] + be32(source.ipv4Value ?? 0) + be32(destination.ipv4Value ?? 0) + opts
        let sum = internetChecksum(header)
        header[10] = UInt8(sum >> 8)
        header[11] = UInt8(sum & 0xFF)
        return header + payload
    }

    /// An IPv6 header; `extensionHeaders` are already-encoded headers chained in order, each
    /// given with its own type number (e.g. 0 hop-by-hop, 43 routing, 44 fragment, 60 dest-opts).
    public static func ipv6(source: IPAddress, destination: IPAddress, protocol proto: IPProtocol, payload: [UInt8],
                            hopLimit: UInt8 = 64, extensionHeaders: [(type: UInt8, body: [UInt8])] = []) -> [UInt8] {
        // Each extension header's first byte is the next header's type.
        var chain: [UInt8] = []
        for (i, ext) in extensionHeaders.enumerated() {
            var body = ext.body
            body[0] = i + 1 < extensionHeaders.count ? extensionHeaders[i + 1].type : proto.rawValue
            chain += body
        }
        let firstNext = extensionHeaders.first?.type ?? proto.rawValue
        let payloadLength = chain.count + payload.count
        return [0x60, 0, 0, 0] + be16(UInt16(payloadLength)) + [firstNext, hopLimit]
            + be64(source.high) + be64(source.low) + be64(destination.high) + be64(destination.low) + chain + payload
    }

    /// A generic IPv6 extension header (hop-by-hop, routing, destination options) of
    /// `8 * (lengthUnits + 1)` bytes; the next-header byte is filled in by `ipv6`.
    public static func ipv6OptionsHeader(lengthUnits: UInt8 = 0) -> [UInt8] {
        var body = [UInt8](repeating: 0, count: 8 * (Int(lengthUnits) + 1))
        body[1] = lengthUnits
        body[2] = 1  // PadN option covering the rest
        body[3] = UInt8(body.count - 4)
        return body
    }

    /// An IPv6 fragment header (8 bytes).
    public static func ipv6FragmentHeader(offset: UInt16, moreFragments: Bool, identification: UInt32 = 1) -> [UInt8] {
        [0, 0] + be16(offset << 3 | (moreFragments ? 1 : 0)) + be32(identification)
    }

    // MARK: Transport layer

    public static func tcp(sourcePort: UInt16, destinationPort: UInt16, flags: TCPFlags, sequence: UInt32 = 0,
                           acknowledgment: UInt32 = 0, payload: [UInt8] = []) -> [UInt8] {
        be16(sourcePort) + be16(destinationPort) + be32(sequence) + be32(acknowledgment)
            + [0x50, flags.rawValue] + be16(65535) + [0, 0, 0, 0] + payload
    }

    public static func udp(sourcePort: UInt16, destinationPort: UInt16, payload: [UInt8] = []) -> [UInt8] {
        be16(sourcePort) + be16(destinationPort) + be16(UInt16(8 + payload.count)) + [0, 0] + payload
    }

    public static func sctp(sourcePort: UInt16, destinationPort: UInt16, payload: [UInt8] = []) -> [UInt8] {
        be16(sourcePort) + be16(destinationPort) + [0, 0, 0, 1] + [0, 0, 0, 0] + payload
    }

    /// ICMP or ICMPv6 (same layout): type, code, checksum, then identifier and sequence for echo.
    public static func icmp(type: UInt8, code: UInt8, identifier: UInt16 = 0, sequence: UInt16 = 0, payload: [UInt8] = []) -> [UInt8] {
        [type, code, 0, 0] + be16(identifier) + be16(sequence) + payload
    }

    // MARK: Convenience

    /// Ethernet + IPv4/IPv6 (by the addresses' version) + the given transport bytes.
    public static func ethernetIP(source: IPAddress, destination: IPAddress, protocol proto: IPProtocol,
                                  transport: [UInt8], vlanTags: [(tpid: UInt16, id: UInt16)] = []) -> [UInt8] {
        if source.version == .v4 {
            return ethernet(vlanTags: vlanTags, etherType: etherTypeIPv4,
                            payload: ipv4(source: source, destination: destination, protocol: proto, payload: transport))
        }
        return ethernet(vlanTags: vlanTags, etherType: etherTypeIPv6,
                        payload: ipv6(source: source, destination: destination, protocol: proto, payload: transport))
    }

    // MARK: Bytes

    public static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }
    public static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
    public static func be64(_ v: UInt64) -> [UInt8] { be32(UInt32(v >> 32)) + be32(UInt32(v & 0xFFFF_FFFF)) }

    public static func internetChecksum(_ bytes: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        var i = 0
        while i + 1 < bytes.count {
            sum += UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1])
            i += 2
        }
        if i < bytes.count { sum += UInt32(bytes[i]) << 8 }
        while sum >> 16 != 0 { sum = (sum & 0xFFFF) + (sum >> 16) }
        return ~UInt16(sum)
    }
}
