@testable import Capture
import FlowCore
import Testing

/// The name cache keeps its entries per address in `AddressKeyedLists` (a seeded table of its
/// own) instead of a `Dictionary`: compared here with the cache as it was (`PlainDNSNameCache`)
/// and, the table alone, with a dictionary, on random answers and flows over IPv4 and IPv6
/// addresses that share their bits (an IPv4 address and the IPv6 address `::` followed by the
/// same 32 bits differ only in their version).
@Suite struct DNSAddressTableTests {
    /// Servers: IPv4, IPv6, and for every tenth IPv4 address the IPv6 address with its bits.
    static func servers(_ count: Int) -> [IPAddress] {
        (0..<count).map { (i: Int) -> IPAddress in
            let n = UInt64(i)
            switch i % 10 {
            case 0, 3, 6: return IPAddress(ipv6High: 0x2001_0DB8_0000_0000 | n, low: n &* 0x9E37_79B9)
            case 9: return IPAddress(ipv6High: 0, low: UInt64(0xC000_0000 &+ UInt32(truncatingIfNeeded: (n - 1) &* 7919)))
            default: return IPAddress(ipv4: 0xC000_0000 &+ UInt32(truncatingIfNeeded: n &* 7919))
            }
        }
    }

    @Test(arguments: [16, 200, 1 << 16])
    func cacheAnswersAsTheDictionaryCacheDid(capacity: Int) {
        var rng = SplitMix64(seed: 0xADD7 ^ UInt64(capacity))
        let retention: UInt64 = 20_000_000_000
        let cache = DNSNameCache(capacity: capacity, retention: retention, filtersByPresence: false)
        let plain = PlainDNSNameCache(capacity: capacity, retention: retention, filtersByPresence: false)
        let clients = (0..<6).map { IPAddress(ipv4: 0x0A00_0100 + UInt32($0)) } + [IPAddress(ipv6High: 0, low: 0x0A00_0100)]
        let servers = Self.servers(3_000)
        let outcome = DNSAnswerWorkload.run(rng: &rng, clients: clients, servers: servers, record: {
            cache.record($0)
            plain.record($0)
        }, tested: {
            let found = cache.lookup(client: $0, address: $1, start: $2, end: $3)
            return (found.forClient, found.forNode)
        }, reference: {
            let found = plain.lookup(client: $0, address: $1, start: $2, end: $3)
            return (found.forClient, found.forNode)
        })
        guard outcome.agreed else { return }
        #expect(cache.statistics == plain.statistics)
        #expect(cache.entries == plain.entries)
        #expect(cache.byAddress.count == plain.byAddress.count)
        #expect(outcome.answered > 2_000 && outcome.lookups - outcome.answered > 2_000, "\(outcome.answered) of \(outcome.lookups) answered")
        if capacity < 1_000 { #expect(plain.statistics.evicted + plain.statistics.expired > 100) }
    }

    /// The table alone against a dictionary: numbers found, inserted and renumbered after bulk
    /// removal, with random seeds and with seeds that put every IPv4 address on one home slot
    /// (all zero: the hash of an address whose upper words are 0 is then 0), so probing runs
    /// long and wraps around the table's end.
    @Test(arguments: [false, true])
    func tableNumbersAsADictionary(colliding: Bool) {
        var rng = SplitMix64(seed: colliding ? 0xC011 : 0x5EED)
        var table = colliding ? AddressKeyedLists<Int>(seeds: (0, 0, 0, 0)) : AddressKeyedLists<Int>()
        var plain: [IPAddress: [Int]] = [:]
        let servers = Self.servers(colliding ? 600 : 5_000)
        for round in 0..<20 {
            for _ in 0..<(colliding ? 300 : 3_000) {
                let address = rng.pick(servers)
                if rng.below(3) == 0 {
                    #expect(table.number(of: address).map { table.lists[$0] } == plain[address])
                    continue
                }
                let value = Int(rng.below(100))
                table.lists[table.numberInserting(address)].append(value)
                plain[address, default: []].append(value)
            }
            // Each number names its address's list, and the numbers are dense.
            #expect(table.count == plain.count)
            for (number, address) in table.addresses.enumerated() {
                #expect(table.number(of: address) == number)
                #expect(table.lists[number] == plain[address])
            }
            let cut = Int(rng.below(100))
            table.removeAll { $0 < cut }
            for (address, list) in plain {
                let kept = list.filter { $0 >= cut }
                plain[address] = kept.isEmpty ? nil : kept
            }
            #expect(table.count == plain.count, "round \(round)")
            for address in servers where table.number(of: address).map({ table.lists[$0] }) != plain[address] {
                Issue.record("round \(round): \(address) has \(table.number(of: address).map { table.lists[$0] } ?? []) against \(plain[address] ?? [])")
                return
            }
        }
    }
}
