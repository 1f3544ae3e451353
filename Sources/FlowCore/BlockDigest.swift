/// A compact summary of a set of annotated flows (one store block) that answers
/// "can this block contain a flow matching X?" with no false negatives.
///
/// The writer feeds every flow of a block to `insert(_:)` and calls `seal()`; the store keeps
/// the sealed digest in its index; the query stage asks the `mayContain…` questions and skips
/// blocks that answer false. Exact fields (time range, verdicts, protocols) are kept exactly;
/// strings, ports and address prefixes go into one Bloom filter of tagged tokens hashed with
/// a fixed FNV-1a (never Swift's per-process seeded `Hasher`), so digests written by one process
/// answer correctly in another.
public struct BlockDigest: Hashable, Sendable {
    public internal(set) var count: UInt32 = 0
    /// Smallest flow start and largest flow end in the block (valid when count > 0).
    public internal(set) var minStart = Timestamp(nanoseconds: .max)
    public internal(set) var maxEnd = Timestamp.zero
    /// Bit `v.rawValue` set for every verdict present.
    public internal(set) var verdictMask: UInt8 = 0
    /// 256-bit set of IP protocol numbers present.
    public private(set) var protocolMask: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    /// The Bloom filter; empty until `seal()`.
    public private(set) var bloomWords: [UInt64] = []
    public private(set) var bloomHashCount: UInt8 = 0

    /// Token hashes collected before sealing.
    var pending = DigestTokens()
    /// Annotation boxes whose tokens are already in `pending`: flows decided alike share one box,
    /// so their strings are hashed once per block, not once per flow. Holding the boxes keeps
    /// their identities from being reused until `seal()`.
    private var annotationsSeen: [ObjectIdentifier: FlowAnnotation] = [:]
    private var sourcesSeen: [ObjectIdentifier: EndpointIdentity] = [:]
    private var destinationsSeen: [ObjectIdentifier: EndpointIdentity] = [:]
    private var tracesSeen: [ObjectIdentifier: PolicyTrace] = [:]
    /// Addresses whose prefix tokens are already in `pending`, per side: a block has far fewer
    /// addresses than flows, and hashing one address is cheaper than its eight tokens.
    private var sourceAddressesSeen: Set<IPAddress> = []
    private var destinationAddressesSeen: Set<IPAddress> = []
    private var lastNode = ""

    public init() {}

    // MARK: - Tokens

    /// What a Bloom token is about; part of the on-disk format (never renumber).
    public enum Field: UInt8, Sendable {
        case sourceNamespace = 1, destinationNamespace = 2
        case sourceName = 3, destinationName = 4
        case sourceAggregatedName = 5, destinationAggregatedName = 6
        case policyName = 7, tierName = 8
        case sourcePort = 9, destinationPort = 10
        case sourcePrefix = 11, destinationPrefix = 12
        case node = 13, service = 14
    }

    /// Prefix lengths whose masked addresses are indexed, per IP version.
    public static let indexedIPv4PrefixLengths = [8, 16, 24, 32]
    public static let indexedIPv6PrefixLengths = [32, 48, 64, 128]
    /// Source ports at or above this are ephemeral and not indexed (they would fill the filter).
    public static let indexedSourcePortLimit: UInt16 = 1024

    public static func token(_ field: Field, _ text: String) -> UInt64 {
        var h = FNV1a.start
        h = FNV1a.mix(h, field.rawValue)
        for byte in text.utf8 { h = FNV1a.mix(h, byte) }
        return FNV1a.finish(h)
    }

    public static func token(_ field: Field, port: UInt16) -> UInt64 {
        var h = FNV1a.start
        h = FNV1a.mix(h, field.rawValue)
        h = FNV1a.mix(h, UInt8(port >> 8))
        h = FNV1a.mix(h, UInt8(port & 0xFF))
        return FNV1a.finish(h)
    }

    public static func token(_ field: Field, prefix address: IPAddress, length: Int) -> UInt64 {
        let masked = address.masked(to: length)
        var h = FNV1a.start
        h = FNV1a.mix(h, field.rawValue)
        h = FNV1a.mix(h, masked.version.rawValue)
        h = FNV1a.mix(h, UInt8(length))
        h = FNV1a.mix(h, bigEndian: masked.high)
        h = FNV1a.mix(h, bigEndian: masked.low)
        return FNV1a.finish(h)
    }

    // MARK: - Building

