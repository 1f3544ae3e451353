import Pipeline
import ArgumentParser
import Evidence
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FlowCore
import FlowTestSupport
import SegmentStore

/// `storegen DIR`: writes deterministic synthetic Kubernetes flows (`SyntheticFlowGenerator`)
/// through a `SegmentWriter`. A test and development tool beside the test targets, not part of
/// the product: the crash-recovery tests kill it mid-write.
@main
struct StoreGenerator: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storegen",
        abstract: "Write synthetic Kubernetes flows into a store (tests and development).",
        discussion: """
            With --progress, prints "durable N" on stdout after each flush once N flows are \
            durable, so a test can kill the process at a known point.
            """
    )

    @Argument(help: "The store directory.")
    var directory: String
    @Option(help: "How many flows to write (0 = until killed).") var flows: Int = 100_000
    @Option(help: "Generator seed.") var seed: UInt64 = 1
    @Option(help: "Pods in the synthetic cluster.") var pods: Int = 300
    @Option(help: "Namespaces in the synthetic cluster.") var namespaces: Int = 30
    @Option(help: "Average flow rate in synthetic time.") var flowsPerSecond: Double = 2000
    @Option(help: "Flows per append call.") var batch: Int = 1000
    @Option(help: "Flush after this many flows (0 = only at the end).") var flushEvery: Int = 0
    @Option(help: "Records per block.") var blockRecords: Int = StoreConfiguration().blockRecords
    @Option(help: "Roll segments at this many bytes.") var segmentBytes: Int = StoreConfiguration().segmentMaxBytes
    @Option(help: "0 = LZ4 fast, 3…12 = LZ4-HC level.") var compressionLevel: Int = StoreConfiguration().compressionLevel
    @Option(help: "fsync policy: block, seal, or a number of seconds.") var fsync: String = "block"
    @Flag(help: "Print a \"durable N\" line after every flush.") var progress = false
    @Option(help: "Delete oldest segments beyond this many bytes (default: the store's).") var retentionBytes: Int?
    @Option(name: .customLong("signing-key"), help: "Ed25519 private key: sign every sealed segment into DIR/evidence.") var signingKey: String?

    func run() throws {
        let policy: StoreConfiguration.FsyncPolicy
        switch fsync {
        case "block": policy = .everyBlock
        case "seal": policy = .onSeal
        default:
            guard let seconds = Double(fsync), seconds >= 0 else {
                throw ValidationError("--fsync must be block, seal or a number of seconds, not '\(fsync)'")
            }
            policy = .interval(seconds: seconds)
        }
        var configuration = StoreConfiguration(blockRecords: blockRecords, segmentMaxBytes: segmentBytes, fsync: policy,
                                               compressionLevel: compressionLevel)
        if let retentionBytes { configuration.retentionMaxBytes = retentionBytes }
        let recorder = try signingKey.map { try EvidenceRecorder(store: .flows, directory: directory, signingKeyPath: $0) }
        let writer = try SegmentWriter(directory: directory, configuration: configuration, sealObserver: recorder)
        let recovery = writer.statistics.recovery
        if recovery.segmentsRecovered > 0 { Self.printError(recovery.description) }
        var generator = SyntheticFlowGenerator(seed: seed, pods: pods, namespaces: namespaces, flowsPerSecond: flowsPerSecond)
        var written = 0, sinceFlush = 0
        var buffer: [AnnotatedFlow] = []
        buffer.reserveCapacity(batch)
        while flows == 0 || written < flows {
            let n = flows == 0 ? batch : min(batch, flows - written)
            buffer.removeAll(keepingCapacity: true)
            for _ in 0..<n { buffer.append(generator.next()) }
            try writer.append(buffer)
            written += n
            sinceFlush += n
            if flushEvery > 0 && sinceFlush >= flushEvery {
                try writer.flush()
                sinceFlush = 0
                if progress { print("durable \(written)"); fflush(nil) }
            }
        }
        try writer.close()
        let s = writer.statistics
        Self.printError("wrote \(s.flows) flows in \(s.blocks) blocks, \(s.segmentsSealed) segment(s) sealed, "
                   + "\(s.segmentsDeleted) deleted, \(s.bytesWritten) bytes (\(s.bytesPerFlow) bytes/flow)")
    }

    private static func printError(_ text: String) {
        writeAll(text + "\n", to: STDERR_FILENO)
    }
}
