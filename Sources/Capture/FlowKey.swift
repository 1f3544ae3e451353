/// A flow's identity, the same for both directions: the two (address, port) endpoints in a
/// fixed order (the smaller one is "A"), the IP version, the protocol and the VLAN ids.

struct FlowKey: Equatable {
    var aHigh: UInt64
    var aLow: UInt64
    var bHigh: UInt64
    var bLow: UInt64
    /// A's port in the high half, B's in the low half.
    var ports: UInt32
    /// Outer VLAN in the high half, inner VLAN in the low half.
    var vlans: UInt32
    var ipProtocol: UInt8
    var ipVersion: UInt8
    // 42 bytes: a flow entry packs its small fields into the 6 bytes after it.

    init(aHigh: UInt64, aLow: UInt64, bHigh: UInt64, bLow: UInt64, ports: UInt32, vlans: UInt32, ipProtocol: UInt8, ipVersion: UInt8) {
        self.aHigh = aHigh
        self.aLow = aLow
        self.bHigh = bHigh
        self.bLow = bLow
        self.ports = ports
        self.vlans = vlans
        self.ipProtocol = ipProtocol
        self.ipVersion = ipVersion
    }

    /// The key of `packet`, and whether the packet travels A → B.
    static func canonical(_ p: DecodedPacket) -> (key: FlowKey, fromA: Bool) {
        let vlans = UInt32(p.vlan) << 16 | UInt32(p.innerVLAN)
        let sourceFirst: Bool
        if p.sourceHigh != p.destinationHigh {
            sourceFirst = p.sourceHigh < p.destinationHigh
        } else if p.sourceLow != p.destinationLow {
            sourceFirst = p.sourceLow < p.destinationLow
        } else {
            sourceFirst = p.sourcePort <= p.destinationPort
        }
        if sourceFirst {
            return (FlowKey(aHigh: p.sourceHigh, aLow: p.sourceLow, bHigh: p.destinationHigh, bLow: p.destinationLow,
                            ports: UInt32(p.sourcePort) << 16 | UInt32(p.destinationPort), vlans: vlans,
                            ipProtocol: p.ipProtocol, ipVersion: p.ipVersion), true)
        }
        return (FlowKey(aHigh: p.destinationHigh, aLow: p.destinationLow, bHigh: p.sourceHigh, bLow: p.sourceLow,
                        ports: UInt32(p.destinationPort) << 16 | UInt32(p.sourcePort), vlans: vlans,
                        ipProtocol: p.ipProtocol, ipVersion: p.ipVersion), false)
    }

    /// A fast 64-bit mix of the six words (multiply–xorshift per word), started from the flow
    /// table's secret seed (`FlowCache.hashSeed`).
    @inline(__always)
    func hashValue64(seed: UInt64) -> UInt64 {
        @inline(__always) func mix(_ h: UInt64, _ w: UInt64) -> UInt64 {
            var x = (h ^ w) &* 0x9E37_79B9_7F4A_7C15
            x ^= x >> 29
            return x
        }
        var h: UInt64 = 0x243F_6A88_85A3_08D3 ^ seed
        h = mix(h, aLow)
        h = mix(h, bLow)
        h = mix(h, aHigh)
        h = mix(h, bHigh)
        h = mix(h, UInt64(ports) << 32 | UInt64(vlans))
        h = mix(h, UInt64(ipProtocol) << 8 | UInt64(ipVersion))
        h = (h ^ (h >> 32)) &* 0xD6E8_FEB8_6659_FD93
        h ^= h >> 32
        return h
    }

    var vlan: UInt16 { UInt16(truncatingIfNeeded: vlans >> 16) }
    var innerVLAN: UInt16 { UInt16(truncatingIfNeeded: vlans) }
    var aPort: UInt16 { UInt16(truncatingIfNeeded: ports >> 16) }
    var bPort: UInt16 { UInt16(truncatingIfNeeded: ports) }
}
