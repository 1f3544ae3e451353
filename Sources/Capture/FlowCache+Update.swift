import FlowCore

extension FlowCache {
    /// Expires what the packet's time makes due, then accounts the packet to its flow,
    /// creating the flow (and evicting the least recently active one when full) as needed.
    /// Emitted records are appended to `output`.
    mutating func update(_ packet: DecodedPacket, time: UInt64, wireLength: UInt32,
                         into output: inout [FlowRecord]) {
        update(KeyedPacket(packet, time: time, wireLength: wireLength, seed: hashSeed), into: &output)
    }

    /// `update` for a packet already reduced to its key (the lookahead's path; see
    /// `FlowCache+Lookahead.swift`).
    mutating func update(_ packet: KeyedPacket, into output: inout [FlowRecord]) {
        makeUnique()
        let time = packet.time
        if time > clock { clock = time }
        // Expire first, so a packet after a long pause starts a new record.
        expire(at: clock, into: &output)
        let key = packet.key, fromA = packet.fromA, hash = packet.hash
        let flags = packet.tcpFlags
        let isTCP = key.ipProtocol == 6
        let wireLength = packet.wireLength
        // A bare SYN opens a new connection even when the old one on the same ports is still
        // closing (ports reused quickly): the old one is emitted first.
        let opensConnection = isTCP && flags & 0x12 == 0x02
        var found = find(key, hash: hash)
        if let index = found, opensConnection, entries[index].closing {
            emit(index, reason: .expiredTeardown, into: &output)
            remove(index)
            found = nil
        }
        let index: Int
        if let existing = found {
            index = existing
        } else {
            index = create(key, hash: hash, fromA: fromA, packet: packet, time: time, into: &output)
        }
        account(index, fromA: fromA, flags: isTCP ? flags : 0, time: time, wireLength: wireLength)
        // A new flow was scheduled with this very packet's time.
        if found == nil { entries[index].touched = false }
        if isTCP, configuration.tcpTeardown == .close, !entries[index].closing, entries[index].tornDown {
            // The deadline shrinks from idle to linger: move it now rather than lazily.
            unschedule(index)
            entries[index].closing = true
            schedule(index)
        }
        if configuration.teardownLingerNanoseconds == 0 && entries[index].closing {
            emit(index, reason: .expiredTeardown, into: &output)
            remove(index)
        }
    }

    mutating func create(_ key: FlowKey, hash: UInt64, fromA: Bool, packet: KeyedPacket, time: UInt64,
                         into output: inout [FlowRecord]) -> Int {
        if count >= configuration.capacity, let victim = leastRecentlyActive() {
            emit(victim, reason: .evicted, into: &output)
            remove(victim)
        }
        if (count + 1) * 2 > storage.slotCount { growIndex() }
        var entry = FlowEntry(key: key, time: time, initiatorIsA: fromA)
        entry.icmpType = packet.icmpType
        entry.icmpCode = packet.icmpCode
        let index = allocate(entry)
        insertIndex(index, hash: hash)
        schedule(index)
        appendByAge(index)
        count += 1
        statistics.flowsCreated &+= 1
        if count > statistics.peakFlows { statistics.peakFlows = count }
        return index
    }

    mutating func account(_ index: Int, fromA: Bool, flags: UInt8, time: UInt64, wireLength: UInt32) {
        let bytes = UInt64(wireLength)
        let entries = self.entries
        entries[index].touched = true
        if entries[index].packets == 0 { entries[index].start = time }
        if time > entries[index].end { entries[index].end = time }
        if fromA {
            entries[index].packetsAB &+= 1
            entries[index].bytesAB &+= bytes
            entries[index].flagsAB |= flags
        } else {
            entries[index].packetsBA &+= 1
            entries[index].bytesBA &+= bytes
            entries[index].flagsBA |= flags
        }
        if flags & 0x02 != 0, entries[index].synSeen < 2 {
            // The SYN's sender is the initiator; a SYN-ACK names its receiver.
            if flags & 0x10 == 0 {
                entries[index].initiatorIsA = fromA
                entries[index].synSeen = 2
            } else if entries[index].synSeen == 0 {
                entries[index].initiatorIsA = !fromA
                entries[index].synSeen = 1
            }
        }
    }
}
