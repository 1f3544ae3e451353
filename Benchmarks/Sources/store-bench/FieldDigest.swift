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
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in s.utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return mix(h, UInt64(s.utf8.count))
    }

    @inline(__always)
    static func record(_ r: FlowRecord) -> UInt64 {
        var h = mix(r.sourceAddress.high, r.sourceAddress.low)
        h = mix(h, r.destinationAddress.high)
        h = mix(h, r.destinationAddress.low)
        h = mix(h, UInt64(r.sourceAddress.version.rawValue) | UInt64(r.destinationAddress.version.rawValue) << 8
                | UInt64(r.ipProtocol.rawValue) << 16 | UInt64(r.icmpType) << 24 | UInt64(r.icmpCode) << 32
                | UInt64(r.tcpFlagsOut.rawValue) << 40 | UInt64(r.tcpFlagsIn.rawValue) << 48)
        h = mix(h, UInt64(r.sourcePort) | UInt64(r.destinationPort) << 16 | UInt64(r.vlan) << 32 | UInt64(r.innerVLAN) << 48)
        h = mix(h, r.start.nanoseconds)
        h = mix(h, r.end.nanoseconds)
        h = mix(h, r.packetsOut)
        h = mix(h, r.bytesOut)
        h = mix(h, r.packetsIn)
        h = mix(h, r.bytesIn)
        return mix(h, UInt64(r.status.rawValue))
    }

    static func identity(_ i: EndpointIdentity) -> UInt64 {
        var h = mix(UInt64(i.kind.rawValue), string(i.namespace))
        h = mix(h, string(i.name))
        h = mix(h, string(i.aggregatedName))
        h = mix(h, string(i.serviceAccount))
        var labels: UInt64 = 0
        for (key, value) in i.labels { labels &+= mix(string(key), string(value)) }
        return mix(h, labels)
    }

    static func trace(_ t: PolicyTrace) -> UInt64 {
        var h = mix(UInt64(t.reporter.rawValue), UInt64(t.action.rawValue))
        for hit in t.hits {
            h = mix(h, UInt64(bitPattern: Int64(hit.index)))
            h = mix(h, string(hit.tier))
            h = mix(h, UInt64(hit.kind.rawValue) | UInt64(hit.action.rawValue) << 8)
            h = mix(h, string(hit.namespace))
            h = mix(h, string(hit.name))
            h = mix(h, UInt64(bitPattern: Int64(hit.ruleIndex)))
        }
        return mix(h, UInt64(t.hits.count))
    }

    /// An annotation from its parts' digests (nil traces fold as 1).
    static func annotation(source: UInt64, destination: UInt64, service: String, verdict: Verdict,
                           traces: (UInt64?, UInt64?, UInt64?, UInt64?)) -> UInt64 {
        var h = mix(source, destination)
        h = mix(h, string(service))
        h = mix(h, UInt64(verdict.rawValue))
        h = mix(h, traces.0 ?? 1)
        h = mix(h, traces.1 ?? 1)
        h = mix(h, traces.2 ?? 1)
        return mix(h, traces.3 ?? 1)
    }

    /// What a row shares with its conversation's prepared record: annotation (nil folds as 0),
    /// node and destination domain names.
    static func prepared(annotation: UInt64?, node: String, domains: DomainNames) -> UInt64 {
        var h = mix(annotation ?? 0, string(node))
        for name in domains.names { h = mix(h, string(name)) }
        return mix(h, UInt64(domains.names.count))
    }

    /// A whole record, every part computed afresh (the plain reference).
    static func flow(_ f: AnnotatedFlow) -> UInt64 {
        var annotation: UInt64?
        if let a = f.annotation {
            annotation = Self.annotation(source: identity(a.source), destination: identity(a.destination),
                                         service: a.destinationService, verdict: a.verdict,
                                         traces: (a.egress.map(trace), a.ingress.map(trace), a.pendingEgress.map(trace),
                                                  a.pendingIngress.map(trace)))
        }
        return mix(record(f.flow), prepared(annotation: annotation, node: f.node, domains: f.destinationDomains))
    }
}