    public mutating func insert(_ record: AnnotatedFlow) {
        let flow = record.flow
        count += 1
        if flow.start < minStart { minStart = flow.start }
        if flow.end > maxEnd { maxEnd = flow.end }
        insertProtocol(flow.ipProtocol.rawValue)
        pending.insert(Self.token(.destinationPort, port: flow.destinationPort))
        if flow.sourcePort < Self.indexedSourcePortLimit {
            pending.insert(Self.token(.sourcePort, port: flow.sourcePort))
        }
        // Both sides are indexed at the source's version's lengths (a flow mixing versions is
        // not deduplicated, so it gets exactly those tokens too).
        let lengths = flow.sourceAddress.version == .v4 ? Self.indexedIPv4PrefixLengths : Self.indexedIPv6PrefixLengths
        if sourceAddressesSeen.insert(flow.sourceAddress).inserted {
            insertPrefixes(of: flow.sourceAddress, lengths: lengths, as: .sourcePrefix)
        }
        if flow.destinationAddress.version != flow.sourceAddress.version
            || destinationAddressesSeen.insert(flow.destinationAddress).inserted {
            insertPrefixes(of: flow.destinationAddress, lengths: lengths, as: .destinationPrefix)
        }
        if !record.node.isEmpty && record.node != lastNode {
            lastNode = record.node
            pending.insert(Self.token(.node, record.node))
        }
        guard let a = record.annotation else {
            verdictMask |= 1 << Verdict.unknown.rawValue
            return
        }
        verdictMask |= 1 << a.verdict.rawValue
        guard annotationsSeen.updateValue(a, forKey: a.storageIdentity) == nil else { return }
        insert(a.source, as: .source)
        insert(a.destination, as: .destination)
        if !a.destinationService.isEmpty { pending.insert(Self.token(.service, a.destinationService)) }
        insert(a.egress)
        insert(a.ingress)
        insert(a.pendingEgress)
        insert(a.pendingIngress)
    }

    private mutating func insertPrefixes(of address: IPAddress, lengths: [Int], as field: Field) {
        for length in lengths { pending.insert(Self.token(field, prefix: address, length: length)) }
    }

    private mutating func insert(_ trace: PolicyTrace?) {
        guard let trace, tracesSeen.updateValue(trace, forKey: trace.storageIdentity) == nil else { return }
        for hit in trace.hits {
            pending.insert(Self.token(.policyName, hit.name))
            pending.insert(Self.token(.tierName, hit.tier))
        }
    }

    private enum Side { case source, destination }

    private mutating func insert(_ identity: EndpointIdentity, as side: Side) {
        // The same endpoint as source and as destination gives different tokens: one map a side.
        if side == .source {
            guard sourcesSeen.updateValue(identity, forKey: identity.storageIdentity) == nil else { return }
            pending.insert(Self.token(.sourceNamespace, identity.namespace))
            pending.insert(Self.token(.sourceName, identity.name))
            pending.insert(Self.token(.sourceAggregatedName, identity.aggregatedName))
        } else {
            guard destinationsSeen.updateValue(identity, forKey: identity.storageIdentity) == nil else { return }
            pending.insert(Self.token(.destinationNamespace, identity.namespace))
            pending.insert(Self.token(.destinationName, identity.name))
            pending.insert(Self.token(.destinationAggregatedName, identity.aggregatedName))
        }
    }

    mutating func insertProtocol(_ p: UInt8) {
        let bit = UInt64(1) << UInt64(p & 63)
        switch p >> 6 {
        case 0: protocolMask.0 |= bit
        case 1: protocolMask.1 |= bit
        case 2: protocolMask.2 |= bit
        default: protocolMask.3 |= bit
        }
    }

    /// Builds the Bloom filter from the collected tokens (about 1 % false positives).
    public mutating func seal() {
        let n = max(pending.count, 1)
        let bits = max(64, (n * 10 + 63) / 64 * 64)  // ≈ 9.6 bits per token for k = 7, rounded up
        bloomWords = [UInt64](repeating: 0, count: bits / 64)
        bloomHashCount = 7
        for token in pending { setBits(token) }
        pending = DigestTokens()
        annotationsSeen = [:]
        sourcesSeen = [:]
        destinationsSeen = [:]
        tracesSeen = [:]
        sourceAddressesSeen = []
        destinationAddressesSeen = []
        lastNode = ""
    }

    private mutating func setBits(_ token: UInt64) {
        let m = UInt64(bloomWords.count * 64)
        let h1 = token, h2 = (token >> 32) | (token << 32) | 1
        for i in 0..<UInt64(bloomHashCount) {
            let bit = (h1 &+ i &* h2) % m
            bloomWords[Int(bit >> 6)] |= 1 << (bit & 63)
        }
    }

    // MARK: - Questions

    /// True unless the Bloom filter proves the token absent.
    public func mayContain(token: UInt64) -> Bool {
        guard !bloomWords.isEmpty else { return !pending.isEmpty ? pending.contains(token) : count > 0 }
        let m = UInt64(bloomWords.count * 64)
        let h1 = token, h2 = (token >> 32) | (token << 32) | 1
        for i in 0..<UInt64(bloomHashCount) {
            let bit = (h1 &+ i &* h2) % m
            if bloomWords[Int(bit >> 6)] & (1 << (bit & 63)) == 0 { return false }
        }
        return true
    }

