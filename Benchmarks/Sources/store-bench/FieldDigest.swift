import FlowCore

/// Every field of a stored flow folded into 64 bits, so a full scan cannot skip decoding any
/// of them and two ways of reading a store can be compared (`--scan` against
/// `--scan-records`). Strings are folded byte by byte; a label set is folded independently of
/// its order (a dictionary has none); a missing part folds as its own value.
enum FieldDigest {
    @inline(__always)
    static func mix(_ h: UInt64, _ v: UInt64) -> UInt64 {
        var x = (h ^ v) &* 0x9E37_79B9_7F4A_7C15
        x ^= x >> 29
        return x
    }

    static func string(_ s: String) -> UInt64 {
        var copy = s
        return copy.withUTF8 { bytes($0) }
    }

    static func bytes(_ b: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in b { h = (h ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return mix(h, UInt64(b.count))
    }

    /// The fields a conversation's rows share: addresses, destination port, protocol, VLANs.
    static func conversation(_ r: FlowRecord) -> UInt64 {
        conversation(source: address(r.sourceAddress), destination: address(r.destinationAddress), ipProtocol: r.ipProtocol,
                     destinationPort: r.destinationPort, vlan: r.vlan, innerVLAN: r.innerVLAN)
    }

    /// An address, version included (a block's address table is folded entry by entry, as its
    /// dictionaries are, and its conversations name two entries).
    @inline(__always)
    static func address(_ a: IPAddress) -> UInt64 { mix(mix(a.high, a.low), UInt64(a.version.rawValue)) }

    /// A conversation from its addresses' digests (the source's first) and its other fields.
    @inline(__always)
    static func conversation(source: UInt64, destination: UInt64, ipProtocol: IPProtocol, destinationPort: UInt16,
                             vlan: UInt16, innerVLAN: UInt16) -> UInt64 {
        mix(mix(source, destination.rotated(23)),
            UInt64(destinationPort) | UInt64(vlan) << 16 | UInt64(innerVLAN) << 32 | UInt64(ipProtocol.rawValue) << 48)
    }

    /// A row's own fields after its conversation's digest (with what the conversation's rows
    /// share besides: annotation, node, domain names).
    @inline(__always)
    static func row(conversation: UInt64, sourcePort: UInt16, icmpType: UInt8, icmpCode: UInt8, tcpFlagsOut: TCPFlags,
                    tcpFlagsIn: TCPFlags, status: FlowStatus, start: Timestamp, end: Timestamp,
                    packetsOut: UInt64, bytesOut: UInt64, packetsIn: UInt64, bytesIn: UInt64) -> UInt64 {
        // Four independent chains joined at the end (a row costs the latency of three mixes,
        // not seven); the rotations keep each pair's order in the digest.
        let a = mix(conversation, UInt64(sourcePort) | UInt64(icmpType) << 16 | UInt64(icmpCode) << 24
                    | UInt64(tcpFlagsOut.rawValue) << 32 | UInt64(tcpFlagsIn.rawValue) << 40 | UInt64(status.rawValue) << 48)
        let b = mix(start.nanoseconds, end.nanoseconds.rotated(17))
        let c = mix(packetsOut, bytesOut.rotated(17))
        let d = mix(packetsIn, bytesIn.rotated(17))
        return mix(mix(a, b.rotated(31)), mix(c, d.rotated(31)).rotated(7))
    }

    static func identity(_ i: EndpointIdentity) -> UInt64 {
        var labels: UInt64 = 0
        for (key, value) in i.labels { labels &+= label(key: string(key), value: string(value)) }
        return identity(kind: i.kind, namespace: string(i.namespace), name: string(i.name),
                        aggregatedName: string(i.aggregatedName), serviceAccount: string(i.serviceAccount), labels: labels)
    }

    /// An identity from its strings' digests and its labels' sum of `label` digests.
    static func identity(kind: EndpointKind, namespace: UInt64, name: UInt64, aggregatedName: UInt64,
                         serviceAccount: UInt64, labels: UInt64) -> UInt64 {
        var h = mix(UInt64(kind.rawValue), namespace)
        h = mix(h, name)
        h = mix(h, aggregatedName)
        h = mix(h, serviceAccount)
        return mix(h, labels)
    }

    @inline(__always)
    static func label(key: UInt64, value: UInt64) -> UInt64 { mix(key, value) }

    static func trace(_ t: PolicyTrace) -> UInt64 {
        var h = traceSeed
        for hit in t.hits {
            h = self.hit(h, index: hit.index, tier: string(hit.tier), kind: hit.kind, namespace: string(hit.namespace),
                         name: string(hit.name), action: hit.action, ruleIndex: hit.ruleIndex)
        }
        return traceEnd(h, reporter: t.reporter, action: t.action, hits: t.hits.count)
    }

    // A trace folded in the order it is stored after its head: each hit (strings by digest)
    // onto a seed, then reporter, action and the number of hits.
    static let traceSeed: UInt64 = 0x7472_6163_6500_0001

    static func hit(_ h: UInt64, index: Int, tier: UInt64, kind: PolicyKind, namespace: UInt64, name: UInt64,
                    action: PolicyAction, ruleIndex: Int) -> UInt64 {
        var h = mix(h, UInt64(bitPattern: Int64(index)))
        h = mix(h, tier)
        h = mix(h, UInt64(kind.rawValue) | UInt64(action.rawValue) << 8)
        h = mix(h, namespace)
        h = mix(h, name)
        return mix(h, UInt64(bitPattern: Int64(ruleIndex)))
    }

    static func traceEnd(_ h: UInt64, reporter: Reporter, action: Verdict, hits: Int) -> UInt64 {
        mix(mix(h, UInt64(reporter.rawValue) | UInt64(action.rawValue) << 8), UInt64(hits))
    }

    /// An annotation from its parts' digests (nil traces fold as 1): its identities, then its
    /// outcome (what annotations share besides their identities, stored as a table of its own).
    static func annotation(source: UInt64, destination: UInt64, service: UInt64, verdict: Verdict,
                           traces: (UInt64?, UInt64?, UInt64?, UInt64?)) -> UInt64 {
        annotation(source: source, destination: destination, outcome: outcome(service: service, verdict: verdict, traces: traces))
    }

    @inline(__always)
    static func annotation(source: UInt64, destination: UInt64, outcome: UInt64) -> UInt64 {
        mix(mix(source, destination), outcome)
    }

    /// Service, verdict and traces (nil folds as 1).
    static func outcome(service: UInt64, verdict: Verdict, traces: (UInt64?, UInt64?, UInt64?, UInt64?)) -> UInt64 {
        var h = mix(service, UInt64(verdict.rawValue))
        h = mix(h, traces.0 ?? 1)
        h = mix(h, traces.1 ?? 1)
        h = mix(h, traces.2 ?? 1)
        return mix(h, traces.3 ?? 1)
    }

    /// What a row shares with its conversation's prepared record: annotation (nil folds as 0),
    /// node and destination domain names.
    static func prepared(annotation: UInt64?, node: UInt64, domains: UInt64) -> UInt64 {
        mix(mix(annotation ?? 0, node), domains)
    }

    static func domains(_ d: DomainNames) -> UInt64 {
        var h: UInt64 = 0
        for name in d.names { h = mix(h, string(name)) }
        return mix(h, UInt64(d.names.count))
    }

    /// A whole record, every part computed afresh (the plain reference).
    static func flow(_ f: AnnotatedFlow) -> UInt64 {
        var annotation: UInt64?
        if let a = f.annotation {
            annotation = Self.annotation(source: identity(a.source), destination: identity(a.destination),
                                         service: string(a.destinationService), verdict: a.verdict,
                                         traces: (a.egress.map(trace), a.ingress.map(trace), a.pendingEgress.map(trace),
                                                  a.pendingIngress.map(trace)))
        }
        let r = f.flow
        let shared = prepared(annotation: annotation, node: string(f.node), domains: domains(f.destinationDomains))
        return row(conversation: mix(conversation(r), shared), sourcePort: r.sourcePort, icmpType: r.icmpType, icmpCode: r.icmpCode,
                   tcpFlagsOut: r.tcpFlagsOut, tcpFlagsIn: r.tcpFlagsIn, status: r.status, start: r.start, end: r.end,
                   packetsOut: r.packetsOut, bytesOut: r.bytesOut, packetsIn: r.packetsIn, bytesIn: r.bytesIn)
    }
}

extension UInt64 {
    @inline(__always)
    func rotated(_ n: UInt64) -> UInt64 { self << n | self >> (64 - n) }
}
