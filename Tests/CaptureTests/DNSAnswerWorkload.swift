import Capture
import FlowCore
import Testing

/// The random answers and flow lookups the name-cache comparisons feed two caches alike: a
/// quarter of the steps record an answer, the rest look a flow up over a window reaching up to
/// 40 s back, with servers drawn mostly from a hot 40 so that answers are found as well as missed.
enum DNSAnswerWorkload {
    struct Outcome {
        var answered = 0
        var lookups = 0
        /// False when a lookup disagreed; the steps stopped there.
        var agreed = true
    }

    static let nameLists = [["a.example.com"], ["b.example.org"], ["c.example.net", "edge.cdn.example"]].map { DomainNames($0) }

    /// The names a cache gives a flow's destination: for its client, and for any client.
    typealias Names = (forClient: DomainNames, forNode: DomainNames)
    /// A cache's lookup of the flow (client, server, start, end).
    typealias LookUp = (IPAddress, IPAddress, UInt64, UInt64) -> Names

    /// Runs 40,000 steps. `record` gives an answer to both caches; every lookup of `tested` must
    /// give the names `reference` gives, and the first that does not is an expectation failed.
    static func run(rng: inout SplitMix64, clients: [IPAddress], servers: [IPAddress], record: (AddressResolution) -> Void,
                    tested: LookUp, reference: LookUp,
                    sourceLocation: SourceLocation = #_sourceLocation) -> Outcome {
        var outcome = Outcome()
        var now: UInt64 = 0
        for _ in 0..<40_000 {
            now += rng.below(50_000_000)
            if rng.below(4) == 0 {
                record(AddressResolution(client: rng.pick(clients), address: servers[Int(rng.below(rng.below(2) == 0 ? 40 : 3_000))],
                                         names: rng.pick(nameLists), seen: now, ttlSeconds: UInt32(1 + rng.below(30))))
                continue
            }
            let start = now > 40_000_000_000 ? now - rng.below(40_000_000_000) : 0
            let client = rng.pick(clients), server = servers[Int(rng.below(rng.below(2) == 0 ? 40 : 3_000))]
            let got = tested(client, server, start, now), want = reference(client, server, start, now)
            outcome.lookups += 1
            if !want.forNode.isEmpty { outcome.answered += 1 }
            guard got.forNode == want.forNode && got.forClient == want.forClient else {
                Issue.record("\(server) at \(now): \(got.forNode.names) against \(want.forNode.names)", sourceLocation: sourceLocation)
                outcome.agreed = false
                return outcome
            }
        }
        return outcome
    }
}
