/// How long flows live in the cache and how many it holds.
///
/// The defaults follow what flow-log users know: Calico aggregates flow logs over 5-minute
/// intervals (so long flows report every 300 s), an idle timeout of 60 s outlasts TCP
/// keep-alive gaps of busy services without holding dead UDP conversations for long
/// (nfpcapd and NetFlow exporters use 15–60 s), and a closed TCP connection lingers 2 s so its
/// final ACK and retransmitted FINs still count to it.
public struct FlowCacheConfiguration: Hashable, Sendable {
    /// A flow with no packet for this long is emitted (`FlowStatus.expiredIdle`).
    public var idleTimeoutNanoseconds: UInt64
    /// A flow older than this emits a record and goes on with zeroed counters; the next
    /// record has `FlowStatus.continuation` (`.expiredActive`). 0 disables it.
    public var activeTimeoutNanoseconds: UInt64
    /// What a TCP FIN in both directions or an RST does.
    public var tcpTeardown: TCPTeardown
    /// After teardown, how long the flow stays to collect the last ACK and retransmissions.
    public var teardownLingerNanoseconds: UInt64
    /// Most flows held at once; when full, the least recently active flow is emitted with
    /// `FlowStatus.evicted` and counted.
    public var capacity: Int

    public enum TCPTeardown: String, Hashable, Sendable, CaseIterable {
        /// Emit the flow (after the linger time) once FIN went both ways or an RST was seen.
        case close
        /// Only record the flags and `endObserved`; the flow ends by idle/active timeout.
        case ignore
    }

    public static let defaultIdleTimeoutSeconds: Double = 60
    public static let defaultActiveTimeoutSeconds: Double = 300
    public static let defaultTeardownLingerSeconds: Double = 2
    public static let defaultCapacity = 1_000_000

    public init(idleTimeoutNanoseconds: UInt64 = 60_000_000_000, activeTimeoutNanoseconds: UInt64 = 300_000_000_000,
                tcpTeardown: TCPTeardown = .close, teardownLingerNanoseconds: UInt64 = 2_000_000_000,
                capacity: Int = FlowCacheConfiguration.defaultCapacity) {
        self.idleTimeoutNanoseconds = idleTimeoutNanoseconds
        self.activeTimeoutNanoseconds = activeTimeoutNanoseconds
        self.tcpTeardown = tcpTeardown
        self.teardownLingerNanoseconds = teardownLingerNanoseconds
        self.capacity = max(1, capacity)
    }

    /// The same in seconds (fractions allowed), as the command line takes them.
    public init(idleTimeoutSeconds: Double, activeTimeoutSeconds: Double, tcpTeardown: TCPTeardown = .close,
                teardownLingerSeconds: Double = FlowCacheConfiguration.defaultTeardownLingerSeconds,
                capacity: Int = FlowCacheConfiguration.defaultCapacity) {
        func ns(_ s: Double) -> UInt64 { s <= 0 ? 0 : UInt64(min(s, 1e9) * 1e9) }
        self.init(idleTimeoutNanoseconds: max(1, ns(idleTimeoutSeconds)), activeTimeoutNanoseconds: ns(activeTimeoutSeconds),
                  tcpTeardown: tcpTeardown, teardownLingerNanoseconds: ns(teardownLingerSeconds), capacity: capacity)
    }
}
