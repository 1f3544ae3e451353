// store-bench: write and read throughput and bytes per flow of the segment store, on
// deterministic synthetic Kubernetes traffic (FlowTestSupport's SyntheticFlowGenerator).
//
//   store-bench DIR [FLOWS] [SEED]      write FLOWS synthetic flows to DIR, then read them
//   store-bench --scan DIR [REPEAT] [--threads N]
//                                        only scan an existing store REPEAT times, every field
//                                        of every flow decoded and folded into a checksum, rows
//                                        read where they lie, blocks decoded on N threads
//                                        (default: the processors online, at most 8; 1 reads
//                                        on the calling thread alone); prints the rate, the
//                                        checksum and the flows visited
//   store-bench --scan-records DIR [REPEAT]  the same through whole records (`AnnotatedFlow`
//                                        per flow): the reference, same checksum
//
// Prints `name value` lines: flows, write_flows_per_s, disk_bytes, bytes_per_flow,
// scan_flows_per_s (every field decoded), pruned_scan_flows_per_s (namespace digest check),
// blocks_total, blocks_read_pruned.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FlowCore
import FlowTestSupport
import SegmentStore

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func directoryBytes(_ path: String) -> UInt64 {
    guard let dir = opendir(path) else { return 0 }
    defer { closedir(dir) }
    var total: UInt64 = 0
    while let entry = readdir(dir) {
        let name = withUnsafePointer(to: entry.pointee.d_name) {
            $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
        }
        var info = stat()
        if name != ".", name != "..", stat(path + "/" + name, &info) == 0 { total += UInt64(info.st_size) }
    }
    return total
}

/// Touches every field a CSV line would, so the decode cannot be optimised away.
struct SummingVisitor: StoreVisitor {
    var namespace: String?
    var checksum: UInt64 = 0
    var flows = 0
    mutating func shouldRead(block digest: BlockDigest) -> Bool {
        guard let namespace else { return true }
        return digest.mayContain(.sourceNamespace, namespace)
    }
    mutating func visit(_ flow: AnnotatedFlow) -> Bool {
        if let namespace, flow.annotation?.source.namespace != namespace { return true }
        flows += 1
        checksum &+= flow.flow.bytes &+ UInt64(flow.flow.destinationPort) &+ UInt64(flow.node.utf8.count)
        if let a = flow.annotation {
            checksum &+= UInt64(a.source.name.utf8.count &+ a.destination.labels.count &+ (a.egress?.hits.count ?? 0))
        }
        return true
    }
}

var arguments = CommandLine.arguments
var threads = max(1, min(8, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))
if let at = arguments.firstIndex(of: "--threads") {
    guard at + 1 < arguments.count, let n = Int(arguments[at + 1]), (1...256).contains(n) else {
        fputs("store-bench: --threads needs a count from 1 to 256\n", stderr)
        exit(2)
    }
    threads = n
    arguments.removeSubrange(at...(at + 1))
}
if arguments.count >= 3, arguments[1] == "--scan" || arguments[1] == "--scan-records" {
    do {
        let reader = try StoreReader(directory: arguments[2])
        for _ in 0..<(arguments.count > 3 ? Int(arguments[3]) ?? 1 : 1) {
            let start = now()
            let checksum: UInt64, flows: Int
            if arguments[1] == "--scan" {
                var workers = [RowDigestVisitor](repeating: RowDigestVisitor(), count: threads)
                var total = DigestTotal()
                _ = try reader.scanBlocks(since: nil, until: nil, workers: &workers, consumer: &total)
                (checksum, flows) = (total.checksum, total.flows)
            } else {
                var visitor = RecordDigestVisitor()
                _ = try reader.scan(since: nil, until: nil, visitor: &visitor)
                (checksum, flows) = (visitor.checksum, visitor.flows)
            }
            print("scan_flows_per_s \(Int(Double(flows) / (now() - start))) checksum \(checksum) flows \(flows)")
        }
        exit(0)
    } catch {
        fputs("store-bench: \(error)\n", stderr)
        exit(1)
    }
}
guard arguments.count >= 2 else {
    fputs("usage: store-bench DIR [FLOWS] [SEED]\n", stderr)
    exit(2)
}
let directory = arguments[1]
let count = arguments.count > 2 ? Int(arguments[2]) ?? 1_000_000 : 1_000_000
let seed = arguments.count > 3 ? UInt64(arguments[3]) ?? 1 : 1

var generator = SyntheticFlowGenerator(seed: seed)
let flows = generator.generate(count)

do {
    let writer = try SegmentWriter(directory: directory)
    let writeStart = now()
    var index = 0
    while index < flows.count {
        let end = min(flows.count, index + 1024)
        try writer.append(Array(flows[index..<end]))
        index = end
    }
    try writer.close()
    let writeSeconds = now() - writeStart
    let disk = directoryBytes(directory)

    let reader = try StoreReader(directory: directory)
    var all = SummingVisitor()
    let scanStart = now()
    let stats = try reader.scan(since: nil, until: nil, visitor: &all)
    let scanSeconds = now() - scanStart
    guard all.flows == count, stats.corruptBlocks.isEmpty else {
        fputs("store-bench: read back \(all.flows) of \(count) flows, \(stats.corruptBlocks.count) corrupt block(s)\n", stderr)
        exit(1)
    }

    var pruned = SummingVisitor(namespace: flows[count / 2].annotation?.source.namespace ?? "shop")
    let prunedStart = now()
    let prunedStats = try reader.scan(since: nil, until: nil, visitor: &pruned)
    let prunedSeconds = now() - prunedStart

    print("flows \(count)")
    print("write_flows_per_s \(Int(Double(count) / writeSeconds))")
    print("disk_bytes \(disk)")
    print("bytes_per_flow \(Double(disk) / Double(count))")
    print("scan_flows_per_s \(Int(Double(count) / scanSeconds))")
    print("pruned_scan_flows_per_s \(Int(Double(count) / prunedSeconds))")
    print("blocks_total \(stats.blocksTotal)")
    print("blocks_read_pruned \(prunedStats.blocksRead)")
    print("checksum \(all.checksum &+ pruned.checksum)")
} catch {
    fputs("store-bench: \(error)\n", stderr)
    exit(1)
}
