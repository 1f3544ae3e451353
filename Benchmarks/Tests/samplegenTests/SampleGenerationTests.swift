import Foundation
import Testing
import FlowCore
@testable import samplegen

@Suite("samplegen output")
struct SampleGenerationTests {
    @Test("the same seed gives the same bytes; another seed does not")
    func determinism() throws {
        let a = try SampleFixture(seed: 42), b = try SampleFixture(seed: 42), c = try SampleFixture(seed: 43)
        defer { a.remove(); b.remove(); c.remove() }
        #expect(try a.contents("capture.pcap") == b.contents("capture.pcap"))
        #expect(try a.manifestFiles() == b.manifestFiles())
        for file in try a.manifestFiles() {
            #expect(try a.contents("cluster/" + file) == b.contents("cluster/" + file), "\(file)")
        }
        #expect(try a.contents("capture.pcap") != c.contents("capture.pcap"))
        #expect(try a.contents("cluster/20-pods.yaml") != c.contents("cluster/20-pods.yaml"))
    }

    @Test("changing the flow count leaves the manifests unchanged")
    func manifestsIndependentOfTraffic() throws {
        let a = try SampleFixture(seed: 5), b = try SampleFixture(seed: 5, extra: ["--flows", "50"])
        defer { a.remove(); b.remove() }
        for file in try a.manifestFiles() {
            #expect(try a.contents("cluster/" + file) == b.contents("cluster/" + file), "\(file)")
        }
        #expect(b.generation.traffic.flows == 50)
    }

    @Test("the capture is a well-formed Ethernet pcap in time order with valid checksums")
    func captureFormat() throws {
        let sample = try SampleFixture()
        defer { sample.remove() }
        let pcap = try PcapRecords(sample.contents("capture.pcap"))
        #expect(pcap.magic == 0xA1B2_C3D4)
        #expect(pcap.linkType == 1)
        #expect(UInt64(pcap.records.count) == sample.generation.traffic.packets)
        #expect(pcap.records.count > 3000)
        let first = pcap.records[0]
        #expect(UInt64(first.seconds) == sample.options.start.seconds)
        var previous: UInt64 = 0
        var protocols: Set<UInt8> = []
        var ipv6 = 0
        for (i, record) in pcap.records.enumerated() {
            let time = UInt64(record.seconds) * 1_000_000 + UInt64(record.microseconds)
            #expect(time >= previous, "record \(i) goes back in time")
            previous = time
            #expect(record.frame.count == record.originalLength)
            #expect(record.frame.count >= 60 && record.frame.count <= 1514, "record \(i): \(record.frame.count) bytes")
            guard let packet = DecodedPacket(record.frame) else {
                Issue.record("record \(i) does not decode")
                continue
            }
            #expect(packet.ipv4HeaderChecksumValid, "record \(i): IPv4 header checksum")
            #expect(packet.transportChecksumValid, "record \(i): transport checksum")
            protocols.insert(packet.proto)
            if packet.source.version == .v6 { ipv6 += 1 }
        }
        #expect(protocols.isSuperset(of: [1, 6, 17, 58]))
        #expect(ipv6 > 0 && ipv6 < pcap.records.count / 3)
    }

    @Test("every address in the capture is a pod's or an external host's")
    func addressesBelongToTheCluster() throws {
        let sample = try SampleFixture()
        defer { sample.remove() }
        let cluster = sample.generation.cluster
        var known = Set(cluster.pods.flatMap { [$0.ipv4, $0.ipv6] })
        for group in ExternalGroup.allCases {
            for i in 0..<cluster.external.count(group) {
                known.insert(cluster.external.address(group, i, ipv6: false))
                known.insert(cluster.external.address(group, i, ipv6: true))
            }
        }
        let pcap = try PcapRecords(sample.contents("capture.pcap"))
        for record in pcap.records {
            guard let packet = DecodedPacket(record.frame) else { continue }
            #expect(known.contains(packet.source), "\(packet.source)")
            #expect(known.contains(packet.destination), "\(packet.destination)")
        }
    }
}
