import FlowCore

extension FlowCache {
    /// Emits every flow that is due at `now` (idle, teardown linger, active interval). A live
    /// capture calls this with the wall clock when no packets arrive.
    public mutating func expire(now: Timestamp, into output: inout [FlowRecord]) {
        makeUnique()
        if now.nanoseconds > clock { clock = now.nanoseconds }
        expire(at: clock, into: &output)
    }

    /// Emits every flow (`FlowStatus.flushed`), oldest first, and empties the cache.
    public mutating func flush(into output: inout [FlowRecord]) {
        var gathering = GatheringFlowSink()
        flush(into: &output, handingOnEvery: .max, to: &gathering)
    }

    /// `flush(into:)`, handing `output` to `sink` whenever it holds `chunk` records. A node
    /// stopping holds every flow of the last minute: gathering them all first would grow one
    /// array by hundreds of thousands of records before the consumer could start on any.
    mutating func flush<S: FlowSink>(into output: inout [FlowRecord], handingOnEvery chunk: Int, to sink: inout S) {
        makeUnique()
        var index = byAge.head
        while index >= 0 {
            emit(Int(index), reason: .flushed, into: &output)
            if output.count >= chunk {
                sink.accept(&output)
                output.removeAll(keepingCapacity: true)
            }
            index = entries[Int(index)].youngerByAge
        }
        storage.entryCount = 0
        slots.update(repeating: 0, count: storage.slotCount)
        freeHead = -1
        count = 0
        byAge = EntryList()
        wheel.removeAll()
    }

    mutating func expire(at now: UInt64, into output: inout [FlowRecord]) {
        if now >= nextTickTime { advanceWheel(to: now, into: &output) }
        let active = configuration.activeTimeoutNanoseconds
        guard active > 0 else { return }
        while byAge.head >= 0 {
            let index = Int(byAge.head)
            guard entries[index].intervalStart &+ active <= now else { break }
            if entries[index].packets > 0 {
                emit(index, reason: .expiredActive, into: &output)
                entries[index].packetsAB = 0
                entries[index].bytesAB = 0
                entries[index].packetsBA = 0
                entries[index].bytesBA = 0
                entries[index].flagsAB = 0
                entries[index].flagsBA = 0
                entries[index].continuation = true
            }
            entries[index].intervalStart = now
            unlinkByAge(index)
            appendByAge(index)
        }
    }

    /// Appends the entry's current interval as a record.
    mutating func emit(_ index: Int, reason: FlowStatus, into output: inout [FlowRecord]) {
        let e = entries[index]
        // A flow whose last interval was emitted by the active timeout and that saw nothing
        // since has nothing left to report.
        guard e.packets > 0 else { return }
        let key = e.key
        let isV4 = key.ipVersion == 4
        let a = isV4 ? IPAddress(ipv4: UInt32(truncatingIfNeeded: key.aLow)) : IPAddress(ipv6High: key.aHigh, low: key.aLow)
        let b = isV4 ? IPAddress(ipv4: UInt32(truncatingIfNeeded: key.bLow)) : IPAddress(ipv6High: key.bHigh, low: key.bLow)
        var status = reason
        let isTCP = key.ipProtocol == 6
        if !e.continuation && (!isTCP || e.synSeen > 0) { status.insert(.startObserved) }
        if e.continuation { status.insert(.continuation) }
        if isTCP && e.tornDown { status.insert(.endObserved) }
        let record: FlowRecord
        if e.initiatorIsA {
            record = FlowRecord(sourceAddress: a, destinationAddress: b, sourcePort: key.aPort, destinationPort: key.bPort,
                                ipProtocol: IPProtocol(rawValue: key.ipProtocol), vlan: key.vlan, innerVLAN: key.innerVLAN,
                                icmpType: e.icmpType, icmpCode: e.icmpCode,
                                start: Timestamp(nanoseconds: e.start), end: Timestamp(nanoseconds: e.end),
                                packetsOut: e.packetsAB, bytesOut: e.bytesAB, packetsIn: e.packetsBA, bytesIn: e.bytesBA,
                                tcpFlagsOut: TCPFlags(rawValue: e.flagsAB), tcpFlagsIn: TCPFlags(rawValue: e.flagsBA),
                                status: status)
        } else {
            record = FlowRecord(sourceAddress: b, destinationAddress: a, sourcePort: key.bPort, destinationPort: key.aPort,
                                ipProtocol: IPProtocol(rawValue: key.ipProtocol), vlan: key.vlan, innerVLAN: key.innerVLAN,
                                icmpType: e.icmpType, icmpCode: e.icmpCode,
                                start: Timestamp(nanoseconds: e.start), end: Timestamp(nanoseconds: e.end),
                                packetsOut: e.packetsBA, bytesOut: e.bytesBA, packetsIn: e.packetsAB, bytesIn: e.bytesAB,
                                tcpFlagsOut: TCPFlags(rawValue: e.flagsBA), tcpFlagsIn: TCPFlags(rawValue: e.flagsAB),
                                status: status)
        }
        output.append(record)
        switch reason {
        case .expiredIdle: statistics.expiredIdle &+= 1
        case .expiredActive: statistics.expiredActive &+= 1
        case .expiredTeardown: statistics.expiredTeardown &+= 1
        case .evicted: statistics.evicted &+= 1
        default: statistics.flushed &+= 1
        }
    }
}

/// A sink that is never handed anything (`flush(into:)` gathers every record in its output).
private struct GatheringFlowSink: FlowSink {
    mutating func accept(_ batch: inout [FlowRecord]) {}
}
