import CPcap
import FlowCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The capture stage's driver: reads packets from a `PacketSource`, decodes them, folds them
/// into the flow cache and hands finished flows to a `FlowSink` in batches.
///
/// Several sources can be run one after another through the same cache (a replay of several
/// files is one timeline); `finish(into:)` flushes what remains. A read error mid-file (a
/// truncated capture) is thrown only after everything before it has been accounted and every
/// record emitted so far has been handed on; the error is also kept in `statistics.readErrors`,
/// and the cache still holds the open flows, so the caller can go on with the next file and
/// `finish` as usual.
public struct FlowCapture {
    public internal(set) var cache: FlowCache
    public let batchSize: Int
    var counters = CaptureStatistics()
    /// Emitted records waiting to be handed on; allocated once, reused.
    var batch: [FlowRecord]
    var fragments = FragmentTable()
    /// How often (in packets) the progress callback is called.
    public var progressInterval: UInt64 = 1 << 16
    /// Decodes DNS responses when set (`observeDNS()`).
    var dns: DNSObserver?
    /// DNS answers seen since the last hand-over, each placed among `batch`'s flows.
    var resolutions: [AddressResolution] = []
    /// How packets are taken from a source; see `Reading`. Tests and the fuzz targets set it to
    /// compare the loops; everything else keeps the default.
    public var reading = Reading.inPlace

    /// `pcap_next_ex` hands out one packet per call; on a live Linux handle it first copies the
    /// packet out of the kernel's ring, because the ring's frame goes back to the kernel before
    /// the call returns. `pcap_dispatch` runs a callback on the packets where they lie, up to a
    /// few hundred per call, for files as well, but a file's records still come through stdio
    /// and libpcap's buffer. In place, a classic pcap file is read where it is mapped
    /// (`ClassicPcapRecords`), and libpcap's dispatching loop reads whatever that reader leaves
    /// (everything, for live handles, pcapng and pipes). The one-at-a-time loop stays as the
    /// plain reference the tests compare the dispatching loop with, packet for packet, and the
    /// dispatching loop alone is the reference for the in-place reader.
    public enum Reading: Sendable {
        case inPlace
        case dispatching
        case oneAtATime
    }

    public init(cache configuration: FlowCacheConfiguration = FlowCacheConfiguration(), batchSize: Int = 256) {
        cache = FlowCache(configuration: configuration)
        self.batchSize = max(1, batchSize)
        batch = []
        batch.reserveCapacity(self.batchSize * 2)
    }

    /// What has been counted so far, including the cache's emission counters.
    public var statistics: CaptureStatistics {
        var s = counters
        s.cache = cache.statistics
        s.dns = dns?.statistics ?? DNSStatistics()
        return s
    }

    /// Decodes DNS responses seen from here on and hands their address answers to the sink
    /// beside the flows (`FlowSink.accept(_:resolutions:)`), in stream order: an answer comes
    /// after every flow emitted before its packet was read and before every later one.
    public mutating func observeDNS() {
        dns = DNSObserver()
        resolutions.reserveCapacity(256)
    }

    /// Progress of a running source, reported every `progressInterval` packets and, for live
    /// sources, whenever a read times out with nothing to read (so an idle link still reports).
    public struct Progress: Sendable {
        public var source: String
        /// Packets read from this source so far.
        public var packets: UInt64
        /// Wire bytes of every source run through this capture so far.
        public var wireBytes: UInt64
        /// Flows evicted early because the cache was full, so far.
        public var evictions: UInt64
        /// Position in the file and its size (nil for live sources).
        public var fileOffset: UInt64?
        public var fileSize: UInt64?
        /// Flows currently in the cache.
        public var activeFlows: Int
    }

    /// Reads `source` to its end (a file) or until `source.breakLoop()` (a live interface).
    ///
    /// Throws `.unsupportedFormat` before reading when the link type cannot carry IP as far as
    /// the decoder knows, and `.truncated` or `.corrupt` (with file and offset) when libpcap
    /// stops mid-file; see the type's documentation for what is kept.
    public mutating func run<S: FlowSink>(_ source: PacketSource, into sink: inout S,
                                          progress: ((Progress) -> Void)? = nil) throws {
        let decoding = LinkDecoding(source.linkType)
        guard decoding != .unsupported else {
            throw FlowlogError(.unsupportedFormat,
                               "link type \(source.linkType) is not supported (supported: EN10MB, LINUX_SLL, LINUX_SLL2, RAW, IPV4, IPV6, NULL, LOOP)",
                               location: .init(file: source.isLive ? nil : source.name, field: source.isLive ? "interface \(source.name)" : nil))
        }
        counters.sources += 1
        let decoder = PacketDecoder(link: decoding)
        let failure: FlowlogError?
        if let ring = source.ring {
            // A live source set up to be read without libpcap (`LiveCaptureConfiguration.directRing`).
            failure = readRing(source, ring: ring, decoder: decoder, into: &sink, progress: progress)
        } else {
            switch reading {
            case .inPlace: failure = readInPlace(source, decoder: decoder, into: &sink, progress: progress)
            case .dispatching: failure = readDispatching(source, decoder: decoder, into: &sink, progress: progress)
            case .oneAtATime: failure = readAll(source, decoder: decoder, into: &sink, progress: progress)
            }
        }
        if source.isLive { counters.kernel = source.kernelStatistics() }
        deliver(into: &sink)
        if let failure {
            counters.readErrors.append(failure)
            throw failure
        }
    }

