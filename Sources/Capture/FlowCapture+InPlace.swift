import FlowCore

extension FlowCapture {
    /// The packet loop over a source's records where they lie (`ClassicPcapRecords`), taken
    /// `dispatchLimit` at a time as `pcap_dispatch` hands them over, with the same accounting
    /// packet for packet. Where the in-place reader stops (the end of the file, or a record
    /// libpcap must read), libpcap's dispatching loop reads on from that record, so the end of
    /// a file, and any damage in it, is libpcap's to report.
    mutating func readInPlace<S: FlowSink>(_ source: PacketSource, decoder: PacketDecoder, into sink: inout S,
                                           progress: ((Progress) -> Void)?) -> FlowlogError? {
        guard var records = source.inPlaceRecords else {
            return readDispatching(source, decoder: decoder, into: &sink, progress: progress)
        }
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
        while true {
            // libpcap looks at its break flag before every record; once per call is as prompt
            // for a file, which never waits.
            if source.takeBreakRequest() { return nil }
            var taken = 0
            var unrepresentableSeconds: Int?
            while taken < limit, let record = records.next() {
                guard let time = Self.nanoseconds(seconds: record.seconds, fraction: record.fraction, fractionScale: 1) else {
                    unrepresentableSeconds = record.seconds
                    break
                }
                take(time: time, caplen: record.caplen, wire: record.wire, data: record.data, decoder: decoder,
                     packet: &packet, lookahead: lookahead)
                taken &+= 1
            }
            packets &+= UInt64(taken)
            // Every packet of the call is in the cache before anything reads it.
            cache.drain(&lookahead.pointee, into: &batch)
            source.inPlaceRecords = records
            source.releaseMappedPages(before: records.offset)
            if let seconds = unrepresentableSeconds {
                return timestampFailure(seconds, source: source, after: packets)
            }
            // Stopped mid-file: libpcap's first call completes this one, so the sink and the
            // progress callback see the same calls as when libpcap reads the whole file.
            if taken < limit && records.offset < records.end { break }
            if taken > 0 {
                if isDeliveryDue { deliver(into: &sink) }
                if packets >= nextProgress {
                    while nextProgress <= packets { nextProgress &+= interval }
                    progress?(Progress(source: source.name, packets: packets, wireBytes: counters.wireBytes,
                                       evictions: cache.statistics.evicted, fileOffset: source.fileOffset,
                                       fileSize: source.fileSize, activeFlows: cache.count))
                }
            }
            if taken < limit { break }
        }
        return readDispatching(source, decoder: decoder, into: &sink, progress: progress, packetsBefore: packets)
    }
}
