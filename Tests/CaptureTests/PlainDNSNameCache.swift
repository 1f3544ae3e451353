import Capture
import FlowCore

/// `DNSNameCache` as it was before its entries moved from a `Dictionary` keyed by address
/// (SipHash) to `AddressKeyedLists` (a seeded table of its own): the plain path
/// `DNSAddressTableTests` compares the cache with, answer by answer and lookup by lookup.
final class PlainDNSNameCache {
    struct Entry {
        var client: IPAddress
        var names: DomainNames
        var seen: UInt64
        var expires: UInt64
    }

    var byAddress: [IPAddress: [Entry]] = [:]
    /// One bit per address hash (`presenceBit`), set for every address in `byAddress` (and,
    /// until the next time entries are dropped, for some that left it): a flow to an address no
    /// answer named, nearly every flow, costs a multiplication and a bit instead of hashing the
    /// address for the dictionary.
    private var presence: [UInt64] = Array(repeating: 0, count: PlainDNSNameCache.presenceWords)
    private static let presenceWords = 1 << 10
    /// Whether lookups read `presence` first (off only in tests, which compare both ways).
    let filtersByPresence: Bool
    var entries = 0
    /// Equal unions share one box, so flows and the store see equal identities.
    var interned: [[String]: DomainNames] = [:]
    /// The latest answer time applied: the cache's "now".
    var now: UInt64 = 0
    private(set) var statistics = DNSCacheStatistics()

    /// Entries kept before room is made.
    let capacity: Int
    /// How long after its expiry an entry may still name flows that are yet to be decided (a
    /// flow is decided when the flow cache emits it, up to the idle timeout after its end, and
    /// its start may be the active timeout before that); see `retention(for:)`.
    let retention: UInt64
    /// Per address, at most this many entries are remembered.
    static let clientsPerAddress = 16

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

    /// The names `flow`'s destination had for its client (else for any client), and for any client.
    struct Lookup: Sendable {
        var forClient: DomainNames
        var forNode: DomainNames
    }

    /// Applies one answer.
    func record(_ resolution: AddressResolution) {
        if resolution.seen > now { now = resolution.seen }
        if entries >= capacity { makeRoom() }
        // In place: a copy of the list taken out of the dictionary and stored back would be
        // copied whole (with a retain per entry) on every answer.
        remember(Entry(client: resolution.client, names: resolution.names, seen: resolution.seen, expires: resolution.expires),
                 in: &byAddress[resolution.address, default: []])
        markPresent(resolution.address)
        statistics.answers &+= 1
    }

    /// The names for a flow from `client` to `address` that ran from `start` to `end` (ns).
    func lookup(client: IPAddress, address: IPAddress, start: UInt64, end: UInt64) -> Lookup {
        if filtersByPresence, !mayHave(address) { return Lookup(forClient: .none, forNode: .none) }
        guard let list = byAddress[address] else { return Lookup(forClient: .none, forNode: .none) }
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
    func lookup(_ flows: ArraySlice<FlowRecord>, appendingTo found: inout [Lookup]) {
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
        for list in byAddress.values {
            for entry in list { expiries.append(entry.expires) }
        }
        expiries.sort()
        let cutoff = expiries[expiries.count - capacity / 2 - 1]
        let crowded = entries
        drop { $0.expires <= cutoff }
        statistics.evicted &+= UInt64(crowded - entries)
    }

    private func drop(where isDropped: (Entry) -> Bool) {
        for (address, list) in byAddress {
            var kept = list
            kept.removeAll(where: isDropped)
            guard kept.count != list.count else { continue }
            entries -= list.count - kept.count
            byAddress[address] = kept.isEmpty ? nil : kept
        }
        // Addresses left the dictionary: their bits go, the others' are set again.
        presence.withUnsafeMutableBufferPointer { words in
            for i in words.indices { words[i] = 0 }
        }
        for address in byAddress.keys { markPresent(address) }
    }
}

