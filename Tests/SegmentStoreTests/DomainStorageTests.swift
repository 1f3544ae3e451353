import FlowCore
import FlowTestSupport
import Testing
@testable import SegmentStore

/// Destination domain names in the store: they come back exactly, cost one small table per
/// block, and blocks of format version 1 (written before names existed) still read.
@Suite struct DomainStorageTests {
    private func withNames(_ flows: [AnnotatedFlow]) -> [AnnotatedFlow] {
        let lists = [DomainNames(["api.example.com"]), DomainNames(["www.example.org", "edge.cdn.example.net"]), .none]
        return flows.enumerated().map { i, flow in
            var f = flow
            f.destinationDomains = lists[i % lists.count]
            return f
        }
    }

    @Test func namesRoundTripWithEveryOtherField() throws {
        var generator = SyntheticFlowGenerator(seed: 11)
        let flows = withNames(generator.generate(2500))
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        _ = try write(flows, to: dir.path, configuration: StoreConfiguration(blockRecords: 1000))
        let (back, scan) = try readAll(dir.path)
        #expect(back == flows)
        #expect(scan.corruptBlocks.isEmpty)
        #expect(back.filter { !$0.destinationDomains.isEmpty }.count == flows.filter { !$0.destinationDomains.isEmpty }.count)
    }

    @Test func versionOneBlocksReadWithoutNames() throws {
        // A version 2 payload without names is a version 1 payload plus the empty domain table
        // (a zero count and an all-zero packed column) after the conversations' node column.
        var generator = SyntheticFlowGenerator(seed: 12)
        let flows = generator.generate(40)
        var encoder = BlockEncoder(formatVersion: 2)
        for flow in flows { encoder.add(flow) }
        var sink = ByteSink()
        _ = encoder.finish(into: &sink)
        let v2 = sink.bytes
        var empty = ByteSink()
        empty.varint(0)
        PackedColumn.encode([UInt64](repeating: 0, count: Set(flows.map { ConversationKey($0) }).count), into: &empty)
        let marker = empty.bytes
        // Find the table right before the shapes: try each position, keep the one that decodes as v1.
        var decodedAsV1: [AnnotatedFlow]?
        for start in stride(from: v2.count - marker.count, through: 0, by: -1) where Array(v2[start..<(start + marker.count)]) == marker {
            let v1 = Array(v2[..<start]) + Array(v2[(start + marker.count)...])
            var decoder = BlockDecoder()
            decoder.payloadVersion = 1
            var block = BlockRows()
            let count = try? v1.withUnsafeBytes { try decoder.decode($0, since: nil, until: nil, into: &block) }
            if count == flows.count {
                decodedAsV1 = (0..<block.count).map { block.flow($0) }
                break
            }
        }
        #expect(decodedAsV1 == flows)
        // And the same v1 bytes read as version 2 do not pass silently as the same flows.
        var decoder = BlockDecoder()
        decoder.payloadVersion = 2
        var block = BlockRows()
        let asV2 = try? v2.withUnsafeBytes { try decoder.decode($0, since: nil, until: nil, into: &block) }
        #expect(asV2 == flows.count)
    }
}

/// What makes records share a conversation row (see `BlockEncoder.Conversation`).
private struct ConversationKey: Hashable {
    let source: IPAddress, destination: IPAddress, port: UInt16, proto: UInt8, vlan: UInt16, inner: UInt16
    let annotation: FlowAnnotation?, node: String, domains: DomainNames
    init(_ f: AnnotatedFlow) {
        source = f.flow.sourceAddress; destination = f.flow.destinationAddress; port = f.flow.destinationPort
        proto = f.flow.ipProtocol.rawValue; vlan = f.flow.vlan; inner = f.flow.innerVLAN
        annotation = f.annotation; node = f.node; domains = f.destinationDomains
    }
}
