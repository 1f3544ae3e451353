import FlowCore
import Testing
@testable import SegmentStore

/// `EncoderCatalog` finds an identity or trace in a box it has not met by its parts' numbers
/// (`IdentityKey`, `TraceKey`); two values must get one number exactly when `==` calls them
/// equal. Random values from small alphabets (so near misses are common: one field apart, names
/// of one length), each in a box of its own, every pair checked.
@Suite struct CatalogKeyTests {
    static func trace(_ random: inout SplitMix64) -> PolicyTrace {
        let hits = (0..<random.below(4)).map { _ in
            PolicyHit(index: Int(random.below(3)) - 1, tier: random.pick(["t1", "t2", "default"]),
                      kind: random.pick(PolicyKind.allCases), namespace: random.pick(["", "a", "b"]),
                      name: random.pick(["p1", "p2", "q1"]), action: random.pick(PolicyAction.allCases),
                      ruleIndex: Int(random.below(3)) - 1)
        }
        return PolicyTrace(reporter: random.below(2) == 0 ? .source : .destination,
                           action: random.pick(Verdict.allCases), hits: hits)
    }

    static func identity(_ random: inout SplitMix64) -> EndpointIdentity {
        var labels: [String: String] = [:]
        for _ in 0..<random.below(3) { labels[random.pick(["app", "tier"])] = random.pick(["x", "y"]) }
        return EndpointIdentity(kind: random.pick(EndpointKind.allCases), namespace: random.pick(["a", "b"]),
                                name: random.pick(["n1", "n2"]), aggregatedName: random.pick(["n*", "m*"]),
                                labels: labels, serviceAccount: random.pick(["", "sa"]))
    }

    /// A copy in a new box (label map rebuilt), equal by value.
    static func reboxed(_ t: PolicyTrace) -> PolicyTrace { PolicyTrace(reporter: t.reporter, action: t.action, hits: t.hits) }
    static func reboxed(_ i: EndpointIdentity) -> EndpointIdentity {
        var labels: [String: String] = [:]
        for (key, value) in i.labels.sorted(by: { $0.key > $1.key }) { labels[key] = value }
        return EndpointIdentity(kind: i.kind, namespace: i.namespace, name: i.name, aggregatedName: i.aggregatedName,
                                labels: labels, serviceAccount: i.serviceAccount)
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func tracesShareANumberExactlyWhenEqual(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let traces = (0..<400).map { _ in Self.trace(&random) }
        var catalog = EncoderCatalog()
        let numbers = traces.map { catalog.number(of: $0) }
        for i in traces.indices {
            #expect(catalog.number(of: Self.reboxed(traces[i])) == numbers[i])
            #expect(catalog.traceList[numbers[i]] == traces[i])
            for j in traces.indices where j < i {
                #expect((numbers[i] == numbers[j]) == (traces[i] == traces[j]), "traces \(i) and \(j)")
            }
        }
        #expect(catalog.traceList.count == Set(traces).count)
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func identitiesShareANumberExactlyWhenEqual(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let identities = (0..<400).map { _ in Self.identity(&random) }
        var catalog = EncoderCatalog()
        let numbers = identities.map { catalog.number(of: $0) }
        for i in identities.indices {
            #expect(catalog.number(of: Self.reboxed(identities[i])) == numbers[i])
            #expect(catalog.identityList[numbers[i]] == identities[i])
            for j in identities.indices where j < i {
                #expect((numbers[i] == numbers[j]) == (identities[i] == identities[j]), "identities \(i) and \(j)")
            }
        }
        #expect(catalog.identityList.count == Set(identities).count)
    }
}
