import FlowCore

extension FlowRecord {
    /// The flow as one line of JSON (no trailing newline), as `flowlog replay --flows ndjson`
    /// writes it. Field names and meanings are those of the query's field table (docs/query.md):
    /// `source_packets` is what the source sent; Calico's reporter-relative `packets_in` and
    /// `packets_out` come with the annotation, where there is a reporter.
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
        line += ",\"source_packets\":\(packetsOut),\"source_bytes\":\(bytesOut),\"dest_packets\":\(packetsIn),\"dest_bytes\":\(bytesIn)"
        if ipProtocol == .tcp {
            line += ",\"tcp_flags\":\"\(TCPFlags(rawValue: tcpFlagsOut.rawValue | tcpFlagsIn.rawValue))\""
            line += ",\"source_tcp_flags\":\"\(tcpFlagsOut)\",\"dest_tcp_flags\":\"\(tcpFlagsIn)\""
        }
        line += ",\"start_observed\":\(status.contains(.startObserved)),\"end_observed\":\(status.contains(.endObserved))"
        line += ",\"continuation\":\(status.contains(.continuation)),\"reason\":\"\(reasons.first ?? "flushed")\"}"
        return line
    }
}
