/// Decodes link, network and transport headers in place from libpcap's buffer.
///
/// Every read is preceded by an explicit bounds check against the captured length, so a cut or
/// hostile frame ends as `.malformed(reason)`, never as a read past the buffer. Nothing here
/// allocates.

struct PacketDecoder {
    let link: LinkDecoding

    init(link: LinkDecoding) { self.link = link }

    /// At most this many VLAN tags, MPLS labels or IPv6 extension headers are walked; real
    /// traffic stays far below, and the limit keeps hostile frames cheap.
    static let stackLimit = 16

    func decode(_ frame: UnsafeRawBufferPointer, into packet: inout DecodedPacket) -> DecodeOutcome {
        packet.reset()
        let n = frame.count
        guard let base = frame.baseAddress else { return .malformed(.linkHeaderTruncated) }
        let bytes = Bytes(base: base)
        switch link {
        case .ethernet:
            guard n >= 14 else { return .malformed(.linkHeaderTruncated) }
            return decodeEtherType(bytes.u16(12), at: 14, bytes, count: n, into: &packet)
        case .linuxSLL:
            // 16 bytes: packet type, ARPHRD type, address length, 8 address bytes, protocol.
            guard n >= 16 else { return .malformed(.linkHeaderTruncated) }
            return decodeEtherType(bytes.u16(14), at: 16, bytes, count: n, into: &packet)
        case .linuxSLL2:
            // 20 bytes: protocol first, then reserved, interface index, ARPHRD, type, address.
            guard n >= 20 else { return .malformed(.linkHeaderTruncated) }
            return decodeEtherType(bytes.u16(0), at: 20, bytes, count: n, into: &packet)
        case .rawIP:
            guard n >= 1 else { return .malformed(.linkHeaderTruncated) }
            switch bytes[0] >> 4 {
            case 4: return decodeIPv4(at: 0, bytes, count: n, into: &packet)
            case 6: return decodeIPv6(at: 0, bytes, count: n, into: &packet)
            default: return .malformed(.ipVersionInvalid)
            }
        case .null, .loop:
            guard n >= 4 else { return .malformed(.linkHeaderTruncated) }
            // NULL stores the address family in the capturing host's byte order; a value that
            // does not fit 16 bits was written by a host of the other order. LOOP is big-endian.
            var family = bytes.u32LittleEndian(0)
            if link == .loop || family > 0xFFFF { family = family.byteSwapped }
            switch family {
            case 2: return decodeIPv4(at: 4, bytes, count: n, into: &packet)
            // AF_INET6 is 10 on Linux, 24 on NetBSD/OpenBSD, 28 on FreeBSD, 30 on Darwin.
            case 10, 24, 28, 30: return decodeIPv6(at: 4, bytes, count: n, into: &packet)
            default: return .nonIP
            }
        case .unsupported:
            return .nonIP
        }
    }

    /// Walks VLAN tags and MPLS labels until the IP header.
    func decodeEtherType(_ first: UInt16, at start: Int, _ bytes: Bytes, count n: Int,
                         into packet: inout DecodedPacket) -> DecodeOutcome {
        var etherType = first
        var offset = start
        var tags = 0
        while etherType == 0x8100 || etherType == 0x88A8 || etherType == 0x9100 {
            guard offset + 4 <= n else { return .malformed(.vlanTagTruncated) }
            let id = bytes.u16(offset) & 0x0FFF
            if tags == 0 { packet.vlan = id } else if tags == 1 { packet.innerVLAN = id }
            tags += 1
            guard tags <= PacketDecoder.stackLimit else { return .nonIP }
            etherType = bytes.u16(offset + 2)
            offset += 4
        }
        switch etherType {
        case 0x0800: return decodeIPv4(at: offset, bytes, count: n, into: &packet)
        case 0x86DD: return decodeIPv6(at: offset, bytes, count: n, into: &packet)
        case 0x8847, 0x8848: return decodeMPLS(at: offset, bytes, count: n, into: &packet)
        default: return .nonIP
        }
    }

