#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// How a following exporter is asked, at the agent's shutdown, to send what is stored now and
/// then end, within a time limit: set from the service's shutdown handler, read by the
/// exporter's own thread between batches. Monotonic, so a clock step cannot cut it short.
public final class DrainDeadline: Sendable {
    /// Nanoseconds of the monotonic clock at which the drain ends; 0 until one is asked for.
    private let end = Atomic<UInt64>(0)

    public init() {}

    /// Starts the drain; `limit` must be above zero (a zero limit is a plain stop).
    public func start(limit: Duration) {
        let (seconds, attoseconds) = limit.components
        let nanoseconds = UInt64(max(seconds, 0)).multipliedReportingOverflow(by: 1_000_000_000)
        let total = nanoseconds.overflow ? UInt64.max / 2 : nanoseconds.partialValue &+ UInt64(max(attoseconds, 0) / 1_000_000_000)
        end.store(Self.now() &+ max(total, 1), ordering: .relaxed)
    }

    /// A drain was asked for.
    public var isRequested: Bool { end.load(ordering: .relaxed) != 0 }

    /// A drain was asked for and its time is up.
    public var hasPassed: Bool {
        let deadline = end.load(ordering: .relaxed)
        return deadline != 0 && Self.now() >= deadline
    }

    private static func now() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
    }
}
