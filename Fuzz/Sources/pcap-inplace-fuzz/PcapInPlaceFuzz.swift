import Capture
import FlowCore

/// Called by libFuzzer for each input: the first byte picks the batch size and how often
/// progress is reported, the rest is a capture file read from memory twice, once with its
/// classic pcap records read where they lie (then libpcap from the first record that reader
/// leaves) and once by libpcap alone. Both must give the same flows, statistics, DNS answers,
/// error, progress reports and hand-overs to the sink, and neither may read outside the input
/// (AddressSanitizer watches the in-place reader's loads).
func pcapInPlaceFuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let batchSize = 1 + Int(data[0] & 0x0F)
    let progressInterval = UInt64(1 + (data[0] >> 4))
    let capture = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let inPlace = read(capture, reading: .inPlace, batchSize: batchSize, progressInterval: progressInterval)
    let libpcap = read(capture, reading: .dispatching, batchSize: batchSize, progressInterval: progressInterval)
    guard inPlace == libpcap else {
        fatalError("the in-place reader differs from libpcap:\n in place \(inPlace)\n libpcap  \(libpcap)")
    }
    return 0
}

/// Everything a reading of one capture shows the rest of the program.
private struct Outcome: Equatable {
    var flows: [FlowRecord] = []
    var resolutions: [AddressResolution] = []
    var handOvers: [Int] = []
    var progress: [[UInt64]] = []
    var statistics = CaptureStatistics()
    var error: String?
}

private struct RecordingSink: FlowSink {
    var outcome = Outcome()
    mutating func accept(_ batch: inout [FlowRecord]) {
        outcome.handOvers.append(batch.count)
        outcome.flows.append(contentsOf: batch)
        batch.removeAll(keepingCapacity: true)
    }
    mutating func accept(_ batch: inout [FlowRecord], resolutions: inout [AddressResolution]) {
        for var resolution in resolutions {
            resolution.position &+= UInt64(outcome.flows.count)
            outcome.resolutions.append(resolution)
        }
        resolutions.removeAll(keepingCapacity: true)
        accept(&batch)
    }
}

private func read(_ bytes: [UInt8], reading: FlowCapture.Reading, batchSize: Int, progressInterval: UInt64) -> Outcome {
    var capture = FlowCapture(cache: FlowCacheConfiguration(idleTimeoutNanoseconds: 5_000_000_000,
                                                            activeTimeoutNanoseconds: 20_000_000_000, capacity: 64),
                              batchSize: batchSize)
    capture.reading = reading
    capture.progressInterval = progressInterval
    capture.observeDNS()
    var sink = RecordingSink()
    var progress: [[UInt64]] = []
    var error: String?
    do {
        let source = try PacketSource(captureBytes: bytes, name: "fuzz.pcap")
        try capture.run(source, into: &sink) { p in
            progress.append([p.packets, p.fileOffset ?? .max, p.wireBytes, UInt64(p.activeFlows), p.evictions])
        }
    } catch let thrown {
        error = "\(thrown)"
    }
    capture.finish(into: &sink)
    var outcome = sink.outcome
    outcome.progress = progress
    outcome.statistics = capture.statistics
    outcome.error = error
    return outcome
}
