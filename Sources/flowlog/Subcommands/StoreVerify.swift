import ArgumentParser
import FlowCore
import SegmentStore

/// `flowlog store verify DIR`: checks every byte that has a checksum and every index entry;
/// exits 1 when anything is wrong.
struct StoreVerify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a store: segment headers, every block's checksums and decoding, each index and the manifest.",
        discussion: "Prints one line per segment and every problem with its file and byte offset. Exit status 0 when clean, 1 when problems were found."
    )

    @Argument(help: "The store directory.")
    var directory: String

    func run() throws {
        let reader = try StoreReader(directory: directory)
        let report = try reader.verify()
        var flows: UInt64 = 0, blocks = 0
        for segment in report.segments {
            flows += segment.flows
            blocks += segment.blocks
            let state = segment.sealed ? "sealed" : "open"
            print("\(segment.name) \(state): \(Counted.of(segment.blocks, "block")), \(Counted.of(segment.flows, "flow")) "
                  + (segment.problems.isEmpty ? "ok" : "— \(Counted.of(segment.problems.count, "problem"))"))
            for problem in segment.problems { print("  \(problem)") }
            if segment.unfinishedTail > 0 {
                print("  \(Counted.of(segment.unfinishedTail, "byte")) after the last complete block: a block being written, or a torn write the next writer cuts")
            }
        }
        for problem in report.problems { print("\(problem)") }
        if report.isClean {
            print("ok: \(Counted.of(report.segments.count, "segment")), \(Counted.of(blocks, "block")), \(Counted.of(flows, "flow")) verified")
        } else {
            print("FAILED: \(Counted.of(report.problemCount, "problem")) in \(Counted.of(report.segments.count, "segment")); "
                  + "\(Counted.of(blocks, "block")), \(Counted.of(flows, "flow")) readable")
            throw ExitCode(1)
        }
    }
}
