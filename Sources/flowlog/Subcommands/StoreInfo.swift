import ArgumentParser
import FlowCore
import SegmentStore

/// `flowlog store info DIR`: one line per segment and the totals.
struct StoreInfo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Summarise a store's segments: state, blocks, flows, size, bytes per flow, time range."
    )

    @Argument(help: "The store directory.")
    var directory: String

    func run() throws {
        let reader = try StoreReader(directory: directory)
        let segments = try reader.summaries()
        func pad(_ s: String, _ width: Int, left: Bool = false) -> String {
            let fill = String(repeating: " ", count: max(0, width - s.count))
            return left ? s + fill : fill + s
        }
        print(pad("segment", 22, left: true) + pad("state", 7, left: true) + pad("blocks", 8) + pad("flows", 12)
              + pad("bytes", 14) + pad("B/flow", 8) + "  first start → last end")
        var blocks = 0, flows: UInt64 = 0, bytes: UInt64 = 0
        for s in segments {
            blocks += s.blocks
            flows += s.flows
            bytes += s.bytes
            let range = s.flows == 0 ? "-" : "\(s.minStart) → \(s.maxEnd)"
            print(pad(s.name, 22, left: true) + pad(s.sealed ? "sealed" : "open", 7, left: true) + pad(String(s.blocks), 8)
                  + pad(String(s.flows), 12) + pad(String(s.bytes), 14) + pad(format(s.bytesPerFlow), 8) + "  " + range)
        }
        let perFlow = flows == 0 ? 0 : Double(bytes) / Double(flows)
        print("total: \(Counted.of(segments.count, "segment")), \(Counted.of(blocks, "block")), \(Counted.of(flows, "flow")), "
              + "\(Counted.of(bytes, "byte")), \(format(perFlow)) bytes/flow")
    }

    private func format(_ v: Double) -> String {
        let hundredths = Int((v * 100).rounded())
        let cents = hundredths % 100
        return "\(hundredths / 100).\(cents < 10 ? "0" : "")\(cents)"
    }
}
