import FlowCore
import FlowTestSupport
import Foundation
import Testing
@testable import SegmentStore

/// Annotations that carry their producer's numbers (`AnnotationNumbers`) are numbered by the
/// encoder through those numbers; the store must come out byte for byte as when the same
/// annotations carry none and every part is numbered by value.
@Suite struct NumberedAnnotationTests {
    /// A producer that numbers the parts of the synthetic flows' annotations the way the policy
    /// engine does, with the awkward cases the promise allows: two numbers for one value, a
    /// number standing for different values in different spaces, spaces switching back and
    /// forth, numbers too large to keep, annotations without numbers, shared and unshared boxes.
    struct Producer {
        var identities: [EndpointIdentity] = []
        var traces: [PolicyTrace] = []
        var services: [String] = [""]
        /// Per space: the number of each value by its index in the tables above (identities and
        /// traces from 0, services from 1; a trace's `AnnotationNumbers` field is its number + 1).
        var identityNumber: [[UInt32]] = []
        var traceNumber: [[UInt32]] = []
        var serviceNumber: [[UInt32]] = []
        /// The space id of each numbering.
        var spaces: [UInt64] = []
        var identityIndices: [EndpointIdentity: [Int]] = [:]
        var traceIndices: [PolicyTrace: [Int]] = [:]
        var serviceIndices: [String: [Int]] = [:]

        init(flows: [AnnotatedFlow], spaceCount: Int, random: inout SplitMix64) {
            var seenIdentities = Set<EndpointIdentity>(), seenTraces = Set<PolicyTrace>(), seenServices: Set<String> = [""]
            for flow in flows {
                guard let a = flow.annotation else { continue }
                for identity in [a.source, a.destination] where seenIdentities.insert(identity).inserted { identities.append(identity) }
                for case let trace? in [a.egress, a.ingress, a.pendingEgress, a.pendingIngress] where seenTraces.insert(trace).inserted {
                    traces.append(trace)
                }
                if seenServices.insert(a.destinationService).inserted { services.append(a.destinationService) }
            }
            // A value under a second number: equal values must still share one dictionary entry.
            for i in 0..<identities.count where random.below(5) == 0 { identities.append(Self.copy(identities[i])) }
            for i in 0..<traces.count where random.below(5) == 0 { traces.append(Self.copy(traces[i])) }
            for i in 1..<services.count where random.below(5) == 0 { services.append(String(decoding: Array(services[i].utf8), as: UTF8.self)) }
            identityIndices = Self.indices(identities)
            traceIndices = Self.indices(traces)
            serviceIndices = Self.indices(services)
            for _ in 0..<spaceCount {
                spaces.append(AnnotationNumbers.newSpace())
                // Each space numbers the values in its own order: a number stands for another
                // value in the next space.
                identityNumber.append(Self.shuffledNumbers(identities.count, from: 0, &random))
                traceNumber.append(Self.shuffledNumbers(traces.count, from: 0, &random))
                serviceNumber.append([0] + Self.shuffledNumbers(services.count - 1, from: 1, &random))
            }
        }

        static func shuffledNumbers(_ count: Int, from first: UInt32, _ random: inout SplitMix64) -> [UInt32] {
            var numbers = (0..<UInt32(count)).map { $0 + first }
            for i in numbers.indices.reversed() where i > 0 {
                numbers.swapAt(i, Int(random.below(UInt64(i + 1))))
            }
            return numbers
        }

        static func copy(_ identity: EndpointIdentity) -> EndpointIdentity {
            EndpointIdentity(kind: identity.kind, namespace: identity.namespace, name: identity.name,
                             aggregatedName: identity.aggregatedName, labels: identity.labels, serviceAccount: identity.serviceAccount)
        }

        static func copy(_ trace: PolicyTrace) -> PolicyTrace {
            PolicyTrace(reporter: trace.reporter, action: trace.action, hits: trace.hits)
        }

        /// One of the values equal to `value` (its first or a second copy), by its index.
        static func pick<T: Hashable>(_ value: T, in indices: [T: [Int]], _ random: inout SplitMix64) -> Int {
            let all = indices[value]!
            return all[Int(random.below(UInt64(all.count)))]
        }

        static func indices<T: Hashable>(_ table: [T]) -> [T: [Int]] {
            var indices: [T: [Int]] = [:]
            for (i, value) in table.enumerated() { indices[value, default: []].append(i) }
            return indices
        }

        /// The annotation rebuilt from the tables, numbered in `space` (nil: no numbers). Its
        /// value is the original's.
        func numbered(_ a: FlowAnnotation, space: Int?, oversized: Bool, _ random: inout SplitMix64) -> FlowAnnotation {
            let source = Self.pick(a.source, in: identityIndices, &random)
            let destination = Self.pick(a.destination, in: identityIndices, &random)
            let service = Self.pick(a.destinationService, in: serviceIndices, &random)
            func trace(_ t: PolicyTrace?, _ random: inout SplitMix64) -> Int? { t.map { Self.pick($0, in: traceIndices, &random) } }
            let egress = trace(a.egress, &random), ingress = trace(a.ingress, &random)
            let pendingEgress = trace(a.pendingEgress, &random), pendingIngress = trace(a.pendingIngress, &random)
            var numbers = AnnotationNumbers.absent
            if let space {
                func traceField(_ t: Int?) -> UInt32 { t.map { traceNumber[space][$0] + 1 } ?? 0 }
                numbers = AnnotationNumbers(
                    space: spaces[space], source: identityNumber[space][source], destination: identityNumber[space][destination],
                    service: serviceNumber[space][service], egress: traceField(egress), ingress: traceField(ingress),
                    pendingEgress: traceField(pendingEgress), pendingIngress: traceField(pendingIngress))
                if oversized { numbers.destination = NumberedParts.limit + numbers.destination }
            }
            return FlowAnnotation(source: identities[source], destination: identities[destination],
                                  destinationService: services[service], verdict: a.verdict,
                                  egress: egress.map { traces[$0] }, ingress: ingress.map { traces[$0] },
                                  pendingEgress: pendingEgress.map { traces[$0] }, pendingIngress: pendingIngress.map { traces[$0] },
                                  numbers: numbers)
        }
    }

