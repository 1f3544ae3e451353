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
            lines.append(("verdicts", "allow \(p.flowsAllowed), deny \(p.flowsDenied), unknown \(p.flowsUnknown)"))
            lines.append(("policy time", "\(decimal(Double(p.evaluationNanoseconds) / 1e9, 3)) s (\(decimal(perFlow, 0)) ns/flow)"))
        } else {
            lines.append(("verdicts", "not evaluated (no --cluster): \(p.flowsIn) flows unannotated"))
        }
        if let w = writer, let dataDirectory {
            lines.append(("stored", "\(w.flows) flows in \(w.blocks) blocks, \(w.segmentsSealed) segments sealed, to \(dataDirectory)"))
            lines.append(("bytes written", "\(w.bytesWritten) (\(decimal(w.bytesPerFlow, 1)) bytes/flow)"))
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
        json += ",\"policy\":{\"cluster_loaded\":\(clusterLoaded),\"flows\":\(p.flowsIn),\"allow\":\(p.flowsAllowed),\"deny\":\(p.flowsDenied),\"unknown\":\(p.flowsUnknown),\"evaluation_seconds\":\(decimal(Double(p.evaluationNanoseconds) / 1e9, 6))}"
        if let w = writer, let dataDirectory {
            json += ",\"store\":{\"directory\":\(jsonString(dataDirectory)),\"flows\":\(w.flows),\"blocks\":\(w.blocks),\"segments_sealed\":\(w.segmentsSealed),\"segments_deleted\":\(w.segmentsDeleted),\"bytes_written\":\(w.bytesWritten),\"bytes_per_flow\":\(decimal(w.bytesPerFlow, 2))}"
        } else {
            json += ",\"store\":null"
        }
        return json + "}\n"
    }
}

func decimal(_ value: Double, _ digits: Int) -> String {
    guard value.isFinite else { return "0" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    if digits == 0 { return String(Int64(rounded)) }
    var text = String(rounded)
    if text.contains("e") { text = String(Int64(rounded)) }
    return text
}

func jsonString(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if scalar.value < 0x20 {
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}
