/// Building a digest from a block's distinct values instead of from every flow.
///
/// A writer that already numbers a block's addresses, conversations, identities and traces
/// can hand each distinct value over once; the tokens (and so the sealed Bloom filter) are the
/// same as `insert(_:)` of every flow gives, as long as the writer hands over exactly what
/// those flows hold (the store's `RoundTripTests` compare the two).
extension BlockDigest {
    /// Counts `count` flows spanning `[minStart, maxEnd]`.
    public mutating func include(flows count: UInt32, minStart: Timestamp, maxEnd: Timestamp) {
        self.count += count
        if minStart < self.minStart { self.minStart = minStart }
        if maxEnd > self.maxEnd { self.maxEnd = maxEnd }
    }

    public mutating func include(protocol p: UInt8) { insertProtocol(p) }

    public mutating func include(verdict: Verdict) { verdictMask |= 1 << verdict.rawValue }

    public mutating func include(token: UInt64) { pending.insert(token) }

    /// A source port below `indexedSourcePortLimit` (others are not indexed).
    public mutating func include(sourcePort port: UInt16) {
        if port < Self.indexedSourcePortLimit { pending.insert(Self.token(.sourcePort, port: port)) }
    }

    /// The prefix tokens of `address` at `lengths` (a flow's both addresses are indexed at
    /// the lengths of its source's IP version).
    public mutating func include(prefixesOf address: IPAddress, lengths: [Int], as field: Field) {
        for length in lengths { pending.insert(Self.token(field, prefix: address, length: length)) }
    }

    /// The name tokens of a source identity.
    public mutating func include(sourceIdentity identity: EndpointIdentity) {
        pending.insert(Self.token(.sourceNamespace, identity.namespace))
        pending.insert(Self.token(.sourceName, identity.name))
        pending.insert(Self.token(.sourceAggregatedName, identity.aggregatedName))
    }

    /// The name tokens of a destination identity.
    public mutating func include(destinationIdentity identity: EndpointIdentity) {
        pending.insert(Self.token(.destinationNamespace, identity.namespace))
        pending.insert(Self.token(.destinationName, identity.name))
        pending.insert(Self.token(.destinationAggregatedName, identity.aggregatedName))
    }

    /// The policy and tier tokens of a trace.
    public mutating func include(trace: PolicyTrace) {
        for hit in trace.hits {
            pending.insert(Self.token(.policyName, hit.name))
            pending.insert(Self.token(.tierName, hit.tier))
        }
    }
}