    @Test func numberedAnnotationsAreStoredAsTheirValuesAre() throws {
        var random = SplitMix64(seed: 0x0A11_0CA7)
        func pick(_ n: Int) -> Int { Int(random.below(UInt64(n))) }
        var numberedRounds = 0
        for round in 0..<16 {
            var generator = SyntheticFlowGenerator(seed: UInt64(500 + round), pods: 20 + pick(300), namespaces: 1 + pick(30))
            let original = generator.generate(400 + pick(3_000))
            var producer = Producer(flows: original, spaceCount: 1 + pick(3), random: &random)
            // Runs of flows in one space, switching back and forth; some flows without numbers,
            // a few with a number too large to keep; boxes shared between runs of equal parts.
            var space = 0
            var numbered: [AnnotatedFlow] = []
            var lastBox: (key: Int, annotation: FlowAnnotation)?
            for (i, flow) in original.enumerated() {
                if pick(200) == 0 { space = pick(producer.spaces.count) }
                var copy = flow
                if let a = flow.annotation {
                    if let last = lastBox, last.key == i - 1, last.annotation == a, last.annotation.numbers.space == producer.spaces[space],
                       pick(2) == 0 {
                        copy.annotation = last.annotation
                    } else {
                        let bare = pick(10) == 0, oversized = pick(50) == 0
                        copy.annotation = producer.numbered(a, space: bare ? nil : space, oversized: oversized, &random)
                    }
                    lastBox = (i, copy.annotation!)
                }
                numbered.append(copy)
            }
            #expect(numbered == original, "round \(round): the numbered flows are the same values")
            let plain = numbered.map { flow -> AnnotatedFlow in
                var copy = flow
                copy.annotation?.numbers = .absent
                return copy
            }
            var configuration = StoreConfiguration(blockRecords: 20 + pick(600), segmentMaxBytes: 3_000 + pick(40_000),
                                                   compressionLevel: [0, 3][pick(2)], encodesInBackground: pick(2) == 0)
            configuration.formatVersion = [SegmentFormat.domainsVersion, SegmentFormat.segmentDictionaryVersion,
                                           SegmentFormat.version, SegmentFormat.version][pick(4)]
            configuration.catalogEntryLimit = [8, 64, EncoderCatalog.defaultEntryLimit][pick(3)]
            let batch = 1 + pick(900)
            let plainDirectory = TemporaryDirectory("plain"), numberedDirectory = TemporaryDirectory("numbered")
            defer { plainDirectory.remove(); numberedDirectory.remove() }
            let plainStats = try write(plain, to: plainDirectory.path, configuration: configuration, batch: batch)
            let numberedStats = try write(numbered, to: numberedDirectory.path, configuration: configuration, batch: batch)
            let expected = try blockBytesBySegment(in: plainDirectory.path)
            #expect(try blockBytesBySegment(in: numberedDirectory.path) == expected, "round \(round)")
            #expect(numberedStats.bytesWritten == plainStats.bytesWritten, "round \(round)")
            #expect(try readAll(numberedDirectory.path).0 == original, "round \(round)")
            if numbered.contains(where: { $0.annotation.map { !$0.numbers.isAbsent } ?? false }) { numberedRounds += 1 }
        }
        #expect(numberedRounds == 16)
    }

    /// The encoder's own numbering: one part per number within a space, the numbers forgotten
    /// when the space changes (the same number then names another value).
    @Test func aNumberNamesItsValueOnlyWithinItsSpace() throws {
        let a = EndpointIdentity(kind: .workload, namespace: "shop", name: "web-1", aggregatedName: "web-*")
        let b = EndpointIdentity(kind: .workload, namespace: "shop", name: "db-1", aggregatedName: "db-*")
        let first = AnnotationNumbers.newSpace(), second = AnnotationNumbers.newSpace()
        func annotation(_ source: EndpointIdentity, space: UInt64) -> FlowAnnotation {
            FlowAnnotation(source: source, destination: b, verdict: .allow,
                           numbers: AnnotationNumbers(space: space, source: 5, destination: 6, service: 0,
                                                      egress: 0, ingress: 0, pendingEgress: 0, pendingIngress: 0))
        }
        var encoder = BlockEncoder()
        let firstX = encoder.intern(numbered: annotation(a, space: first).numbers, annotation(a, space: first))
        let x = try #require(firstX)
        // Same space, same numbers: the same annotation (the value is not read again).
        let again = encoder.intern(numbered: annotation(a, space: first).numbers, annotation(a, space: first))
        #expect(again == x)
        // Another space: number 5 now names `b`.
        let secondY = encoder.intern(numbered: annotation(b, space: second).numbers, annotation(b, space: second))
        let y = try #require(secondY)
        #expect(y != x)
        #expect(encoder.content.annotations.keys[y].source == encoder.content.annotations.keys[y].destination)
        // Too large to keep: the plain path's business.
        var oversized = annotation(a, space: second).numbers
        oversized.source = NumberedParts.limit
        let refused = encoder.intern(numbered: oversized, annotation(a, space: second))
        #expect(refused == nil)
    }
}
