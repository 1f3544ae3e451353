import FlowCore

/// The strings, label sets, identities and policy traces a writer's blocks have held, numbered
/// once for the writer's life rather than once per block.
///
/// Every block repeats the dictionaries of what it uses, so each block still meets each identity
/// and trace for the first time; numbering them by value then (hashing names and label maps,
/// comparing whole hit lists) was most of the encoder's cost on large clusters, where a block
/// meets thousands of endpoints. Here a value is taken apart once: its parts' numbers and its
/// digest tokens are kept, and a block that meets it again copies numbers (`BlockNumbering`).
///
/// Values are found first by their shared box (the policy engine hands out one box per endpoint
/// and per trace), then by value, so boxes from other producers still share one entry. The
/// catalog only grows, up to `entryLimit` entries in a table, and then starts afresh between two
/// blocks: it is a cache, and what a block writes never depends on what it holds.
struct EncoderCatalog {
    /// Entries a table may hold before the catalog starts afresh (bounds it to some tens of MB).
    static let defaultEntryLimit = 1 << 17
    let entryLimit: Int

    init(entryLimit: Int = EncoderCatalog.defaultEntryLimit) { self.entryLimit = entryLimit }

    private(set) var strings: [String: Int] = [:]
    private(set) var stringList: [String] = []

    private var labelSets: [[String: String]: Int] = [:]
    /// Per label set: its (key, value) string numbers, ordered by key text (the order blocks write).
    private(set) var labelSetParts: [[(key: Int, value: Int)]] = []

    /// Identities by value (`IdentityKey`), numbered as `identityList`.
    private var identities = DenseNumbering<IdentityKey>()
    private(set) var identityList: [EndpointIdentity] = []
    private(set) var identityParts: [IdentityParts] = []
    /// Per identity: its digest tokens as a source (0–2) and as a destination (3–5).
    private(set) var identityTokens: [IdentityTokens] = []

    /// Traces by value (`TraceKey`), numbered as `traceList`.
    private var traces = DenseNumbering<TraceKey>()
    private(set) var traceList: [PolicyTrace] = []
    /// Per trace, per hit: tier, namespace and name string numbers.
    private(set) var traceHitStrings: [[(tier: Int, namespace: Int, name: Int)]] = []
    /// Per trace: the policy and tier tokens of its hits.
    private(set) var traceTokens: [[UInt64]] = []

    // Numbers by shared box. The maps hold plain numbers (a lookup copies no reference); the
    // `…Boxes` arrays hold the boxes they name, so an identifier cannot be reused for another box.
    private var identityByStorage: [ObjectIdentifier: Int] = [:]
    private var identityBoxes: [EndpointIdentity] = []
    private var traceByStorage: [ObjectIdentifier: Int] = [:]
    private var traceBoxes: [PolicyTrace] = []

    struct IdentityParts {
        let namespace: Int, name: Int, aggregatedName: Int, labels: Int, serviceAccount: Int
    }

    struct IdentityTokens {
        let source: (UInt64, UInt64, UInt64)
        let destination: (UInt64, UInt64, UInt64)
    }

    mutating func number(of s: String) -> Int {
        if let known = strings[s] { return known }
        let id = stringList.count
        strings[s] = id
        stringList.append(s)
        return id
    }

    mutating func number(of labels: [String: String]) -> Int {
        if let known = labelSets[labels] { return known }
        var parts: [(key: Int, value: Int)] = []
        parts.reserveCapacity(labels.count)
        // Sorted so equal maps always encode to equal bytes.
        for (key, value) in labels.sorted(by: { $0.key < $1.key }) {
            parts.append((number(of: key), number(of: value)))
        }
        let id = labelSetParts.count
        labelSets[labels] = id
        labelSetParts.append(parts)
        return id
    }

    /// The number of an identity by its box, if the catalog holds that box.
    func identityNumber(box: ObjectIdentifier) -> Int? { identityByStorage[box] }

    /// The number of a trace by its box, if the catalog holds that box.
    func traceNumber(box: ObjectIdentifier) -> Int? { traceByStorage[box] }

    mutating func number(of identity: EndpointIdentity) -> Int {
        if let known = identityByStorage[identity.storageIdentity] { return known }
        let id = numberByValue(identity)
        identityByStorage[identity.storageIdentity] = id
        identityBoxes.append(identity)
        return id
    }

    /// An identity met in a box the catalog does not hold: its parts are numbered first (a new
    /// identity needs them, and an identity already held has them numbered, so nothing is added),
    /// then the identity is found or numbered by them.
    private mutating func numberByValue(_ identity: EndpointIdentity) -> Int {
        let parts = IdentityParts(namespace: number(of: identity.namespace), name: number(of: identity.name),
                                  aggregatedName: number(of: identity.aggregatedName), labels: number(of: identity.labels),
                                  serviceAccount: number(of: identity.serviceAccount))
        let id = identities.number(of: IdentityKey(kind: identity.kind.rawValue, parts: parts))
        if id < identityList.count { return id }
        identityList.append(identity)
        identityParts.append(parts)
        identityTokens.append(IdentityTokens(
            source: (BlockDigest.token(.sourceNamespace, identity.namespace), BlockDigest.token(.sourceName, identity.name),
                     BlockDigest.token(.sourceAggregatedName, identity.aggregatedName)),
            destination: (BlockDigest.token(.destinationNamespace, identity.namespace),
                          BlockDigest.token(.destinationName, identity.name),
                          BlockDigest.token(.destinationAggregatedName, identity.aggregatedName))))
        return id
    }

    mutating func number(of trace: PolicyTrace) -> Int {
        if let known = traceByStorage[trace.storageIdentity] { return known }
        let id = numberByValue(trace)
        traceByStorage[trace.storageIdentity] = id
        traceBoxes.append(trace)
        return id
    }

    /// A trace met in a box the catalog does not hold, as `numberByValue(_: EndpointIdentity)`.
    private mutating func numberByValue(_ trace: PolicyTrace) -> Int {
        let hits = trace.hits
        var strings: [(tier: Int, namespace: Int, name: Int)] = []
        strings.reserveCapacity(hits.count)
        for hit in hits { strings.append((number(of: hit.tier), number(of: hit.namespace), number(of: hit.name))) }
        let id = traces.number(of: TraceKey(trace, strings: strings))
        if id < traceList.count { return id }
        var tokens: [UInt64] = []
        tokens.reserveCapacity(2 * hits.count)
        for hit in hits {
            tokens.append(BlockDigest.token(.policyName, hit.name))
            tokens.append(BlockDigest.token(.tierName, hit.tier))
        }
        traceList.append(trace)
        traceHitStrings.append(strings)
        traceTokens.append(tokens)
        return id
    }

    /// Called between blocks: starts afresh when a table is full (and then says so: numbers
    /// given before name other values from now on). Box maps fill faster than the value tables
    /// when a producer makes a box per flow, so they are emptied on their own.
    @discardableResult
    mutating func trim() -> Bool {
        if stringList.count > entryLimit || labelSetParts.count > entryLimit
            || identityList.count > entryLimit || traceList.count > entryLimit {
            self = EncoderCatalog(entryLimit: entryLimit)
            return true
        }
        if identityBoxes.count > entryLimit {
            identityByStorage.removeAll()
            identityBoxes.removeAll()
        }
        if traceBoxes.count > entryLimit {
            traceByStorage.removeAll()
            traceBoxes.removeAll()
        }
        return false
    }
}
