import Capture
import FlowCore

extension ReplayPipeline.Result {
    /// The capture summary followed by the ring, policy and store stages, one "name  value" line
    /// per figure.
    public func textSummary(sources names: [String], dataDirectory: String?, clusterLoaded: Bool) -> String {
        let elapsed = Double(elapsedNanoseconds) / 1e9
        var text = capture.textSummary(sources: names, elapsedSeconds: elapsed)
        var lines: [(String, String)] = []
        lines.append(("ring", "capacity \(ring.capacity), max occupancy \(ring.maxOccupancy), producer waits \(ring.producerWaits), consumer waits \(ring.consumerWaits), dropped \(ring.dropped) (policy: \(ring.overflowPolicy))"))
        let p = processing
        if clusterLoaded {
            let perFlow = p.flowsIn == 0 ? 0 : Double(p.evaluationNanoseconds) / Double(p.flowsIn)
            lines.append(("actions", "allow \(p.flowsAllowed), deny \(p.flowsDenied), unknown \(p.flowsUnknown)"))
            lines.append(("policy time", "\(JSONText.decimal(Double(p.evaluationNanoseconds) / 1e9, digits: 3)) s (\(JSONText.decimal(perFlow, digits: 0)) ns/flow)"))
        } else {
            lines.append(("actions", "not evaluated (no --cluster): \(p.flowsIn) flows unannotated"))
        }
        if let w = writer, let dataDirectory {
            lines.append(("stored", "\(Counted.of(w.flows, "flow")) in \(Counted.of(w.blocks, "block")), \(Counted.of(w.segmentsSealed, "segment")) sealed, to \(dataDirectory)"))
            lines.append(("bytes written", "\(w.bytesWritten) (\(JSONText.decimal(w.bytesPerFlow, digits: 1)) bytes/flow)"))
            if w.recovery.bytesTruncated > 0 || !w.recovery.problems.isEmpty {
                lines.append(("recovery", w.recovery.description))
            }
        } else {
            lines.append(("stored", "nothing (no --data)"))
        }
        let width = max(lines.map(\.0.count).max() ?? 0, 14)
        text += lines.map { $0.0 + String(repeating: " ", count: width - $0.0.count + 2) + $0.1 }.joined(separator: "\n") + "\n"
        return text
    }

    /// The same as one JSON object: the capture fields plus `ring`, `policy` and `store`.
    public func jsonSummary(sources names: [String], dataDirectory: String?, clusterLoaded: Bool) -> String {
        var json = capture.jsonSummary(sources: names, elapsedSeconds: Double(elapsedNanoseconds) / 1e9)
        while json.last == "\n" || json.last == "}" {
            if json.removeLast() == "}" { break }
        }
        let r = ring
        json += ",\"ring\":{\"capacity\":\(r.capacity),\"overflow_policy\":\"\(r.overflowPolicy)\",\"pushed\":\(r.pushed),\"popped\":\(r.popped),\"dropped\":\(r.dropped),\"max_occupancy\":\(r.maxOccupancy),\"producer_waits\":\(r.producerWaits),\"consumer_waits\":\(r.consumerWaits)}"
        let p = processing
        json += ",\"policy\":{\"cluster_loaded\":\(clusterLoaded),\"flows\":\(p.flowsIn),\"allow\":\(p.flowsAllowed),\"deny\":\(p.flowsDenied),\"unknown\":\(p.flowsUnknown),\"evaluation_seconds\":\(JSONText.decimal(Double(p.evaluationNanoseconds) / 1e9, digits: 6))}"
        if let w = writer, let dataDirectory {
            json += ",\"store\":{\"directory\":\(JSONText.string(dataDirectory)),\"flows\":\(w.flows),\"blocks\":\(w.blocks),\"segments_sealed\":\(w.segmentsSealed),\"segments_deleted\":\(w.segmentsDeleted),\"bytes_written\":\(w.bytesWritten),\"bytes_per_flow\":\(JSONText.decimal(w.bytesPerFlow, digits: 2))}"
        } else {
            json += ",\"store\":null"
        }
        return json + "}\n"
    }
}