    /// Emits every flow still in the cache (`FlowStatus.flushed`) and hands all to the sink.
    public mutating func finish<S: FlowSink>(into sink: inout S) {
        // Answers waiting for the hand-over precede every flow the flush emits.
        deliver(into: &sink)
        cache.flush(into: &batch, handingOnEvery: batchSize, to: &sink)
        deliver(into: &sink)
    }

    /// Emits flows due at `now` (for a caller that drives its own clock).
    public mutating func expire<S: FlowSink>(now: Timestamp, into sink: inout S) {
        cache.expire(now: now, into: &batch)
        deliver(into: &sink)
    }

    mutating func deliver<S: FlowSink>(into sink: inout S) {
        if !resolutions.isEmpty {
            sink.accept(&batch, resolutions: &resolutions)
            resolutions.removeAll(keepingCapacity: true)
        } else if !batch.isEmpty {
            sink.accept(&batch)
        }
        batch.removeAll(keepingCapacity: true)
    }

    /// Whether enough waits to be handed on (flows, or the DNS answers of a burst of responses).
    var isDeliveryDue: Bool { batch.count >= batchSize || resolutions.count >= batchSize }

    /// The packet loop; returns the read error that ended it, if any.
    mutating func readAll<S: FlowSink>(_ source: PacketSource, decoder: PacketDecoder, into sink: inout S,
                                       progress: ((Progress) -> Void)?) -> FlowlogError? {
        do { try source.handOverToLibpcap() } catch { return error }
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        var packet = DecodedPacket()
        let scale = source.fractionScale
        let isLive = source.isLive
        var packetsHere: UInt64 = 0
        var nextProgress = progress == nil ? UInt64.max : progressInterval
        var lastDelivery = isLive ? wallClock() : 0
        while true {
            switch source.next(&header, &data) {
            case .packet:
                guard let h = header else { continue }
                guard take(h, data, decoder: decoder, packet: &packet, fractionScale: scale) else {
                    return timestampFailure(h.pointee.ts.tv_sec, source: source, after: packetsHere)
                }
                if isDeliveryDue { deliver(into: &sink) }
                packetsHere &+= 1
                if packetsHere >= nextProgress {
                    nextProgress &+= progressInterval
                    progress?(Progress(source: source.name, packets: packetsHere, wireBytes: counters.wireBytes,
                                       evictions: cache.statistics.evicted, fileOffset: source.fileOffset,
                                       fileSize: source.fileSize, activeFlows: cache.count))
                }
                if isLive && packetsHere & 0xFF == 0 && !(batch.isEmpty && resolutions.isEmpty) {
                    let now = wallClock()
                    if now &- lastDelivery >= 1_000_000_000 {
                        deliver(into: &sink)
                        lastDelivery = now
                    }
                }
            case .timeout:
                // Nothing arrived: live flows still age by the wall clock.
                let now = wallClock()
                cache.expire(now: Timestamp(nanoseconds: now), into: &batch)
                deliver(into: &sink)
                lastDelivery = now
                progress?(Progress(source: source.name, packets: packetsHere, wireBytes: counters.wireBytes,
                                   evictions: cache.statistics.evicted, fileOffset: nil, fileSize: nil,
                                   activeFlows: cache.count))
            case .end:
                return nil
            case .failed(let reason):
                return readFailure(reason, source: source, after: packetsHere)
            }
        }
    }

    /// Counts, decodes and folds one packet into the flow cache; false (and nothing counted)
    /// when its time stamp cannot be represented, which ends the source. With a `lookahead`
    /// the packet is queued there and folded in a few packets later (the caller drains it).
    @inline(__always)
    mutating func take(_ h: UnsafePointer<pcap_pkthdr>, _ data: UnsafePointer<UInt8>?, decoder: PacketDecoder,
                       packet: inout DecodedPacket, fractionScale scale: UInt64,
                       lookahead: UnsafeMutablePointer<FlowLookahead>? = nil) -> Bool {
        guard let time = Self.nanoseconds(seconds: h.pointee.ts.tv_sec, fraction: Int(h.pointee.ts.tv_usec), fractionScale: scale) else {
            return false
        }
        take(time: time, caplen: Int(h.pointee.caplen), wire: h.pointee.len, data: UnsafeRawPointer(data), decoder: decoder,
             packet: &packet, lookahead: lookahead)
        return true
    }

