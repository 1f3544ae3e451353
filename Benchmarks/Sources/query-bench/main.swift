// query-bench: fills segment stores with the store's synthetic Kubernetes traffic for the
// query benchmark (Benchmarks/scripts/query.sh), which times `flowlog query` against them.
//
//   query-bench fill DIR COUNT       COUNT flows at 2,000 flows/s (the size of the nfdump file)
//   query-bench day DIR FLOWS_PER_S  24 hours of flows at FLOWS_PER_S, for the time-index check
//
// Prints the flows written, the first and last flow start (RFC 3339) and bytes per flow.
#if canImport(Glibc)
import Glibc
#endif
import FlowCore
import FlowTestSupport
import SegmentStore

func fail(_ message: String) -> Never {
    print("query-bench: \(message)")
    print("usage: query-bench fill DIR COUNT | query-bench day DIR FLOWS_PER_SECOND")
    exit(2)
}

let arguments = CommandLine.arguments
guard arguments.count == 4, let number = Double(arguments[3]), number > 0 else { fail("bad arguments") }
let directory = arguments[2]
let start = Timestamp(seconds: 1_795_392_000, nanoseconds: 0)

var generator: SyntheticFlowGenerator
var count: Int
switch arguments[1] {
case "fill":
    count = Int(number)
    generator = SyntheticFlowGenerator(seed: 42, start: start)
case "day":
    count = Int(number * 86_400)
    generator = SyntheticFlowGenerator(seed: 42, start: start, flowsPerSecond: number)
default:
    fail("unknown mode '\(arguments[1])'")
}

do {
    let writer = try SegmentWriter(directory: directory, configuration: StoreConfiguration())
    var first: Timestamp?
    var last = Timestamp.zero
    var remaining = count
    var batch: [AnnotatedFlow] = []
    batch.reserveCapacity(4096)
    while remaining > 0 {
        batch.removeAll(keepingCapacity: true)
        for _ in 0..<min(4096, remaining) { batch.append(generator.next()) }
        remaining -= batch.count
        if first == nil { first = batch.first?.flow.start }
        last = batch.last!.flow.start
        try writer.append(batch)
    }
    try writer.close()
    let stats = writer.statistics
    print("flows \(stats.flows) first \(first ?? start) last \(last) bytes_per_flow \(stats.bytesPerFlow)")
} catch {
    fail("\(error)")
}
