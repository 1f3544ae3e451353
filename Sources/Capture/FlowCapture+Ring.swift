import FlowCore

extension FlowCapture {
    /// The packet loop over the kernel's receive ring (`PacketRing`), its blocks walked where
    /// they lie (`PacketRingBlock`), taken `dispatchLimit` at a time as `pcap_dispatch` hands them
    /// over, with the same accounting, hand-overs, progress reports and waits as the dispatching
    /// loop: what libpcap's loop does per call, this does per `dispatchLimit` packets, and a block
    /// goes back to the kernel as soon as its last packet is folded in (nothing keeps a pointer
    /// into it: the decoder, the DNS observer and the fragment table copy what they keep).
    mutating func readRing<S: FlowSink>(_ source: PacketSource, ring: PacketRing, decoder: PacketDecoder, into sink: inout S,
                                        progress: ((Progress) -> Void)?) -> FlowlogError? {
        let interval = progressInterval
        var nextProgress = progress == nil ? UInt64.max : interval
        var packets: UInt64 = 0
        var packet = DecodedPacket()
        let limit = Int(Self.dispatchLimit)
        let lookahead = UnsafeMutablePointer<FlowLookahead>.allocate(capacity: 1)
        lookahead.initialize(to: FlowLookahead())
        defer {
            lookahead.pointee.deallocate()
            lookahead.deallocate()
        }
        var lastDelivery = wallClock()
        /// The block being walked; nil between blocks.
        var block: PacketRingBlock?
        /// The last look found packets: traffic is flowing (see `PacketSource.busyPauseMilliseconds`).
        var wasBusy = false
        while true {
            if source.isBreakRequested { return nil }
            var taken = 0
            var damage: String?
            while taken < limit {
                if block == nil {
                    block = ring.readyBlock()
                    if block == nil { break }
                }
                guard let record = block!.next() else {
                    if let reason = block!.damage {
                        damage = reason
                        break
                    }
                    ring.releaseBlock()
                    block = nil
                    continue
                }
                // 32-bit seconds and nanoseconds: always representable.
                let time = UInt64(record.seconds) &* 1_000_000_000 &+ UInt64(record.nanoseconds)
                take(time: time, caplen: record.caplen, wire: record.wire, data: record.data, decoder: decoder,
                     packet: &packet, lookahead: lookahead)
                taken &+= 1
            }
            packets &+= UInt64(taken)
            // Every packet taken is in the cache before anything reads it.
            cache.drain(&lookahead.pointee, into: &batch)
            if let damage {
                return readFailure("corrupted frame: " + damage, source: source, after: packets, reader: "the kernel's receive ring")
            }
            if taken > 0 {
                wasBusy = true
                if isDeliveryDue { deliver(into: &sink) }
                if packets >= nextProgress {
                    while nextProgress <= packets { nextProgress &+= interval }
                    progress?(Progress(source: source.name, packets: packets, wireBytes: counters.wireBytes,
                                       evictions: cache.statistics.evicted, fileOffset: nil, fileSize: nil,
                                       activeFlows: cache.count))
                }
                if !(batch.isEmpty && resolutions.isEmpty) {
                    let now = wallClock()
                    if now &- lastDelivery >= 1_000_000_000 {
                        deliver(into: &sink)
                        lastDelivery = now
                    }
                }
                if taken == limit { continue }
            }
            // The ring is empty.
            if wasBusy && source.busyPauseMilliseconds > 0 {
                // Packets are flowing: let the kernel retire several blocks before the next look
                // (it wakes the reader per block); only `breakLoop()` ends the pause early.
                wasBusy = false
                if source.breakRequested(waitMilliseconds: source.busyPauseMilliseconds) { return nil }
                continue
            }
            wasBusy = false
            switch source.waitForRing(milliseconds: source.pollTimeoutMilliseconds) {
            case .woken: break
            case .stopped: return nil
            case .failed(let reason):
                return readFailure(reason, source: source, after: packets, reader: "the kernel's receive ring")
            }
            // Nothing arrived (or a block just did): live flows still age by the wall clock.
            let now = wallClock()
            expire(now: Timestamp(nanoseconds: now), into: &sink)
            lastDelivery = now
            progress?(Progress(source: source.name, packets: packets, wireBytes: counters.wireBytes,
                               evictions: cache.statistics.evicted, fileOffset: nil, fileSize: nil,
                               activeFlows: cache.count))
        }
    }
}
