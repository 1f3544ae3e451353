import FlowCore
import FlowTestSupport
import Testing
@testable import SegmentStore

/// `NumberedBlock.payloadBound` and `storedBound`, which the encoding queue places the next
/// block by while a block is still being laid out: never below what laying out and compressing
/// the block take, on blocks made to pack badly (counters and times of every bit length,
/// scattered addresses and ports, IPv6, many exceptions to every column's width).
@Suite struct LayoutBoundTests {
    @Test func boundsHoldForBlocksThatPackBadly() throws {
        var random = SplitMix64(seed: 0xB0_0DED)
        func bits(_ n: UInt64) -> UInt64 { n == 0 ? 0 : random.next() >> (64 - n) }
        var compressor = BlockCompressor(level: 9)
        var layout = BlockLayout()
        var closest = Double.infinity
        for round in 0..<60 {
            let version = [SegmentFormat.domainsVersion, SegmentFormat.segmentDictionaryVersion, SegmentFormat.version][round % 3]
            var encoder = BlockEncoder(catalogEntryLimit: [8, EncoderCatalog.defaultEntryLimit][round % 2], formatVersion: version)
            var generator = SyntheticFlowGenerator(seed: UInt64(900 + round), pods: 5 + Int(random.next() % 600),
                                                   namespaces: 1 + Int(random.next() % 50))
            for block in 0..<3 {
                // Wide values in a share of the rows: a few force exceptions, many force wide columns.
                let wild = [0, 1, 10, 50, 100][Int(random.next() % 5)]
                var flows = generator.generate(1 + Int(random.next() % 3_000))
                for i in flows.indices where Int(random.next() % 100) < wild {
                    var f = flows[i].flow
                    f.packetsOut = bits(random.next() % 65)
                    f.bytesOut = bits(random.next() % 65)
                    f.packetsIn = bits(random.next() % 65)
                    f.bytesIn = bits(random.next() % 65)
                    f.sourcePort = UInt16(truncatingIfNeeded: random.next())
                    f.destinationPort = UInt16(truncatingIfNeeded: random.next())
                    f.start = Timestamp(nanoseconds: bits(random.next() % 65))
                    f.end = Timestamp(nanoseconds: bits(random.next() % 65))
                    f.vlan = UInt16(truncatingIfNeeded: random.next())
                    f.icmpType = UInt8(truncatingIfNeeded: random.next())
                    if random.next() % 3 == 0 {
                        f.sourceAddress = IPAddress(ipv6High: random.next(), low: random.next())
                        f.destinationAddress = IPAddress(ipv6High: random.next(), low: random.next())
                    } else {
                        f.sourceAddress = IPAddress(ipv4: UInt32(truncatingIfNeeded: random.next()))
                    }
                    flows[i].flow = f
                }
                if block == 0 || random.next() % 2 == 0 { encoder.startSegment() }
                for flow in flows { encoder.add(flow) }
                let numbered = encoder.close()
                var payload = ByteSink()
                let digest = numbered.layOut(with: &layout, into: &payload)
                #expect(payload.bytes.count <= numbered.payloadBound,
                        "round \(round) block \(block): \(payload.bytes.count) bytes, bound \(numbered.payloadBound)")
                closest = min(closest, Double(numbered.payloadBound) / Double(payload.bytes.count))
                let copies = 1 + Int(random.next() % 2)
                let raw = RawBlock(payload: payload.bytes, dictionary: numbered.dictionary.payload,
                                   dictionaryRange: numbered.dictionary.range, formatVersion: version, flows: numbered.flows,
                                   digest: digest, dictionaryCopies: copies)
                let stored = try compressor.assemble(raw).bytes.count
                #expect(raw.maximumStoredBytes <= numbered.storedBound(dictionaryCopies: copies), "round \(round) block \(block)")
                #expect(stored <= numbered.storedBound(dictionaryCopies: copies), "round \(round) block \(block)")
            }
        }
        // Generous, but not so loose that the queue would wait at every block of a large segment.
        #expect(closest < 8, "the bound is at least \(closest)× the payload")
    }
}