    /// MPLS carries no payload type: after the bottom-of-stack label, IP is recognised by its
    /// version nibble (as routers and nfdump do); anything else (an Ethernet pseudowire with a
    /// control word, …) counts as non-IP.
    func decodeMPLS(at start: Int, _ bytes: Bytes, count n: Int, into packet: inout DecodedPacket) -> DecodeOutcome {
        var offset = start
        var labels = 0
        while true {
            guard offset + 4 <= n else { return .malformed(.mplsTruncated) }
            let bottom = bytes[offset + 2] & 0x01 != 0
            offset += 4
            labels += 1
            if bottom { break }
            guard labels < PacketDecoder.stackLimit else { return .nonIP }
        }
        guard offset < n else { return .malformed(.mplsTruncated) }
        switch bytes[offset] >> 4 {
        case 4: return decodeIPv4(at: offset, bytes, count: n, into: &packet)
        case 6: return decodeIPv6(at: offset, bytes, count: n, into: &packet)
        default: return .nonIP
        }
    }

    func decodeIPv4(at offset: Int, _ bytes: Bytes, count n: Int, into packet: inout DecodedPacket) -> DecodeOutcome {
        guard offset + 20 <= n else { return .malformed(.ipv4HeaderTruncated) }
        let versionAndLength = bytes[offset]
        guard versionAndLength >> 4 == 4 else { return .malformed(.ipv4HeaderInvalid) }
        let headerLength = Int(versionAndLength & 0x0F) * 4
        guard headerLength >= 20 else { return .malformed(.ipv4HeaderInvalid) }
        guard offset + headerLength <= n else { return .malformed(.ipv4HeaderTruncated) }
        let totalLength = Int(bytes.u16(offset + 2))
        // A total length of 0 is what TCP segmentation offload leaves in locally captured
        // packets; the captured bytes are then the only limit.
        var limit = n
        if totalLength != 0 {
            guard totalLength >= headerLength else { return .malformed(.ipv4HeaderInvalid) }
            limit = min(n, offset + totalLength)
        }
        packet.ipVersion = 4
        packet.sourceHigh = 0
        packet.destinationHigh = 0
        packet.sourceLow = UInt64(bytes.u32(offset + 12))
        packet.destinationLow = UInt64(bytes.u32(offset + 16))
        let proto = bytes[offset + 9]
        packet.ipProtocol = proto
        let fragmentField = bytes.u16(offset + 6)
        if fragmentField & 0x3FFF != 0 {
            packet.fragmentID = UInt32(bytes.u16(offset + 4))
            if fragmentField & 0x1FFF != 0 {
                packet.isLaterFragment = true
                return .ip
            }
            packet.isFirstFragment = true
        }
        return decodeTransport(proto, at: offset + headerLength, bytes, limit: limit, isIPv6: false, into: &packet)
    }

