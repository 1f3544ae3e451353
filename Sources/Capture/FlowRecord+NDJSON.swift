import FlowCore

extension FlowRecord {
    /// The flow as one line of JSON (no trailing newline), as `flowlog replay --flows ndjson`
    /// writes it. Field names are documented in docs/capture.md; "out" is source → destination.
    public var ndjsonLine: String {
        func vlanText(_ id: UInt16) -> String { id == FlowRecord.noVLAN ? "null" : String(id) }
        var reasons: [String] = []
        if status.contains(.expiredIdle) { reasons.append("idle") }
        if status.contains(.expiredActive) { reasons.append("active") }
        if status.contains(.expiredTeardown) { reasons.append("teardown") }
        if status.contains(.evicted) { reasons.append("evicted") }
        if status.contains(.flushed) { reasons.append("flushed") }
        var line = "{\"source_ip\":\"\(sourceAddress)\",\"source_port\":\(sourcePort)"
        line += ",\"dest_ip\":\"\(destinationAddress)\",\"dest_port\":\(destinationPort)"
        line += ",\"proto\":\"\(ipProtocol)\",\"ip_version\":\(sourceAddress.version == .v4 ? 4 : 6)"
        line += ",\"vlan\":\(vlanText(vlan)),\"inner_vlan\":\(vlanText(innerVLAN))"
        if ipProtocol.isICMP { line += ",\"icmp_type\":\(icmpType),\"icmp_code\":\(icmpCode)" }
        line += ",\"start_time\":\"\(start.rfc3339)\",\"end_time\":\"\(end.rfc3339)\""
        line += ",\"packets_out\":\(packetsOut),\"bytes_out\":\(bytesOut),\"packets_in\":\(packetsIn),\"bytes_in\":\(bytesIn)"
        if ipProtocol == .tcp {
            line += ",\"tcp_flags\":\"\(TCPFlags(rawValue: tcpFlagsOut.rawValue | tcpFlagsIn.rawValue))\""
            line += ",\"tcp_flags_out\":\"\(tcpFlagsOut)\",\"tcp_flags_in\":\"\(tcpFlagsIn)\""
        }
        line += ",\"start_observed\":\(status.contains(.startObserved)),\"end_observed\":\(status.contains(.endObserved))"
        line += ",\"continuation\":\(status.contains(.continuation)),\"reason\":\"\(reasons.first ?? "flushed")\"}"
        return line
    }
}
