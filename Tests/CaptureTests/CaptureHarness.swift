import Capture
import FlowCore
import FlowTestSupport
import Foundation

/// Writes hand-built captures to temporary files and runs them through `FlowCapture`.
enum CaptureHarness {
    static let directory: String = {
        let path = NSTemporaryDirectory() + "flowlog-capture-tests-\(getpid())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    static func temporaryPath(_ name: String) -> String {
        directory + "/" + UUID().uuidString + "-" + name
    }

    static func fixture(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)").path
    }

    /// Timeouts long enough that nothing expires: every flow is flushed once at the end.
    static let noExpiry = FlowCacheConfiguration(idleTimeoutNanoseconds: UInt64(1) << 62, activeTimeoutNanoseconds: 0,
                                                 tcpTeardown: .ignore)

    static let base = Timestamp(seconds: 1_700_000_000, nanoseconds: 0)

    struct Result {
        var statistics: CaptureStatistics
        var flows: [FlowRecord]
    }

    /// Runs a capture file through a fresh capture and finishes it.
    static func run(file path: String, cache: FlowCacheConfiguration = noExpiry) throws -> Result {
        var capture = FlowCapture(cache: cache, batchSize: 7)
        var sink = CollectingFlowSink()
        try capture.run(PacketSource(offlinePath: path), into: &sink)
        capture.finish(into: &sink)
        return Result(statistics: capture.statistics, flows: sink.flows)
    }

    /// Writes `frames` as a classic pcap of `linkType` (one frame per millisecond unless
    /// times are given) and runs it.
    static func run(_ frames: [[UInt8]], linkType: UInt32 = PcapWriter.ethernet, cache: FlowCacheConfiguration = noExpiry,
                    times: [Timestamp]? = nil) throws -> Result {
        var writer = PcapWriter(linkType: linkType, precision: .nanoseconds)
        for (i, frame) in frames.enumerated() {
            writer.append(frame, at: times?[i] ?? Timestamp(nanoseconds: base.nanoseconds + UInt64(i) * 1_000_000))
        }
        let path = temporaryPath("frames.pcap")
        try writer.write(to: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try run(file: path, cache: cache)
    }

    static func v4(_ text: String) -> IPAddress { IPAddress(text)! }
}
