import CPcap
import FlowCore

/// What a `pcap_dispatch` callback works on. The callback is a C function, so it carries no
/// context of its own: everything it needs comes through this, by pointer.
struct DispatchTarget {
    let capture: UnsafeMutablePointer<FlowCapture>
    let decoder: PacketDecoder
    let fractionScale: UInt64
    let handle: OpaquePointer
    var packet = DecodedPacket()
    /// Packets whose flow-cache lookups are under way; drained after every `pcap_dispatch` call.
    let lookahead: UnsafeMutablePointer<FlowLookahead>
    /// Packets taken from this source so far.
    var packets: UInt64 = 0
    /// The seconds of a time stamp flowlog cannot represent; the callback stops the loop there.
    var unrepresentableSeconds: Int?
}

extension FlowCapture {
    /// Packets one `pcap_dispatch` call hands over at most. Records emitted meanwhile wait in
    /// `batch` until the call returns, so this bounds how far the batch grows past `batchSize`.
    static let dispatchLimit: Int32 = 256

    /// The packet loop over `pcap_dispatch`; the same accounting as `readAll`, packet for packet.
    /// `packetsBefore` were read from this source already (in place), for positions in messages
    /// and progress reports; libpcap reads on from the record after them.
    mutating func readDispatching<S: FlowSink>(_ source: PacketSource, decoder: PacketDecoder, into sink: inout S,
                                               progress: ((Progress) -> Void)?, packetsBefore: UInt64 = 0) -> FlowlogError? {
        do { try source.handOverToLibpcap() } catch { return error }
        let isLive = source.isLive
        let interval = progressInterval
        var nextProgress = progress == nil ? UInt64.max : interval
        if interval > 0 && packetsBefore >= nextProgress { nextProgress = packetsBefore / interval &* interval &+ interval }
        var lastDelivery = isLive ? wallClock() : 0
        return withUnsafeMutablePointer(to: &self) { capture -> FlowlogError? in
            let lookahead = UnsafeMutablePointer<FlowLookahead>.allocate(capacity: 1)
            lookahead.initialize(to: FlowLookahead())
            defer {
                lookahead.pointee.deallocate()
                lookahead.deallocate()
            }
            var target = DispatchTarget(capture: capture, decoder: decoder, fractionScale: source.fractionScale,
                                        handle: source.handle, lookahead: lookahead, packets: packetsBefore)
            // After records read in place, the first call completes their last call's count.
            var maximum = Self.dispatchLimit - Int32(packetsBefore % UInt64(Self.dispatchLimit))
            while true {
                let outcome = withUnsafeMutablePointer(to: &target) { pointer in
                    source.dispatch(maximum: maximum, callback: takeDispatched, context: UnsafeMutableRawPointer(pointer))
                }
                maximum = Self.dispatchLimit
                // Every packet the call handed over is in the cache before anything reads it.
                capture.pointee.cache.drain(&lookahead.pointee, into: &capture.pointee.batch)
                if let seconds = target.unrepresentableSeconds {
                    return capture.pointee.timestampFailure(seconds, source: source, after: target.packets)
                }
                switch outcome {
                case .packet:
                    if capture.pointee.isDeliveryDue { capture.pointee.deliver(into: &sink) }
                    if target.packets >= nextProgress {
                        while nextProgress <= target.packets { nextProgress &+= interval }
                        progress?(Progress(source: source.name, packets: target.packets, wireBytes: capture.pointee.counters.wireBytes,
                                           evictions: capture.pointee.cache.statistics.evicted, fileOffset: source.fileOffset,
                                           fileSize: source.fileSize, activeFlows: capture.pointee.cache.count))
                    }
                    if isLive && !(capture.pointee.batch.isEmpty && capture.pointee.resolutions.isEmpty) {
                        let now = wallClock()
                        if now &- lastDelivery >= 1_000_000_000 {
                            capture.pointee.deliver(into: &sink)
                            lastDelivery = now
                        }
                    }
                case .timeout:
                    // Nothing arrived: live flows still age by the wall clock.
                    let now = wallClock()
                    capture.pointee.expire(now: Timestamp(nanoseconds: now), into: &sink)
                    lastDelivery = now
                    progress?(Progress(source: source.name, packets: target.packets, wireBytes: capture.pointee.counters.wireBytes,
                                       evictions: capture.pointee.cache.statistics.evicted, fileOffset: nil, fileSize: nil,
                                       activeFlows: capture.pointee.cache.count))
                case .end:
                    return nil
                case .failed(let reason):
                    return capture.pointee.readFailure(reason, source: source, after: target.packets)
                }
            }
        }
    }
}

/// The `pcap_dispatch` callback: one packet, where libpcap holds it.
private func takeDispatched(_ user: UnsafeMutablePointer<UInt8>?, _ header: UnsafePointer<pcap_pkthdr>?,
                            _ data: UnsafePointer<UInt8>?) {
    guard let user, let header else { return }
    let target = UnsafeMutableRawPointer(user).assumingMemoryBound(to: DispatchTarget.self)
    // After a bad time stamp libpcap may still hand over the rest of its current call.
    guard target.pointee.unrepresentableSeconds == nil else { return }
    let decoder = target.pointee.decoder
    if target.pointee.capture.pointee.take(header, data, decoder: decoder, packet: &target.pointee.packet,
                                           fractionScale: target.pointee.fractionScale, lookahead: target.pointee.lookahead) {
        target.pointee.packets &+= 1
    } else {
        target.pointee.unrepresentableSeconds = header.pointee.ts.tv_sec
        pcap_breakloop(target.pointee.handle)
    }
}
