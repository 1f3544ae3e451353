import FlowCore

/// What DNS answers the capture has seen: address → the names it was resolved from, per
/// client, each as the span of capture time its answers covered. Owned by the thread that
/// decides flows, which applies answers in stream order (`AddressResolution.position`) between
/// its lookups, so no lock is needed and what a flow is named depends on the capture alone.
///
/// The rule: an answer counts for a flow when it was seen no later than the flow's end and had
/// not expired (seen + TTL) before the flow's start. Per flow the cache gives two answers: the
/// names the flow's own client resolved (what `dest_domains` reports; Calico's flow logs name
/// what the client asked for), else every name any client resolved to the address; and the
/// latter always for policy, because Calico Enterprise programs the addresses of allowed
/// domains per node, for every workload on it.
///
/// Answers of one client, names and address whose lifetimes overlap are kept as one entry
/// spanning from the earliest `seen` to the latest expiry, which answers every flow exactly as
/// the answers one by one would (a re-resolution extends the entry; it never moves its start
/// past flows that ended before it). Answers with a gap between them stay separate entries.
///
/// Memory is bounded; only then can an answer seen after a flow's end change the flow's names,
/// and deterministically (nothing here depends on hashing order or on thread timing): past
/// `clientsPerAddress` entries for one address the one expiring first is dropped, and when the
/// cache is full entries expired longer than `retention` ago go first, then those expiring
/// first.
///
/// Used from one thread at a time (the deciding thread owns it). `byAddress` and `presence` are
/// `@exclusivity(unchecked)`: the runtime's check on each access was a fifth of a lookup's
/// instructions, and it cannot fire: each access is one read, one write, or one call of a value
/// type's mutating method (`remember`'s list, the table's and array's own) that reaches
/// no other access to the same property, on the one thread using the cache.
public final class DNSNameCache {
    struct Entry {
        var client: IPAddress
        var names: DomainNames
        var seen: UInt64
        var expires: UInt64
    }

    /// The entries by address, in a table keyed by the address with a seeded hash
    /// (`AddressKeyedLists`: no SipHash per answer, and no way for answers on the wire to line
    /// their addresses up on one slot).
    @exclusivity(unchecked) var byAddress = AddressKeyedLists<Entry>()
    /// One bit per address hash (`presenceBit`), set for every address in `byAddress` (and,
    /// until the next time entries are dropped, for some that left it): a flow to an address no
    /// answer named, nearly every flow, costs a multiplication and a bit instead of hashing the
    /// address for the dictionary.
    @exclusivity(unchecked) private var presence: [UInt64] = Array(repeating: 0, count: DNSNameCache.presenceWords)
    private static let presenceWords = 1 << 10
    /// Whether lookups read `presence` first (off only in tests, which compare both ways).
    let filtersByPresence: Bool
    var entries = 0
    /// Equal unions share one box, so flows and the store see equal identities.
    var interned: [[String]: DomainNames] = [:]
    /// The latest answer time applied: the cache's "now".
    var now: UInt64 = 0
    public private(set) var statistics = DNSCacheStatistics()

    /// Entries kept before room is made.
    public let capacity: Int
    /// How long after its expiry an entry may still name flows that are yet to be decided (a
    /// flow is decided when the flow cache emits it, up to the idle timeout after its end, and
    /// its start may be the active timeout before that); see `retention(for:)`.
    public let retention: UInt64
    /// Per address, at most this many entries are remembered.
    public static let clientsPerAddress = 16

    public init(capacity: Int = 1 << 16, retention: UInt64 = DNSNameCache.retention(for: FlowCacheConfiguration())) {
        self.capacity = max(16, capacity)
        self.retention = retention
        self.filtersByPresence = true
    }

    init(capacity: Int, retention: UInt64, filtersByPresence: Bool) {
        self.capacity = max(16, capacity)
        self.retention = retention
        self.filtersByPresence = filtersByPresence
    }

    /// The bit of `presence` an address sets: a multiplicative hash of both halves, its top bits.
    @inline(__always)
    private static func presenceBit(_ address: IPAddress) -> Int {
        let h = (address.high &* 0x9E37_79B9_7F4A_7C15 ^ address.low) &* 0xBF58_476D_1CE4_E5B9
        return Int(truncatingIfNeeded: h >> UInt64(64 - (presenceWords * 64).trailingZeroBitCount))
    }

    @inline(__always)
    private func mayHave(_ address: IPAddress) -> Bool {
        let bit = Self.presenceBit(address)
        return presence.withUnsafeBufferPointer { $0[bit >> 6] } & (1 << UInt64(bit & 63)) != 0
    }

    private func markPresent(_ address: IPAddress) {
        let bit = Self.presenceBit(address)
        presence[bit >> 6] |= 1 << UInt64(bit & 63)
    }

    /// How long an expired answer can still matter to flows a cache with `configuration` emits.
    public static func retention(for configuration: FlowCacheConfiguration) -> UInt64 {
        // Without an active timeout a flow's record may start any time before; an hour past the
        // idle timeout covers all but the longest-lived flows, and only matters when full.
        let span = configuration.activeTimeoutNanoseconds == 0 ? 3_600_000_000_000 : configuration.activeTimeoutNanoseconds
        let (sum, overflow) = span.addingReportingOverflow(configuration.idleTimeoutNanoseconds)
        return overflow ? .max : sum
    }

    /// The names `flow`'s destination had for its client (else for any client), and for any client.
    public struct Lookup: Sendable {
        public var forClient: DomainNames
        public var forNode: DomainNames
    }

