#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How a side of the ring waits for the other: re-check a few times (the other thread is usually
/// just about to publish), then give the core away with `sched_yield`, then sleep for growing
/// intervals capped at `maximumSleep`, so an idle agent does not burn a core while a busy one
/// never sleeps at all. Public for consumers that wait on more than one ring.
public struct RingBackoff {
    @usableFromInline static let spinLimit = 64
    @usableFromInline static let yieldLimit = 64 + 32
    /// The first sleep; doubles per step up to `maximumSleepMicroseconds`.
    @usableFromInline static let firstSleepMicroseconds: UInt32 = 20
    @usableFromInline static let maximumSleepMicroseconds: UInt32 = 1_000

    @usableFromInline var step: Int = 0
    @usableFromInline var sleepMicroseconds: UInt32 = RingBackoff.firstSleepMicroseconds

    @inlinable public init() {}

    /// True once the backoff has gone past spinning: used to count one "wait" per episode.
    @inlinable var hasStarted: Bool { step > 0 }

    @inlinable
    public mutating func pause() {
        step &+= 1
        if step <= Self.spinLimit { return }
        pauseSlowly()
    }

    @usableFromInline
    mutating func pauseSlowly() {
        if step <= Self.yieldLimit {
            sched_yield()
            return
        }
        usleep(sleepMicroseconds)
        sleepMicroseconds = min(sleepMicroseconds &* 2, Self.maximumSleepMicroseconds)
    }
}
