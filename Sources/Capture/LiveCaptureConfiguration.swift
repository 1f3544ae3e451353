/// Settings for a live capture handle (see `PacketSource.init(liveInterface:configuration:)`).
public struct LiveCaptureConfiguration: Hashable, Sendable {
    /// Bytes kept of each packet. 262144 keeps whole frames; 128 is enough for flow keys
    /// through a few tags and IPv6 extension headers and lets the kernel buffer hold far more.
    public var snaplen: Int
    public var promiscuous: Bool
    /// Kernel ring buffer size in bytes; 0 keeps libpcap's default (2 MiB on Linux).
    public var bufferSize: Int
    /// A BPF filter expression (`tcpdump` syntax); nil captures everything.
    public var filter: String?
    /// Deliver packets as they arrive instead of when the buffer fills or the timeout expires.
    public var immediate: Bool
    /// How long a read may wait for packets. It also bounds how late idle flows are expired
    /// and how quickly `breakLoop()` takes effect on an idle interface.
    public var readTimeoutMilliseconds: Int
    /// Read the kernel's receive ring directly (`PacketRing`) where it is set up as libpcap's
    /// would be (Linux, Ethernet or loopback, no filter, not immediate); libpcap reads otherwise.
    /// Off only to compare the two.
    public var directRing: Bool

    public init(snaplen: Int = 262_144, promiscuous: Bool = false, bufferSize: Int = 0, filter: String? = nil,
                immediate: Bool = false, readTimeoutMilliseconds: Int = 200, directRing: Bool = true) {
        self.snaplen = snaplen
        self.promiscuous = promiscuous
        self.bufferSize = bufferSize
        self.filter = filter
        self.immediate = immediate
        self.readTimeoutMilliseconds = readTimeoutMilliseconds
        self.directRing = directRing
    }
}

/// Counters from `pcap_stats` for a live handle. Their exact meaning varies by platform; on
/// Linux `received` counts packets that passed the filter and `dropped` those lost because the
/// buffer was full.
public struct KernelStatistics: Hashable, Sendable {
    public var received: UInt64
    public var dropped: UInt64
    /// Drops by the interface or its driver, where reported.
    public var interfaceDropped: UInt64

    public init(received: UInt64, dropped: UInt64, interfaceDropped: UInt64) {
        self.received = received
        self.dropped = dropped
        self.interfaceDropped = interfaceDropped
    }
}
