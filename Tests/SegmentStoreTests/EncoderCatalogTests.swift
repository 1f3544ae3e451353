import FlowCore
import FlowTestSupport
import Testing
@testable import SegmentStore

/// The encoder numbers identities and traces once per writer (`EncoderCatalog`) and finds them
/// by shared box; a block must come out the same as when every value is numbered afresh by value.
/// (Version 2 blocks, which list their own dictionaries: version 3 blocks number per segment, and
/// `SegmentDictionaryTests` compares them with these.)
@Suite struct EncoderCatalogTests {
    /// The same flows with every annotation, identity and trace in a new box of its own (as a
    /// producer that shares nothing hands them over), label maps rebuilt key by key in reverse order.
    static func unshared(_ flow: AnnotatedFlow) -> AnnotatedFlow {
        guard let a = flow.annotation else { return flow }
        func identity(_ i: EndpointIdentity) -> EndpointIdentity {
            var labels: [String: String] = [:]
            for (key, value) in i.labels.sorted(by: { $0.key > $1.key }) { labels[key] = value }
            return EndpointIdentity(kind: i.kind, namespace: i.namespace, name: i.name, aggregatedName: i.aggregatedName,
                                    labels: labels, serviceAccount: i.serviceAccount)
        }
        func trace(_ t: PolicyTrace?) -> PolicyTrace? {
            t.map { PolicyTrace(reporter: $0.reporter, action: $0.action, hits: $0.hits) }
        }
        var copy = flow
        copy.annotation = FlowAnnotation(source: identity(a.source), destination: identity(a.destination),
                                         destinationService: a.destinationService, verdict: a.verdict,
                                         egress: trace(a.egress), ingress: trace(a.ingress),
                                         pendingEgress: trace(a.pendingEgress), pendingIngress: trace(a.pendingIngress))
        return copy
    }

    /// Encodes `flows` in blocks of `blockSize`; `fresh` gives each block a new encoder (nothing
    /// carried over between blocks: the plain path).
    static func encode(_ flows: [AnnotatedFlow], blockSize: Int, fresh: Bool, catalogLimit: Int = EncoderCatalog.defaultEntryLimit)
        -> [(bytes: [UInt8], digest: BlockDigest)] {
        var encoder = BlockEncoder(catalogEntryLimit: catalogLimit, formatVersion: 2)
        var blocks: [(bytes: [UInt8], digest: BlockDigest)] = []
        var start = 0
        while start < flows.count {
            if fresh { encoder = BlockEncoder(catalogEntryLimit: catalogLimit, formatVersion: 2) }
            let end = min(start + blockSize, flows.count)
            for flow in flows[start..<end] { encoder.add(flow) }
            var sink = ByteSink()
            let digest = encoder.finish(into: &sink)
            blocks.append((sink.bytes, digest))
            start = end
        }
        return blocks
    }

    @Test(arguments: [1, 2, 3, 4])
    func catalogPathEncodesAsThePlainPath(seed: UInt64) throws {
        var generator = SyntheticFlowGenerator(seed: seed)
        var flows = generator.generate(3000)
        flows.insert(contentsOf: edgeCaseFlows(), at: 1234)
        var random = SplitMix64(seed: seed)
        // Every other flow (at random) in boxes of its own: box hits and value fallbacks mix.
        let mixed = flows.map { random.next() & 1 == 0 ? Self.unshared($0) : $0 }
        let blockSize = 200 + Int(seed) * 97
        let plain = Self.encode(flows, blockSize: blockSize, fresh: true)
        for (name, blocks) in [("shared boxes", Self.encode(flows, blockSize: blockSize, fresh: false)),
                               ("mixed boxes", Self.encode(mixed, blockSize: blockSize, fresh: false)),
                               ("catalog restarting", Self.encode(mixed, blockSize: blockSize, fresh: false, catalogLimit: 40))] {
            #expect(blocks.count == plain.count, "\(name)")
            for (i, (block, reference)) in zip(blocks, plain).enumerated() {
                #expect(block.bytes == reference.bytes, "\(name): block \(i) differs")
                #expect(block.digest == reference.digest, "\(name): block \(i) digest differs")
            }
        }
        // And the blocks read back as the flows.
        var back: [AnnotatedFlow] = []
        for block in Self.encode(mixed, blockSize: blockSize, fresh: false) {
            var decoder = BlockDecoder()
            decoder.payloadVersion = 2
            var rows = BlockRows()
            let count = try block.bytes.withUnsafeBytes { try decoder.decode($0, since: nil, until: nil, into: &rows) }
            back.append(contentsOf: (0..<count).map { rows.flow($0) })
        }
        #expect(back == flows)
    }
}
