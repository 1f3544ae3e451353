import FlowCore

/// The names pods look up (`<service>.<namespace>.svc.cluster.local` and a few outside names),
/// encoded once as DNS wire labels, with the address each resolves to.
struct DNSNames {
    private var wire: [UInt8] = []
    private var offsets: [Int] = [0]
    private var answersV4: [UInt32] = []
    private var answersV6: [IPAddress] = []

    init(cluster: ClusterPlan) {
        for service in cluster.services {
            add("\(service.name).\(cluster.namespaceName(of: service.workload)).svc.cluster.local",
                v4: service.clusterIPv4, v6: service.clusterIPv6)
        }
        let outside: [(String, ExternalGroup)] = [
            ("api.payments.example", .paymentProviders), ("mirror.example.org", .internet), ("ntp.example.net", .internet),
        ]
        for (name, group) in outside {
            add(name, v4: ExternalHosts().address(group, 0, ipv6: false), v6: ExternalHosts().address(group, 0, ipv6: true))
        }
    }

    var count: Int { answersV4.count }

    private mutating func add(_ name: String, v4: IPAddress, v6: IPAddress) {
        for label in name.split(separator: ".") {
            wire.append(UInt8(label.utf8.count))
            wire.append(contentsOf: label.utf8)
        }
        wire.append(0)
        offsets.append(wire.count)
        answersV4.append(v4.ipv4Value!)
        answersV6.append(v6)
    }

    /// Writes a query (or its answer: one A or AAAA record, TTL 30) for name `index` at
    /// `offset`; returns the message length.
    func writeMessage(into encoder: FrameEncoder, at offset: Int, name index: Int, id: UInt16, ipv6: Bool, answer: Bool) -> Int {
        encoder.put16(offset, id)
        encoder.put16(offset + 2, answer ? 0x8580 : 0x0100)  // answer: authoritative, recursion available
        encoder.put16(offset + 4, 1)
        encoder.put16(offset + 6, answer ? 1 : 0)
        encoder.put32(offset + 8, 0)
        let start = offsets[index], end = offsets[index + 1]
        var n = offset + 12
        wire.withUnsafeBytes { bytes in
            _ = encoder.write(UnsafeRawBufferPointer(rebasing: bytes[start..<end]), at: n, limit: end - start)
        }
        n += end - start
        let type: UInt16 = ipv6 ? 28 : 1
        encoder.put16(n, type)
        encoder.put16(n + 2, 1)
        n += 4
        if answer {
            encoder.put16(n, 0xC00C)  // pointer to the question's name
            encoder.put16(n + 2, type)
            encoder.put16(n + 4, 1)
            encoder.put32(n + 6, 30)
            if ipv6 {
                encoder.put16(n + 10, 16)
                encoder.put64(n + 12, answersV6[index].high)
                encoder.put64(n + 20, answersV6[index].low)
                n += 28
            } else {
                encoder.put16(n + 10, 4)
                encoder.put32(n + 12, answersV4[index])
                n += 16
            }
        }
        return n - offset
    }
}