    /// `take` for a packet whose time stamp is already in nanoseconds.
    @inline(__always)
    mutating func take(time: UInt64, caplen: Int, wire: UInt32, data: UnsafeRawPointer?, decoder: PacketDecoder,
                       packet: inout DecodedPacket, lookahead: UnsafeMutablePointer<FlowLookahead>?) {
        count(time: time, caplen: caplen, wire: wire)
        let outcome = decoder.decode(UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : caplen), into: &packet)
        switch outcome {
        case .ip:
            counters.ipPackets &+= 1
            if packet.isFirstFragment {
                fragments.rememberFirstFragment(packet, time: time)
            } else if packet.isLaterFragment {
                counters.laterFragments &+= 1
                if fragments.completeLaterFragment(&packet, time: time) { counters.laterFragmentsMatched &+= 1 }
            }
            if packet.sourcePort == 53, dns != nil {
                // The packets before this one are folded first, so the answers' position counts
                // every flow they emitted, whatever the lookahead's depth.
                if let lookahead { cache.drain(&lookahead.pointee, into: &batch) }
                dns!.observe(UnsafeRawBufferPointer(start: data, count: caplen), packet, time: time,
                             position: batch.count, into: &resolutions)
            }
            let keyed = KeyedPacket(packet, time: time, wireLength: wire, seed: cache.hashSeed)
            if let lookahead {
                cache.update(keyed, lookahead: &lookahead.pointee, into: &batch)
            } else {
                cache.update(keyed, into: &batch)
            }
        case .nonIP:
            counters.nonIP &+= 1
        case .malformed(let reason):
            counters.malformed.increment(reason)
        }
    }

    /// libpcap scales pcapng timestamps by the interface's if_tsresol without bounds; a value
    /// past 2554 is damage, and the file ends there like a read error.
    func timestampFailure(_ seconds: Int, source: PacketSource, after packetsHere: UInt64) -> FlowlogError {
        let isLive = source.isLive
        return FlowlogError(.corrupt,
                            "packet \(packetsHere + 1): timestamp \(seconds) s is after \(Timestamp.latest), the latest time flowlog can represent (after \(packetsHere) packet\(packetsHere == 1 ? "" : "s"); everything before was kept)",
                            location: .init(file: isLive ? nil : source.name, offset: source.fileOffset,
                                            field: isLive ? "interface \(source.name)" : "packet timestamp"))
    }

    /// A read error as the capture's error, with where it happened.
    func readFailure(_ reason: String, source: PacketSource, after packetsHere: UInt64, reader: String = "libpcap") -> FlowlogError {
        let isLive = source.isLive
        let offset = source.fileOffset
        let truncated = reason.contains("truncated")
        let code: FlowlogError.Code = truncated ? .truncated : .corrupt
        let after = "after \(packetsHere) packet\(packetsHere == 1 ? "" : "s")"
        let what = isLive ? "the capture failed" : truncated ? "the capture file ends in the middle of a packet"
            : "the capture file is damaged"
        return FlowlogError(code, "\(what) \(after); everything before was kept (\(reader): \(reason))",
                            location: .init(file: isLive ? nil : source.name, offset: offset,
                                            field: isLive ? "interface \(source.name)" : nil))
    }

    /// Nanoseconds since the epoch for a libpcap time stamp (`fractionScale` turns its
    /// fraction into nanoseconds); nil when the time cannot be represented. Times before the
    /// epoch count as the epoch, as before.
    @inline(__always)
    static func nanoseconds(seconds: Int, fraction: Int, fractionScale: UInt64) -> UInt64? {
        let (whole, o1) = UInt64(max(seconds, 0)).multipliedReportingOverflow(by: 1_000_000_000)
        let (part, o2) = UInt64(max(fraction, 0)).multipliedReportingOverflow(by: fractionScale)
        let (sum, o3) = whole.addingReportingOverflow(part)
        return o1 || o2 || o3 ? nil : sum
    }

    @inline(__always)
    mutating func count(time: UInt64, caplen: Int, wire: UInt32) {
        counters.packets &+= 1
        counters.capturedBytes &+= UInt64(caplen)
        counters.wireBytes &+= UInt64(wire)
        let t = Timestamp(nanoseconds: time)
        if let first = counters.firstPacket {
            if t < first { counters.firstPacket = t }
        } else {
            counters.firstPacket = t
        }
        if let last = counters.lastPacket {
            if t > last { counters.lastPacket = t }
        } else {
            counters.lastPacket = t
        }
    }
}

/// Nanoseconds since the epoch from the real-time clock (the clock live packets are stamped with).
func wallClock() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_REALTIME, &spec)
    return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
}
