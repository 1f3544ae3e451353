#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FlowCore

/// Wall-clock now, for lag (the age of the oldest record waiting).
enum WallClock {
    static func now() -> Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(seconds: UInt64(ts.tv_sec), nanoseconds: UInt64(ts.tv_nsec))
    }
}
