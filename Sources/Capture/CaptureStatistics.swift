import FlowCore

/// Everything a capture run counted, across all sources run through the same `FlowCapture`.
public struct CaptureStatistics: Hashable, Sendable {
    /// Frames read from libpcap, whatever they contained.
    public var packets: UInt64 = 0
    /// Sum of the frames' original (wire) lengths.
    public var wireBytes: UInt64 = 0
    /// Sum of the bytes actually captured (at most the snaplen per frame).
    public var capturedBytes: UInt64 = 0
    /// Frames decoded to an IP packet and accounted to a flow.
    public var ipPackets: UInt64 = 0
    /// Frames carrying no IP packet (ARP, LLDP, STP, …), counted and otherwise ignored.
    public var nonIP: UInt64 = 0
    /// Frames cut short or malformed, by reason; they are not accounted to any flow.
    public var malformed = MalformedCounts()
    /// IP fragments other than the first.
    public var laterFragments: UInt64 = 0
    /// Later fragments whose first fragment had been seen, so they counted towards its flow;
    /// the others counted towards a flow with ports 0 between the same hosts.
    public var laterFragmentsMatched: UInt64 = 0
    /// Timestamps of the earliest and latest frame (nil before the first).
    public var firstPacket: Timestamp?
    public var lastPacket: Timestamp?
    /// What the flow cache did (records emitted by cause, evictions, peak flows).
    public var cache = FlowCacheStatistics()
    /// Sources run to their end (or to a read error).
    public var sources: Int = 0
    /// Read errors that ended a source early (a truncated file); everything before them counts.
    public var readErrors: [FlowlogError] = []
    /// The kernel's counters of the last live source, when it had any.
    public var kernel: KernelStatistics?
    /// DNS responses decoded (all zero when DNS observation is off).
    public var dns = DNSStatistics()

    public init() {}

    /// Records handed to the sink.
    public var flowsEmitted: UInt64 { cache.recordsEmitted }
    public var evictions: UInt64 { cache.evicted }

    /// Time between the first and the last frame, in nanoseconds.
    public var captureDurationNanoseconds: UInt64 {
        guard let first = firstPacket, let last = lastPacket, last > first else { return 0 }
        return last.nanoseconds - first.nanoseconds
    }
}
