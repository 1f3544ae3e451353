import FlowCore

extension CaptureStatistics {
    /// The human summary `flowlog replay` prints: one "name  value" line per figure.
    /// `elapsedSeconds` is the processing time the caller measured.
    public func textSummary(sources names: [String], elapsedSeconds: Double) -> String {
        var lines: [(String, String)] = []
        lines.append(("files", "\(names.count)" + (names.isEmpty ? "" : " (" + names.joined(separator: ", ") + ")")))
        lines.append(("packets", "\(packets)"))
        lines.append(("wire bytes", "\(wireBytes)"))
        lines.append(("captured bytes", "\(capturedBytes)"))
        lines.append(("ip packets", "\(ipPackets)" + (laterFragments > 0 ? " (\(laterFragments) later fragments, \(laterFragmentsMatched) matched to their first)" : "")))
        lines.append(("non-ip", "\(nonIP)"))
        let reasons = malformed.map { "\($0.reason.name) \($0.count)" }
        lines.append(("malformed", "\(malformed.total)" + (reasons.isEmpty ? "" : " (" + reasons.joined(separator: ", ") + ")")))
        let c = cache
        lines.append(("flows", "\(flowsEmitted) (idle \(c.expiredIdle), active \(c.expiredActive), teardown \(c.expiredTeardown), evicted \(c.evicted), flushed \(c.flushed))"))
        lines.append(("peak flows", "\(c.peakFlows)"))
        if let first = firstPacket, let last = lastPacket {
            lines.append(("capture span", "\(first) to \(last) (\(JSONText.decimal(Double(captureDurationNanoseconds) / 1e9)) s)"))
        } else {
            lines.append(("capture span", "-"))
        }
        let rate = elapsedSeconds > 0 ? Double(packets) / elapsedSeconds : 0
        lines.append(("processing", "\(JSONText.decimal(elapsedSeconds)) s, \(JSONText.decimal(rate, digits: 0)) packets/s"))
        if !dns.isEmpty {
            lines.append(("dns", "\(dns.responses) responses, \(dns.addressAnswers) address answers, \(dns.truncated) truncated, \(dns.malformed) malformed, \(dns.cut) cut by the capture, \(dns.tcpPartial) partial TCP"))
        }
        if let kernel {
            lines.append(("kernel", "received \(kernel.received), dropped \(kernel.dropped), interface dropped \(kernel.interfaceDropped)"))
        }
        for error in readErrors {
            lines.append(("error", error.description))
        }
        let width = lines.map(\.0.count).max() ?? 0
        return lines.map { $0.0 + String(repeating: " ", count: width - $0.0.count + 2) + $0.1 }.joined(separator: "\n") + "\n"
    }

    /// The same figures as one JSON object (one line); field names in docs/capture.md.
    public func jsonSummary(sources names: [String], elapsedSeconds: Double) -> String {
        var fields: [String] = []
        func add(_ name: String, _ value: String) { fields.append("\"\(name)\":\(value)") }
        add("files", "[" + names.map(JSONText.string).joined(separator: ",") + "]")
        add("packets", "\(packets)")
        add("wire_bytes", "\(wireBytes)")
        add("captured_bytes", "\(capturedBytes)")
        add("ip_packets", "\(ipPackets)")
        add("later_fragments", "\(laterFragments)")
        add("later_fragments_matched", "\(laterFragmentsMatched)")
        add("non_ip", "\(nonIP)")
        let byReason = MalformedReason.allCases.map { "\"\($0.name)\":\(malformed[$0])" }.joined(separator: ",")
        add("malformed", "{\"total\":\(malformed.total),\"truncated\":\(malformed.truncated),\"invalid\":\(malformed.invalid),\"by_reason\":{\(byReason)}}")
        add("flows", "\(flowsEmitted)")
        let c = cache
        add("flows_by_reason", "{\"idle\":\(c.expiredIdle),\"active\":\(c.expiredActive),\"teardown\":\(c.expiredTeardown),\"evicted\":\(c.evicted),\"flushed\":\(c.flushed)}")
        add("evictions", "\(c.evicted)")
        add("peak_flows", "\(c.peakFlows)")
        add("first_packet", firstPacket.map { "\"\($0)\"" } ?? "null")
        add("last_packet", lastPacket.map { "\"\($0)\"" } ?? "null")
        add("duration_seconds", JSONText.decimal(Double(captureDurationNanoseconds) / 1e9, digits: 9))
        add("elapsed_seconds", JSONText.decimal(elapsedSeconds, digits: 6))
        add("packets_per_second", JSONText.decimal(elapsedSeconds > 0 ? Double(packets) / elapsedSeconds : 0, digits: 0))
        if !dns.isEmpty {
            add("dns", "{\"responses\":\(dns.responses),\"address_answers\":\(dns.addressAnswers),\"truncated\":\(dns.truncated),\"malformed\":\(dns.malformed),\"cut\":\(dns.cut),\"tcp_partial\":\(dns.tcpPartial)}")
        }
        if let kernel {
            add("kernel", "{\"received\":\(kernel.received),\"dropped\":\(kernel.dropped),\"interface_dropped\":\(kernel.interfaceDropped)}")
        }
        let errors = readErrors.map { e in
            "{\"code\":\(JSONText.string(e.code.name)),\"file\":\(e.location?.file.map(JSONText.string) ?? "null")"
                + ",\"offset\":\(e.location?.offset.map { String($0) } ?? "null"),\"message\":\(JSONText.string(e.description))}"
        }
        add("errors", "[" + errors.joined(separator: ",") + "]")
        return "{" + fields.joined(separator: ",") + "}\n"
    }
}
