import FlowCore
import Policy
import Testing

/// A caching engine hands out one annotation per distinct outcome (both ends' identities, the
/// destination's service, verdict and traces), found by the numbers of those parts. On random
/// flows of the large test cluster the shared annotations must be the ones the plain engine
/// (no cache, every flow walked) builds, their numbers must name one value each within a space,
/// and pairs that come out alike must share one box.
@Suite struct SharedAnnotationTests {
    /// What each number stood for so far, per space: a number naming two values breaks the
    /// promise the store's encoder relies on.
    struct NumberedValues {
        var identities: [UInt64: [UInt32: EndpointIdentity]] = [:]
        var services: [UInt64: [UInt32: String]] = [:]
        var traces: [UInt64: [UInt32: PolicyTrace]] = [:]

        mutating func check(_ a: FlowAnnotation) {
            let n = a.numbers
            #expect(!n.isAbsent, "a cached engine numbers its annotations")
            note(&identities, n.space, n.source, a.source)
            note(&identities, n.space, n.destination, a.destination)
            note(&services, n.space, n.service, a.destinationService)
            for (number, trace) in [(n.egress, a.egress), (n.ingress, a.ingress),
                                    (n.pendingEgress, a.pendingEgress), (n.pendingIngress, a.pendingIngress)] {
                #expect((number == 0) == (trace == nil), "trace number \(number) with trace \(String(describing: trace))")
                if let trace { note(&traces, n.space, number, trace) }
            }
            #expect((n.service == 0) == a.destinationService.isEmpty)
        }

        private func note<Value: Equatable>(_ table: inout [UInt64: [UInt32: Value]], _ space: UInt64, _ number: UInt32, _ value: Value) {
            if let known = table[space, default: [:]][number] {
                #expect(known == value, "space \(space): number \(number) names two values")
            } else {
                table[space, default: [:]][number] = value
            }
        }
    }

    /// Each pair of ends several times (other ports, other source ports, the reverse direction),
    /// with the caches' usual size and sizes small enough that every table, the shared
    /// annotations' included, starts afresh often.
    @Test(arguments: [1 << 18, 64, 9])
    func sharedAnnotationsEqualPlainOnes(capacity: Int) throws {
        let cluster = try ClusterLoader.load(text: LargeTestCluster.yaml())
        let engine = PolicyEngine(cluster: cluster, options: PolicyOptions(cacheCapacity: capacity))
        let plain = PolicyEngine(cluster: cluster, options: PolicyOptions(cachesDecisions: false))
        var values = NumberedValues()
        var boxes: [AnnotationNumbers: Set<ObjectIdentifier>] = [:]
        var flows = 0
        var rng = SplitMix64(seed: 0x5_4A7E)
        for base in LargeTestCluster.randomFlows(count: 2_000, seed: 0xA770 ^ UInt64(capacity)) {
            for k in 0..<3 {
                var flow = base
                if k == 1, flow.ipProtocol.hasPorts {
                    flow.sourcePort = UInt16(32_768 + rng.next() % 20_000)
                    flow.destinationPort = [80, 443, 8080, 9_000 + UInt16(rng.next() % 3)][Int(rng.next() % 4)]
                }
                if k == 2 {
                    swap(&flow.sourceAddress, &flow.destinationAddress)
                    swap(&flow.sourcePort, &flow.destinationPort)
                }
                let annotation = engine.annotate(flow)
                #expect(annotation == plain.annotate(flow), "\(flow)")
                values.check(annotation)
                boxes[annotation.numbers, default: []].insert(annotation.storageIdentity)
                flows += 1
            }
        }
        if capacity == 1 << 18 {
            // Nothing was forgotten: each outcome has one box, and pairs share them.
            #expect(boxes.values.allSatisfy { $0.count == 1 })
            #expect(boxes.count * 4 < flows * 3, "\(boxes.count) annotations for \(flows) flows")
        } else {
            #expect(boxes.keys.map(\.space).reduce(into: Set<UInt64>()) { $0.insert($1) }.count > 1,
                    "trace numbers started afresh")
        }
    }
}
