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
        let lists = [["a.example.com"], ["b.example.org"], ["c.example.net", "edge.cdn.example"]].map { DomainNames($0) }
        var now: UInt64 = 0
        var answered = 0, lookups = 0
        for _ in 0..<40_000 {
            now += rng.below(50_000_000)
            if rng.below(4) == 0 {
                let answer = AddressResolution(client: rng.pick(clients), address: servers[Int(rng.below(rng.below(2) == 0 ? 40 : 3_000))],
                                               names: rng.pick(lists), seen: now, ttlSeconds: UInt32(1 + rng.below(30)))
                filtered.record(answer)
                plain.record(answer)
                continue
            }
            let start = now > 40_000_000_000 ? now - rng.below(40_000_000_000) : 0
            let client = rng.pick(clients), server = servers[Int(rng.below(rng.below(2) == 0 ? 40 : 3_000))]
            let got = filtered.lookup(client: client, address: server, start: start, end: now)
            let want = plain.lookup(client: client, address: server, start: start, end: now)
            lookups += 1
            #expect(got.forNode == want.forNode && got.forClient == want.forClient,
                    "\(server) at \(now): \(got.forNode.names) against \(want.forNode.names)")
            if !want.forNode.isEmpty { answered += 1 }
            if got.forNode != want.forNode { return }
        }
        #expect(filtered.statistics == plain.statistics)
        // Both kinds of flow, and (in the small caches) dropping, were exercised.
        #expect(answered > 2_000 && lookups - answered > 2_000, "\(answered) of \(lookups) answered")
        if capacity < 1_000 { #expect(plain.statistics.evicted + plain.statistics.expired > 100) }
    }
}
