import FlowCore

/// One connection to decide, as `flowlog policy explain` and the conformance cases' `flow.json`
/// describe it: each side an IP or `<namespace>/<pod>`.
public struct ExplainRequest: Sendable {
    public var source: String
    public var destination: String
    public var ipProtocol: String
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var icmpType: UInt8
    public var icmpCode: UInt8

    public init(source: String, destination: String, ipProtocol: String, sourcePort: UInt16 = 0,
                destinationPort: UInt16 = 0, icmpType: UInt8 = 0, icmpCode: UInt8 = 0) {
        self.source = source
        self.destination = destination
        self.ipProtocol = ipProtocol
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.icmpType = icmpType
        self.icmpCode = icmpCode
    }

    /// The flow record to decide; throws `.invalidArgument` naming the flag that is wrong.
    public func flow(in cluster: Cluster) throws -> FlowRecord {
        // A pod may have an IPv4 and an IPv6 address: take the one matching an IP given for the other side.
        let srcIP = IPAddress(source), dstIP = IPAddress(destination)
        let src = try srcIP ?? cluster.address(of: source, version: dstIP?.version, field: "--src")
        let dst = try dstIP ?? cluster.address(of: destination, version: src.version, field: "--dst")
        guard let proto = IPProtocol(name: ipProtocol) else {
            throw FlowlogError(.invalidArgument, "unknown protocol '\(ipProtocol)'; expected a name (tcp, udp, icmp, icmpv6, sctp, udplite) or 0-255",
                               location: .init(field: "--proto"))
        }
        guard src.version == dst.version else {
            throw FlowlogError(.invalidArgument, "source \(src) and destination \(dst) are different IP versions",
                               location: .init(field: "--dst"))
        }
        return FlowRecord(sourceAddress: src, destinationAddress: dst, sourcePort: sourcePort, destinationPort: destinationPort,
                          ipProtocol: proto, icmpType: icmpType, icmpCode: icmpCode, start: .zero, end: .zero)
    }
}

extension Cluster {
    /// An IP address, or the address of the pod `<namespace>/<name>` (of `version` when it has one).
    public func address(of reference: String, version: IPVersion? = nil, field: String = "address") throws -> IPAddress {
        if let a = IPAddress(reference) { return a }
        let parts = reference.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw FlowlogError(.invalidArgument, "'\(reference)' is neither an IP address nor <namespace>/<pod>", location: .init(field: field))
        }
        guard let pod = pods.first(where: { $0.namespace == parts[0] && $0.name == parts[1] }) else {
            throw FlowlogError(.invalidArgument, "no pod \(reference) in the cluster manifests", location: .init(field: field))
        }
        guard let address = pod.addresses.first(where: { $0.version == version }) ?? pod.addresses.first else {
            throw FlowlogError(.invalidArgument, "pod \(reference) has no IP address (status.podIP)", location: .init(field: field))
        }
        return address
    }
}