    func decodeIPv6(at offset: Int, _ bytes: Bytes, count n: Int, into packet: inout DecodedPacket) -> DecodeOutcome {
        guard offset + 40 <= n else { return .malformed(.ipv6HeaderTruncated) }
        guard bytes[offset] >> 4 == 6 else { return .malformed(.ipv6HeaderInvalid) }
        packet.ipVersion = 6
        packet.sourceHigh = bytes.u64(offset + 8)
        packet.sourceLow = bytes.u64(offset + 16)
        packet.destinationHigh = bytes.u64(offset + 24)
        packet.destinationLow = bytes.u64(offset + 32)
        let payloadLength = Int(bytes.u16(offset + 4))
        // Payload length 0 means a jumbogram (or offloaded segment): trust the captured length.
        let limit = payloadLength == 0 ? n : min(n, offset + 40 + payloadLength)
        var next = bytes[offset + 6]
        var cursor = offset + 40
        var walked = 0
        while true {
            switch next {
            case 0, 43, 60, 135, 139, 140:
                // Hop-by-hop, routing, destination options, mobility, HIP, shim6: length in
                // 8-byte units, not counting the first 8.
                guard cursor + 8 <= n else { return .malformed(.ipv6ExtensionTruncated) }
                next = bytes[cursor]
                cursor += 8 * (Int(bytes[cursor + 1]) + 1)
            case 44:
                guard cursor + 8 <= n else { return .malformed(.ipv6ExtensionTruncated) }
                next = bytes[cursor]
                let fragmentField = bytes.u16(cursor + 2)
                packet.fragmentID = bytes.u32(cursor + 4)
                if fragmentField & 0xFFF8 != 0 {
                    packet.isLaterFragment = true
                } else if fragmentField & 0x0001 != 0 {
                    packet.isFirstFragment = true
                }
                cursor += 8
            case 51:
                // Authentication header: length in 4-byte units, minus 2.
                guard cursor + 8 <= n else { return .malformed(.ipv6ExtensionTruncated) }
                next = bytes[cursor]
                cursor += 4 * (Int(bytes[cursor + 1]) + 2)
            default:
                packet.ipProtocol = next
                if packet.isLaterFragment { return .ip }
                guard cursor <= n else { return .malformed(.ipv6ExtensionTruncated) }
                return decodeTransport(next, at: cursor, bytes, limit: limit, isIPv6: true, into: &packet)
            }
            walked += 1
            guard walked <= PacketDecoder.stackLimit else { return .malformed(.ipv6ExtensionChainTooLong) }
        }
    }

    func decodeTransport(_ proto: UInt8, at offset: Int, _ bytes: Bytes, limit: Int, isIPv6: Bool,
                         into packet: inout DecodedPacket) -> DecodeOutcome {
        switch proto {
        case 6:
            guard offset + 14 <= limit else { return .malformed(.transportHeaderTruncated) }
            packet.sourcePort = bytes.u16(offset)
            packet.destinationPort = bytes.u16(offset + 2)
            packet.tcpFlags = bytes[offset + 13]
            let headerLength = Int(bytes[offset + 12] >> 4) * 4
            if headerLength >= 20, offset + headerLength <= limit {
                packet.payloadStart = offset + headerLength
                packet.payloadEnd = limit
            }
        case 17, 132, 136:
            guard offset + 4 <= limit else { return .malformed(.transportHeaderTruncated) }
            packet.sourcePort = bytes.u16(offset)
            packet.destinationPort = bytes.u16(offset + 2)
            if proto == 17, offset + 8 <= limit {
                let length = Int(bytes.u16(offset + 4))
                packet.payloadStart = offset + 8
                packet.payloadEnd = length >= 8 ? min(limit, offset + length) : limit
                packet.payloadCut = length >= 8 && offset + length > limit
            }
        case 1, 58:
            guard offset + 2 <= limit else { return .malformed(.transportHeaderTruncated) }
            let type = bytes[offset]
            packet.icmpType = type
            packet.icmpCode = bytes[offset + 1]
            let isEcho = isIPv6 ? (type == 128 || type == 129) : (type == 8 || type == 0)
            if isEcho && proto == (isIPv6 ? 58 : 1) {
                // The echo identifier stands in for both ports, so request and reply pair up.
                guard offset + 6 <= limit else { return .malformed(.transportHeaderTruncated) }
                let identifier = bytes.u16(offset + 4)
                packet.sourcePort = identifier
                packet.destinationPort = identifier
            }
        default:
            break
        }
        return .ip
    }
}

/// Unchecked big-endian reads from a frame; callers check bounds first.

struct Bytes {
    let base: UnsafeRawPointer
    init(base: UnsafeRawPointer) { self.base = base }

    subscript(_ offset: Int) -> UInt8 { base.load(fromByteOffset: offset, as: UInt8.self) }
    func u16(_ offset: Int) -> UInt16 { UInt16(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt16.self)) }
    func u32(_ offset: Int) -> UInt32 { UInt32(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
    func u64(_ offset: Int) -> UInt64 { UInt64(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
    func u32LittleEndian(_ offset: Int) -> UInt32 { UInt32(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
}
