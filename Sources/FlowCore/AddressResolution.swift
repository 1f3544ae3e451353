/// One address a DNS answer gave a client, and where the answer stands among the flows the
/// capture emitted.
///
/// The capture hands these on beside its flows, in stream order, so the thread that names and
/// decides flows applies each answer exactly between the flows emitted before its packet was
/// read and those emitted after. What a flow is named then depends only on the packets, never
/// on how far the capture thread had run ahead of the deciding one.
public struct AddressResolution: Hashable, Sendable {
    /// The response's destination: the client that asked.
    public var client: IPAddress
    public var address: IPAddress
    /// The queried name first, then the CNAME chain down to the record holding the address.
    public var names: DomainNames
    /// Capture time of the response (ns since the epoch).
    public var seen: UInt64
    /// `seen` plus the answer's TTL (saturating).
    public var expires: UInt64
    /// Flows emitted before the answer: in a batch handed to a `FlowSink`, the index of the first
    /// flow after it (the batch's count when it follows them all); in a ring, the count of flows
    /// pushed before it.
    public var position: UInt64

    public init(client: IPAddress, address: IPAddress, names: DomainNames, seen: UInt64, ttlSeconds: UInt32,
                position: UInt64 = 0) {
        self.client = client
        self.address = address
        self.names = names
        self.seen = seen
        let (lifetime, _) = UInt64(ttlSeconds).multipliedReportingOverflow(by: 1_000_000_000)
        let (expires, overflow) = seen.addingReportingOverflow(lifetime)
        self.expires = overflow ? .max : expires
        self.position = position
    }
}
