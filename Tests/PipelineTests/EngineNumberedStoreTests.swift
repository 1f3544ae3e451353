import FlowCore
import FlowTestSupport
import Foundation
import Policy
import Testing
@testable import SegmentStore

/// The policy engine's annotations carry the numbers of their parts (`AnnotationNumbers`), and the
/// store's encoder numbers them through those: on the sample cluster (tiers, staged policies,
/// network sets, services) and random traffic, the store must be byte for byte the one written
/// from the same annotations without numbers, including when the engine's caches fill and its
/// trace numbers start afresh in a new space.
@Suite struct EngineNumberedStoreTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// Addresses flows come from and go to: every pod's, every service's, addresses inside the
    /// network sets, private and public outside addresses.
    static func addresses(of cluster: Cluster, _ random: inout SplitMix64) -> [IPAddress] {
        var all = cluster.pods.flatMap(\.addresses) + cluster.services.flatMap(\.clusterIPs)
        for set in cluster.networkSets {
            for net in set.nets where net.address.version == .v4 {
                let span = UInt64(1) << UInt64(32 - net.length)
                all.append(IPAddress(ipv4: UInt32(truncatingIfNeeded: net.address.low &+ random.below(span))))
            }
        }
        for _ in 0..<20 {
            all.append(IPAddress(ipv4: 0x0A00_0000 | UInt32(random.below(1 << 24))))     // private
            all.append(IPAddress(ipv4: 0x2D00_0000 | UInt32(random.below(1 << 24))))     // public
        }
        return all
    }

    func blocks(in directory: String) throws -> [[[UInt8]]] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasSuffix(".seg") }.sorted()
        return try names.map { name in
            let path = directory + "/" + name
            let bytes = try #require(FileManager.default.contents(atPath: path))
            return try SegmentLayout.read(PosixFile.openForReading(path)).blocks.map {
                Array(bytes[Int($0.offset)..<Int($0.offset) + Int($0.length)])
            }
        }
    }

    func write(_ flows: [AnnotatedFlow], to directory: String, configuration: StoreConfiguration) throws {
        let writer = try SegmentWriter(directory: directory, configuration: configuration)
        var start = 0
        while start < flows.count {
            var batch = Array(flows[start..<min(flows.count, start + 500)])
            try writer.append(taking: &batch)
            start += 500
        }
        try writer.close()
    }

    @Test func engineAnnotationsStoreAsTheirValues() throws {
        let cluster = try ClusterLoader.load(paths: [Self.root + "/samples/cluster"])
        var random = SplitMix64(seed: 0x5EED_0018)
        let ends = Self.addresses(of: cluster, &random)
        #expect(ends.count > 40)
        let ports: [UInt16] = [53, 80, 443, 5432, 6379, 8080, 8443, 9090, 22]
        for round in 0..<3 {
            // Small caches in some rounds: decisions and traces are forgotten and renumbered.
            let capacity = [1 << 18, 6, 300][round % 3]
            let engine = PolicyEngine(cluster: cluster, options: PolicyOptions(cacheCapacity: capacity))
            var records: [FlowRecord] = []
            var time: UInt64 = 1_795_392_000_000_000_000
            for _ in 0..<(2_000 + Int(random.below(1_500))) {
                time += random.below(2_000_000)
                let tcp = random.below(4) != 0
                records.append(FlowRecord(
                    sourceAddress: random.pick(ends), destinationAddress: random.pick(ends),
                    sourcePort: UInt16(32_768 + random.below(20_000)), destinationPort: random.pick(ports),
                    ipProtocol: tcp ? .tcp : .udp, start: Timestamp(nanoseconds: time - 1_000_000),
                    end: Timestamp(nanoseconds: time), packetsOut: 1 + random.below(9), bytesOut: 60 + random.below(9_000),
                    packetsIn: random.below(9), bytesIn: random.below(90_000)))
            }
            var annotated: [AnnotatedFlow] = []
            var batch: [FlowRecord] = []
            for chunk in stride(from: 0, to: records.count, by: 256) {
                batch.append(contentsOf: records[chunk..<min(records.count, chunk + 256)])
                engine.annotate(&batch, into: &annotated, node: "node-\(round)")
            }
            let numbered = annotated.filter { !($0.annotation?.numbers.isAbsent ?? true) }.count
            #expect(numbered == annotated.count, "round \(round): every engine annotation is numbered")
            let spaces = Set(annotated.compactMap { $0.annotation?.numbers.space })
            if capacity == 6 { #expect(spaces.count > 1, "round \(round): trace numbers started afresh") }
            let plain = annotated.map { flow -> AnnotatedFlow in
                var copy = flow
                copy.annotation?.numbers = .absent
                return copy
            }
            let configuration = StoreConfiguration(blockRecords: 100 + Int(random.below(2_000)), segmentMaxBytes: 20_000 + Int(random.below(200_000)))
            let plainDirectory = NSTemporaryDirectory() + "flowlog-plain-\(UUID().uuidString)"
            let numberedDirectory = NSTemporaryDirectory() + "flowlog-numbered-\(UUID().uuidString)"
            defer {
                try? FileManager.default.removeItem(atPath: plainDirectory)
                try? FileManager.default.removeItem(atPath: numberedDirectory)
            }
            try write(plain, to: plainDirectory, configuration: configuration)
            try write(annotated, to: numberedDirectory, configuration: configuration)
            let expected = try blocks(in: plainDirectory)
            #expect(!expected.isEmpty)
            #expect(try blocks(in: numberedDirectory) == expected, "round \(round)")
        }
    }
}
