import FlowCore
import FlowTestSupport
import Foundation
import Testing

/// The CLI on input that used to kill the process (issue: "no input may crash flowlog"): each
/// case exits with a clear message and keeps what it could read.
struct HostileInputCommandTests {
    typealias B = PacketBuilder

    /// A capture of one UDP flow to `port`.
    func capture(port: UInt16, at seconds: UInt64) -> [UInt8] {
        var writer = PcapWriter()
        let frame = B.ethernetIP(source: IPAddress("192.0.2.1")!, destination: IPAddress("192.0.2.2")!, protocol: .udp,
                                 transport: B.udp(sourcePort: 1000, destinationPort: port, payload: [1, 2, 3]))
        writer.append(frame, at: Timestamp(seconds: seconds, nanoseconds: 0))
        return writer.bytes
    }

    /// A store with two sealed segments (two replays) of one flow each.
    func twoSegmentStore() throws -> String {
        let data = FlowlogRunner.temporaryPath("store")
        for (i, port) in [UInt16(7001), 7002].enumerated() {
            let file = FlowlogRunner.temporaryPath("part\(i).pcap")
            try writeFile(file, capture(port: port, at: 1_700_000_000 + UInt64(i)))
            let r = try FlowlogRunner.run(["replay", "--data", data, "--append", file])
            #expect(r.status == 0, "\(r.stderr)")
        }
        return data
    }

    /// The case: a pcapng whose time stamp overflows, between two good files. The
    /// replay reports it and exits 1, and stores the flows of the files before and after.
    @Test func replayKeepsTheGoodFilesAroundAnOverflowingTimestamp() throws {
        let good1 = FlowlogRunner.temporaryPath("good1.pcap"), good2 = FlowlogRunner.temporaryPath("good2.pcap")
        try writeFile(good1, capture(port: 7101, at: 1_700_000_000))
        try writeFile(good2, capture(port: 7102, at: 1_700_000_010))
        var ng = PcapngWriter()
        let eth = ng.addInterface(linkType: PcapWriter.ethernet)
        ng.append(B.ethernetIP(source: IPAddress("192.0.2.5")!, destination: IPAddress("192.0.2.6")!, protocol: .udp,
                               transport: B.udp(sourcePort: 1, destinationPort: 7103, payload: [])),
                  interface: eth, rawTimestamp: 0xFFFF_FFFF_0000_0000)
        let bad = FlowlogRunner.temporaryPath("bad.pcapng")
        try writeFile(bad, ng.bytes)
        let data = FlowlogRunner.temporaryPath("overflow-store")
        defer { for p in [good1, good2, bad, data] { try? FileManager.default.removeItem(atPath: p) } }
        let r = try FlowlogRunner.run(["replay", "--data", data, good1, bad, good2])
        #expect(r.status == 1)
        #expect(r.stderr.contains(bad) && r.stderr.contains("latest time flowlog can represent"), "\(r.stderr)")
        let q = try FlowlogRunner.run(["query", "--data", data, "-o", "csv", "--fields", "dest_port"])
        #expect(q.status == 0, "\(q.stderr)")
        #expect(Set(q.stdout.split(separator: "\n").dropFirst()) == ["7101", "7102"])
    }

    @Test func aDamagedSegmentHeaderIsAWarningAndLosesNoRow() throws {
        let data = try twoSegmentStore()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let segment = data + "/000000000001.seg"
        var bytes = try #require(FileManager.default.contents(atPath: segment))
        bytes[20] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: segment))
        let r = try FlowlogRunner.run(["query", "--data", data, "-o", "csv", "--fields", "dest_port", "--stats"])
        #expect(r.status == 0)
        #expect(r.stdout.split(separator: "\n").count == 3, "\(r.stdout)")
        #expect(r.stderr.contains("warning: skipped \(segment), offset 0, segment header: damaged segment header"), "\(r.stderr)")
        #expect(r.stderr.contains("(no flows lost)"))
        #expect(r.stderr.contains("unread: 1 unreadable part of the store; no flows lost"))
        let strict = try FlowlogRunner.run(["query", "--data", data, "--strict", "-o", "csv"])
        #expect(strict.status == 1)
        #expect(strict.stderr.contains("error: skipped"))
    }

    /// A segment the manifest lists but that is gone: named, with its flow count; `--strict`
    /// turns it into exit status 1.
    @Test func aMissingSegmentIsWarnedWithItsFlowCount() throws {
        let data = try twoSegmentStore()
        defer { try? FileManager.default.removeItem(atPath: data) }
        try FileManager.default.removeItem(atPath: data + "/000000000001.seg")
        let r = try FlowlogRunner.run(["query", "--data", data, "-o", "csv", "--fields", "dest_port"])
        #expect(r.status == 0)
        #expect(r.stdout.split(separator: "\n") == ["dest_port", "7002"])
        #expect(r.stderr.contains("000000000001.seg: segment listed in the manifest is missing (1 flow may be missing)"), "\(r.stderr)")
        #expect(r.stderr.contains("--strict makes this an error"))
        let strict = try FlowlogRunner.run(["query", "--data", data, "--strict", "-o", "csv"])
        #expect(strict.status == 1)
        #expect(strict.stderr.contains("1 flow may be missing"))
    }

    @Test func hostileQueryArgumentsAreErrorsNotCrashes() throws {
        let data = try twoSegmentStore()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let top = try FlowlogRunner.run(["query", "--data", data, "--top", "1000000000", "-o", "csv", "--fields", "dest_port"])
        #expect(top.status == 0, "\(top.stderr)")
        #expect(top.stdout.split(separator: "\n").count == 3)
        let nested = try FlowlogRunner.run(["query", "--data", data, String(repeating: "(", count: 15_000) + "port 1"])
        #expect(nested.status == 2)
        #expect(nested.stderr.contains("nested more than 200 deep"))
        let negated = try FlowlogRunner.run(["query", "--data", data, String(repeating: "!", count: 17_000) + "port 7001", "-o", "csv"])
        #expect(negated.status == 0, "\(negated.stderr)")
        for since in ["2026-11-23T09:00:00.1234567890Z", "2555-01-01T00:00:00Z"] {
            let r = try FlowlogRunner.run(["query", "--data", data, "--since", since])
            #expect(r.status == 64, "\(since)")
            #expect(r.stderr.contains("--since") && r.stderr.contains("not an RFC 3339 time"), "\(r.stderr)")
        }
    }

    @Test func deeplyNestedManifestsAreErrorsInPolicyCheckAndReplay() throws {
        let manifest = FlowlogRunner.temporaryPath("deep.yaml")
        try ("apiVersion: v1\nkind: Pod\nmetadata: " + String(repeating: "[", count: 5_000) + "\n").write(toFile: manifest, atomically: true, encoding: .utf8)
        let pcap = FlowlogRunner.temporaryPath("one.pcap")
        try writeFile(pcap, capture(port: 7201, at: 1_700_000_000))
        defer { for p in [manifest, pcap] { try? FileManager.default.removeItem(atPath: p) } }
        let check = try FlowlogRunner.run(["policy", "check", "--cluster", manifest])
        #expect(check.status == 2)
        #expect(check.stderr.contains("\(manifest):3:74: nested more than 64 levels deep"), "\(check.stderr)")
        let replay = try FlowlogRunner.run(["replay", "--cluster", manifest, pcap])
        #expect(replay.status != 0)
        #expect(replay.stderr.contains("nested more than 64 levels deep"), "\(replay.stderr)")
    }
}
