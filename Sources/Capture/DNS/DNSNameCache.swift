import FlowCore
import Synchronization

/// What DNS answers the capture has seen: address → the names it was resolved from, per
/// client, with TTLs in capture time. The capture thread records answers; the thread deciding
/// flows looks addresses up (hence the lock: both sides touch it rarely, once per DNS response
/// and once per few hundred flows).
///
/// An answer counts for a flow when it was seen no later than the flow's end and had not
/// expired (seen + TTL) before the flow's start. Per flow the cache gives two answers: the
/// names the flow's own client resolved (what `dest_domains` reports; Calico's flow logs name
/// what the client asked for), else every name any client resolved to the address; and the
/// latter always for policy, because Calico Enterprise programs the addresses of allowed
/// domains per node, for every workload on it.
public final class DNSNameCache: Sendable {
    struct Entry {
        var client: IPAddress
        var names: DomainNames
        var seen: UInt64
        var expires: UInt64
    }

    struct State {
        var byAddress: [IPAddress: [Entry]] = [:]
        var entries = 0
        /// Equal name lists share one box, so flows and the store see equal identities.
        var interned: [[String]: DomainNames] = [:]
        var statistics = DNSCacheStatistics()
    }

    private let state = Mutex(State())
    /// Entries kept before expired ones are dropped (then, if still full, older addresses).
    public let capacity: Int
    /// Per address, at most this many clients are remembered.
    public static let clientsPerAddress = 16

    public init(capacity: Int = 1 << 16) {
        self.capacity = max(16, capacity)
    }

    /// The names `flow`'s destination had for its client (else for any client), and for any client.
    public struct Lookup: Sendable {
        public var forClient: DomainNames
        public var forNode: DomainNames
    }

    public var statistics: DNSCacheStatistics { state.withLock { $0.statistics } }

    /// Remembers a response's address answers for `client` (the response's destination).
    public func record(client: IPAddress, answers: [DNSResponseParser.AddressAnswer], at time: UInt64) {
        guard !answers.isEmpty else { return }
        let capacity = self.capacity
        state.withLock { s in
            if s.entries + answers.count > capacity { Self.makeRoom(&s, now: time, capacity: capacity) }
            for answer in answers {
                let names = Self.intern(answer.names, in: &s)
                let expires = time &+ UInt64(answer.ttl) &* 1_000_000_000
                // In place: a copy of the list taken out of the dictionary and stored back
                // would be copied whole (with a retain per entry) on every answer.
                Self.remember(Entry(client: client, names: names, seen: time, expires: expires),
                              in: &s.byAddress[answer.address, default: []], entries: &s.entries, statistics: &s.statistics)
                s.statistics.answers &+= 1
            }
        }
    }

    /// The names for a flow from `client` to `address` that ran from `start` to `end` (ns).
    public func lookup(client: IPAddress, address: IPAddress, start: UInt64, end: UInt64) -> Lookup {
        state.withLock { Self.lookup(client: client, address: address, start: start, end: end, in: &$0) }
    }

    /// `lookup(client:address:start:end:)` of every flow (its source the client), in order, into
    /// `found` (emptied first): one lock per few hundred flows instead of one per flow.
    public func lookup(_ flows: [FlowRecord], into found: inout [Lookup]) {
        found.removeAll(keepingCapacity: true)
        found.reserveCapacity(flows.count)
        var next = 0
        while next < flows.count {
            // Bounded, so a DNS response the capture thread records never waits long.
            let end = min(flows.count, next + 256)
            state.withLock { s in
                for i in next..<end {
                    found.append(Self.lookup(client: flows[i].sourceAddress, address: flows[i].destinationAddress,
                                             start: flows[i].start.nanoseconds, end: flows[i].end.nanoseconds, in: &s))
                }
            }
            next = end
        }
    }

    private static func lookup(client: IPAddress, address: IPAddress, start: UInt64, end: UInt64, in s: inout State) -> Lookup {
        guard let list = s.byAddress[address] else { return Lookup(forClient: .none, forNode: .none) }
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
        s.statistics.lookupsAnswered &+= 1
        if !mixed { return Lookup(forClient: only, forNode: only) }
        var own: [String] = []
        var all: [String] = []
        for entry in list where entry.seen <= end && entry.expires >= start {
            if entry.client == client { own.append(contentsOf: entry.names.names) }
            all.append(contentsOf: entry.names.names)
        }
        let node = Self.intern(all, in: &s)
        return Lookup(forClient: own.isEmpty ? node : Self.intern(own, in: &s), forNode: node)
    }

    private static func intern(_ names: [String], in s: inout State) -> DomainNames {
        if let known = s.interned[names] { return known }
        if s.interned.count >= 1 << 16 { s.interned.removeAll(keepingCapacity: true) }
        let value = DomainNames(names)
        s.interned[names] = value
        return value
    }

    /// Refreshes the entry of the same client and names in an address's list, or appends one
    /// (forgetting the oldest past `clientsPerAddress`).
    private static func remember(_ entry: Entry, in list: inout [Entry], entries: inout Int,
                                 statistics: inout DNSCacheStatistics) {
        if let i = list.firstIndex(where: { $0.client == entry.client && $0.names == entry.names }) {
            list[i].seen = max(list[i].seen, entry.seen)
            list[i].expires = max(list[i].expires, entry.expires)
            return
        }
        if list.count >= Self.clientsPerAddress {
            list.removeFirst()
            entries -= 1
            statistics.evicted &+= 1
        }
        list.append(entry)
        entries += 1
    }

    /// Drops expired entries; when that is not enough, forgets addresses until a quarter is free.
    private static func makeRoom(_ s: inout State, now: UInt64, capacity: Int) {
        for (address, list) in s.byAddress {
            let kept = list.filter { $0.expires >= now }
            if kept.count != list.count {
                s.entries -= list.count - kept.count
                s.statistics.expired &+= UInt64(list.count - kept.count)
                s.byAddress[address] = kept.isEmpty ? nil : kept
            }
        }
        guard s.entries > capacity * 3 / 4 else { return }
        for (address, list) in s.byAddress {
            s.byAddress[address] = nil
            s.entries -= list.count
            s.statistics.evicted &+= UInt64(list.count)
            if s.entries <= capacity / 2 { break }
        }
    }
}

/// What the DNS side of the capture counted.
public struct DNSCacheStatistics: Hashable, Sendable {
    /// Address answers recorded.
    public var answers: UInt64 = 0
    /// Flows whose destination had names.
    public var lookupsAnswered: UInt64 = 0
    /// Entries dropped because their TTL ran out, or to make room.
    public var expired: UInt64 = 0
    public var evicted: UInt64 = 0

    public init() {}
}
