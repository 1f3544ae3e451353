@testable import Capture
import FlowCore
import Testing

/// The name cache reads a bit per address hash before its dictionary (`presence`): compared
/// here with a cache that always reads the dictionary, on random answers and flows over more
/// addresses than a small cache holds, so entries are dropped (and the bits rebuilt) often.
@Suite struct DNSNamePresenceTests {
    @Test(arguments: [16, 200, 1 << 16])
    func lookupsAreThoseOfTheDictionaryAlone(capacity: Int) {
        var rng = SplitMix64(seed: 0x9E5 ^ UInt64(capacity))
        let retention: UInt64 = 20_000_000_000
        let filtered = DNSNameCache(capacity: capacity, retention: retention, filtersByPresence: true)
        let plain = DNSNameCache(capacity: capacity, retention: retention, filtersByPresence: false)
        let clients = (0..<6).map { IPAddress(ipv4: 0x0A00_0100 + UInt32($0)) }
        // IPv4 and IPv6 servers; far more of them than answers name at once.
        let servers = (0..<3_000).map { (i: Int) -> IPAddress in
            let n = UInt64(i)
            if i % 3 == 0 { return IPAddress(ipv6High: 0x2001_0DB8_0000_0000 | n, low: n &* 0x9E37_79B9) }
            return IPAddress(ipv4: 0xC000_0000 &+ UInt32(truncatingIfNeeded: n &* 7919))
        }
        let outcome = DNSAnswerWorkload.run(rng: &rng, clients: clients, servers: servers, record: {
            filtered.record($0)
            plain.record($0)
        }, tested: {
            let found = filtered.lookup(client: $0, address: $1, start: $2, end: $3)
            return (found.forClient, found.forNode)
        }, reference: {
            let found = plain.lookup(client: $0, address: $1, start: $2, end: $3)
            return (found.forClient, found.forNode)
        })
        guard outcome.agreed else { return }
        #expect(filtered.statistics == plain.statistics)
        // Both kinds of flow, and (in the small caches) dropping, were exercised.
        #expect(outcome.answered > 2_000 && outcome.lookups - outcome.answered > 2_000, "\(outcome.answered) of \(outcome.lookups) answered")
        if capacity < 1_000 { #expect(plain.statistics.evicted + plain.statistics.expired > 100) }
    }
}