    /// Whether any flow may overlap `[since, until)`: start < until and end ≥ since.
    public func mayOverlap(since: Timestamp?, until: Timestamp?) -> Bool {
        guard count > 0 else { return false }
        if let since, maxEnd < since { return false }
        if let until, minStart >= until { return false }
        return true
    }

    public func mayContain(verdict: Verdict) -> Bool { verdictMask & (1 << verdict.rawValue) != 0 }

    public func mayContain(protocol p: IPProtocol) -> Bool {
        let bit = UInt64(1) << UInt64(p.rawValue & 63)
        switch p.rawValue >> 6 {
        case 0: return protocolMask.0 & bit != 0
        case 1: return protocolMask.1 & bit != 0
        case 2: return protocolMask.2 & bit != 0
        default: return protocolMask.3 & bit != 0
        }
    }

    public func mayContain(_ field: Field, _ text: String) -> Bool { mayContain(token: Self.token(field, text)) }

    public func mayContain(sourcePort port: UInt16) -> Bool {
        port >= Self.indexedSourcePortLimit || mayContain(token: Self.token(.sourcePort, port: port))
    }

    public func mayContain(destinationPort port: UInt16) -> Bool {
        mayContain(token: Self.token(.destinationPort, port: port))
    }

    /// Whether a source (or destination) address inside `prefix` may occur.
    public func mayContain(_ field: Field, addressIn prefix: IPPrefix) -> Bool {
        let lengths = prefix.address.version == .v4 ? Self.indexedIPv4PrefixLengths : Self.indexedIPv6PrefixLengths
        guard let usable = lengths.last(where: { $0 <= prefix.length }) else { return true }
        return mayContain(token: Self.token(field, prefix: prefix.address, length: usable))
    }

    // MARK: - Encoding

    /// Restores a sealed digest from its stored parts.
    public init(count: UInt32, minStart: Timestamp, maxEnd: Timestamp, verdictMask: UInt8,
                protocolMask: (UInt64, UInt64, UInt64, UInt64), bloomHashCount: UInt8, bloomWords: [UInt64]) {
        self.count = count
        self.minStart = minStart
        self.maxEnd = maxEnd
        self.verdictMask = verdictMask
        self.protocolMask = protocolMask
        self.bloomHashCount = bloomHashCount
        self.bloomWords = bloomWords
    }

    public static func == (l: BlockDigest, r: BlockDigest) -> Bool {
        l.count == r.count && l.minStart == r.minStart && l.maxEnd == r.maxEnd && l.verdictMask == r.verdictMask
            && l.protocolMask == r.protocolMask && l.bloomWords == r.bloomWords
            && l.bloomHashCount == r.bloomHashCount && l.pending == r.pending
    }

    public func hash(into h: inout Hasher) {
        h.combine(count); h.combine(minStart); h.combine(maxEnd); h.combine(bloomWords)
    }
}

/// 64-bit FNV-1a with a final avalanche, stable across processes and platforms.
public enum FNV1a {
    public static let start: UInt64 = 0xcbf2_9ce4_8422_2325
    @inlinable public static func mix(_ h: UInt64, _ byte: UInt8) -> UInt64 { (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
    /// The prime to the 4th and 8th power (mod 2^64): mixing a zero byte only multiplies by the
    /// prime, so four or eight zero bytes are one multiplication.
    @usableFromInline static let primeTo4: UInt64 = 0x9FFA_AC08_5635_BC91
    @usableFromInline static let primeTo8: UInt64 = 0x1EFA_C709_0AEF_4A21
    /// `word`'s eight bytes, most significant first, as eight `mix` calls give. An IPv4
    /// address's prefix tokens hash a zero high word and four zero bytes of the low one: those
    /// cost a multiplication each instead of a byte loop.
    @inlinable public static func mix(_ h: UInt64, bigEndian word: UInt64) -> UInt64 {
        if word == 0 { return h &* primeTo8 }
        var h = h
        var shift: UInt64 = 56
        if word >> 32 == 0 {
            h &*= primeTo4
            shift = 24
        }
        while true {
            h = mix(h, UInt8(truncatingIfNeeded: word >> shift))
            if shift == 0 { return h }
            shift -= 8
        }
    }
    /// splitmix64 finaliser so the low and high halves are both well mixed for double hashing.
    @inlinable public static func finish(_ h0: UInt64) -> UInt64 {
        var h = h0
        h ^= h >> 30; h &*= 0xbf58_476d_1ce4_e5b9
        h ^= h >> 27; h &*= 0x94d0_49bb_1331_11eb
        h ^= h >> 31
        return h
    }
}
