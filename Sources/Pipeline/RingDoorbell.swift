import Dispatch

/// How a capture thread tells the agent's processing thread that flows are waiting, so the
/// processing thread can sleep until then instead of polling its rings.
///
/// Rung after every batch pushed into a ring (a few dozen times a second on a busy node, since
/// the capture side hands flows on in batches), after a ring is closed and when a reloaded
/// engine is waiting. Ringing while nobody waits is one atomic increment; the waiter then finds
/// the doorbell already rung and returns at once, so no ring is ever missed. A ring rung several
/// times while the waiter was busy costs it as many extra looks at its rings, which are cheap.
final class RingDoorbell: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)

    func ring() { semaphore.signal() }

    /// Waits until rung or until `nanoseconds` have passed; true when rung.
    @discardableResult
    func wait(nanoseconds: UInt64) -> Bool {
        semaphore.wait(timeout: .now() + .nanoseconds(Int(clamping: nanoseconds))) == .success
    }
}