    /// Applies one answer.
    public func record(_ resolution: AddressResolution) {
        if resolution.seen > now { now = resolution.seen }
        if entries >= capacity { makeRoom() }
        // In place: a copy of the list taken out of the dictionary and stored back would be
        // copied whole (with a retain per entry) on every answer.
        let number = byAddress.numberInserting(resolution.address)
        remember(Entry(client: resolution.client, names: resolution.names, seen: resolution.seen, expires: resolution.expires),
                 in: &byAddress.lists[number])
        markPresent(resolution.address)
        statistics.answers &+= 1
    }

    /// Applies a parsed response's answers for `client`, seen at `time`.
    public func record(client: IPAddress, answers: [DNSResponseParser.AddressAnswer], at time: UInt64) {
        for answer in answers {
            record(AddressResolution(client: client, address: answer.address, names: intern(answer.names),
                                     seen: time, ttlSeconds: answer.ttl))
        }
    }

    /// The names for a flow from `client` to `address` that ran from `start` to `end` (ns).
    public func lookup(client: IPAddress, address: IPAddress, start: UInt64, end: UInt64) -> Lookup {
        if filtersByPresence, !mayHave(address) { return Lookup(forClient: .none, forNode: .none) }
        guard let number = byAddress.number(of: address) else { return Lookup(forClient: .none, forNode: .none) }
        let list = byAddress.lists[number]
        // Mostly one client resolved the address, or every client the same names: then both
        // answers are those names, with no lists to build and intern.
        var only: DomainNames?
        var mixed = false
        for entry in list where entry.seen <= end && entry.expires >= start {
            if let first = only {
                if first != entry.names {
                    mixed = true
                    break
                }
            } else {
                only = entry.names
            }
        }
        guard let only else { return Lookup(forClient: .none, forNode: .none) }
        statistics.lookupsAnswered &+= 1
        if !mixed { return Lookup(forClient: only, forNode: only) }
        var own: [String] = []
        var all: [String] = []
        for entry in list where entry.seen <= end && entry.expires >= start {
            if entry.client == client { own.append(contentsOf: entry.names.names) }
            all.append(contentsOf: entry.names.names)
        }
        let node = intern(all)
        return Lookup(forClient: own.isEmpty ? node : intern(own), forNode: node)
    }

    /// `lookup(client:address:start:end:)` of every flow (its source the client), in order,
    /// appended to `found`.
    public func lookup(_ flows: ArraySlice<FlowRecord>, appendingTo found: inout [Lookup]) {
        for flow in flows {
            found.append(lookup(client: flow.sourceAddress, address: flow.destinationAddress,
                                start: flow.start.nanoseconds, end: flow.end.nanoseconds))
        }
    }

    private func intern(_ names: [String]) -> DomainNames {
        if let known = interned[names] { return known }
        if interned.count >= 1 << 16 { interned.removeAll(keepingCapacity: true) }
        let value = DomainNames(names)
        interned[names] = value
        return value
    }

    /// Widens the entry of the same client and names whose span overlaps the answer's, or
    /// appends one (dropping the entry that expires first past `clientsPerAddress`).
    private func remember(_ entry: Entry, in list: inout [Entry]) {
        for i in list.indices where list[i].client == entry.client && list[i].names == entry.names
            && list[i].seen <= entry.expires && entry.seen <= list[i].expires {
            list[i].seen = min(list[i].seen, entry.seen)
            list[i].expires = max(list[i].expires, entry.expires)
            return
        }
        if list.count >= Self.clientsPerAddress {
            var first = 0
            for i in list.indices where list[i].expires < list[first].expires { first = i }
            list.remove(at: first)
            entries -= 1
            statistics.evicted &+= 1
        }
        list.append(entry)
        entries += 1
    }

    /// Drops entries expired more than `retention` before `now`; when that leaves over three
    /// quarters, drops those expiring first until at most half is left. Both go by times alone,
    /// so the same answers always leave the same entries.
    private func makeRoom() {
        let horizon = now > retention ? now - retention : 0
        let full = entries
        drop { $0.expires < horizon }
        statistics.expired &+= UInt64(full - entries)
        guard entries > capacity * 3 / 4 else { return }
        var expiries: [UInt64] = []
        expiries.reserveCapacity(entries)
        for list in byAddress.lists {
            for entry in list { expiries.append(entry.expires) }
        }
        expiries.sort()
        let cutoff = expiries[expiries.count - capacity / 2 - 1]
        let crowded = entries
        drop { $0.expires <= cutoff }
        statistics.evicted &+= UInt64(crowded - entries)
    }

    private func drop(where isDropped: (Entry) -> Bool) {
        var dropped = 0
        byAddress.removeAll { entry in
            let drops = isDropped(entry)
            if drops { dropped += 1 }
            return drops
        }
        entries -= dropped
        // Addresses left the table: their bits go, the others' are set again.
        presence.withUnsafeMutableBufferPointer { words in
            for i in words.indices { words[i] = 0 }
        }
        for address in byAddress.addresses { markPresent(address) }
    }
}

/// What the DNS side of the deciding thread counted.
public struct DNSCacheStatistics: Hashable, Sendable {
    /// Address answers applied.
    public var answers: UInt64 = 0
    /// Flows whose destination had names.
    public var lookupsAnswered: UInt64 = 0
    /// Entries dropped because they had expired longer than the retention ago, to make room.
    public var expired: UInt64 = 0
    /// Entries dropped before that: past the per-address limit, or the cache still full.
    public var evicted: UInt64 = 0

    public init() {}
}
