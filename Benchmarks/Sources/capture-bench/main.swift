// capture-bench: decode + flow cache over a capture file, nothing else (no output formatting),
// as the capture stage runs inside the pipeline. See Benchmarks/README.md, "Capture".
//
// Usage: capture-bench FILE [--repeat N]
// Prints one line of key=value figures; with --repeat the best of N runs (page cache warm).
import Capture
import FlowCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Counts what it is handed and drops it, like a ring that is always drained.
struct CountingSink: FlowSink {
    var flows: UInt64 = 0
    var packets: UInt64 = 0
    mutating func accept(_ batch: inout [FlowRecord]) {
        flows &+= UInt64(batch.count)
        for flow in batch { packets &+= flow.packets }
        batch.removeAll(keepingCapacity: true)
    }
}

func seconds() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

var arguments = Array(CommandLine.arguments.dropFirst())
var repeats = 1
if let i = arguments.firstIndex(of: "--repeat"), i + 1 < arguments.count, let n = Int(arguments[i + 1]) {
    repeats = max(1, n)
    arguments.removeSubrange(i...(i + 1))
}
guard arguments.count == 1 else {
    fputs("usage: capture-bench FILE [--repeat N]\n", stderr)
    exit(2)
}

var best = Double.infinity
var last = CaptureStatistics()
var sink = CountingSink()
for _ in 0..<repeats {
    do {
        let started = seconds()
        var capture = FlowCapture(cache: FlowCacheConfiguration())
        sink = CountingSink()
        try capture.run(PacketSource(offlinePath: arguments[0]), into: &sink)
        capture.finish(into: &sink)
        best = min(best, seconds() - started)
        last = capture.statistics
    } catch {
        fputs("capture-bench: \(error)\n", stderr)
        exit(1)
    }
}
let layout = FlowCache.bytesPerFlow
print("packets=\(last.packets) flows=\(sink.flows) flow_packets=\(sink.packets) peak_flows=\(last.cache.peakFlows)"
      + " seconds=\(best) pps=\(Int(Double(last.packets) / best))"
      + " entry_bytes=\(layout.entry) index_bytes=\(layout.indexMinimum)-\(layout.indexMaximum)")
