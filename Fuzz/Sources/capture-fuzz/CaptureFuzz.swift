import Capture
import FlowCore

/// Link types the decoder reads, picked by the first byte for wrapped frames.
private let linkTypes: [UInt32] = [1, 113, 276, 101, 228, 229, 0, 108]

/// Called by libFuzzer for each input. The first byte chooses how the rest is read:
/// odd — the bytes are a whole capture file (classic pcap or pcapng), read by libpcap from
/// memory, so libpcap's readers and the time stamp conversion see hostile files; even — the
/// rest is a series of frames (`length byte, frame bytes`), wrapped in a nanosecond classic
/// pcap of the link type the byte picks, so the decoder, fragment table and flow cache see
/// arbitrary frames of every link type. Either way: flows or a located error, never a crash.
func captureFuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let capture = bytes[0] & 1 == 1
        ? Array(bytes.dropFirst())
        : wrapFrames(Array(bytes.dropFirst()), linkType: linkTypes[Int(bytes[0] >> 1) % linkTypes.count])
    let source: PacketSource
    do {
        source = try PacketSource(captureBytes: capture, name: "fuzz.pcap")
    } catch let error as FlowlogError {
        guard error.location?.file == "fuzz.pcap" else { fatalError("open error without the file: \(error)") }
        return 0
    } catch {
        fatalError("unexpected error type \(error)")
    }
    var flowCapture = FlowCapture(cache: FlowCacheConfiguration(idleTimeoutNanoseconds: 5_000_000_000,
                                                                activeTimeoutNanoseconds: 20_000_000_000, capacity: 64),
                                  batchSize: 8)
    var sink = CheckingSink()
    do {
        try flowCapture.run(source, into: &sink)
    } catch let error as FlowlogError {
        guard [.corrupt, .truncated, .unsupportedFormat].contains(error.code), error.location?.file == "fuzz.pcap" else {
            fatalError("read error of an unexpected kind or without the file: \(error)")
        }
    } catch {
        fatalError("unexpected error type \(error)")
    }
    flowCapture.finish(into: &sink)
    let statistics = flowCapture.statistics
    guard sink.packets <= statistics.ipPackets else {
        fatalError("flows hold \(sink.packets) packets, only \(statistics.ipPackets) IP packets were read")
    }
    return 0
}

/// Checks every flow as it arrives.
private struct CheckingSink: FlowSink {
    var packets: UInt64 = 0

    mutating func accept(_ batch: inout [FlowRecord]) {
        for flow in batch {
            guard flow.start <= flow.end else { fatalError("flow ends before it starts: \(flow)") }
            guard flow.packets > 0 else { fatalError("flow without packets: \(flow)") }
            packets &+= flow.packets
        }
    }
}

/// A nanosecond classic pcap holding the frames of `stream` (each a length byte and that many
/// bytes, the last one cut short if the input ends), one millisecond apart.
private func wrapFrames(_ stream: [UInt8], linkType: UInt32) -> [UInt8] {
    var out: [UInt8] = []
    func u32(_ v: UInt32) { for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) } }
    u32(0xA1B2_3C4D)
    out += [2, 0, 4, 0]
    u32(0); u32(0); u32(262_144); u32(linkType)
    var i = 0
    var millisecond: UInt32 = 0
    while i < stream.count {
        let length = Int(stream[i])
        let frame = stream[(i + 1)..<min(stream.count, i + 1 + length)]
        i += 1 + length
        u32(1_700_000_000 + millisecond / 1000)
        u32((millisecond % 1000) * 1_000_000)
        u32(UInt32(frame.count)); u32(UInt32(frame.count))
        out += frame
        millisecond += 1
    }
    return out
}
