import Atomics
import Dispatch

/// How capture threads wake the agent's processing thread, and how rarely they need to.
///
/// The processing thread sleeps in one of two ways. With traffic it paces itself: after a pass
/// over its channels that found flows but not a full batch it sleeps `pace`, and only a channel
/// filling up (`FlowChannel.isFilling`), one closing or a reloaded engine wakes it early. That bounds its wake-ups to a few dozen a second however many batches the capture
/// threads push, where waking per pushed batch cost a futex call on each side every few
/// hundred flows (a tenth of the capture thread under load). Idle (its last pass found
/// nothing) it sleeps until the next flush, and any push wakes it.
///
/// Ringing a doorbell nobody sleeps on is one atomic load. The state is set before the waiter
/// looks at its channels for the last time and cleared by whoever wakes it, so a ring is never
/// lost: a push after that last look sees the waiter asleep and wakes it (when the rule says
/// so); one before it is found by the look.
final class RingDoorbell: Sendable {
    enum Sleep: Int, AtomicValue {
        case awake = 0
        /// Sleeping for `pace` after a pass that found flows: only urgent rings wake it.
        case pacing = 1
        /// Sleeping until the next flush after a pass that found nothing: any ring wakes it.
        case idle = 2
    }

    /// The longest a paced processing thread leaves flows waiting.
    static let pace: UInt64 = 50_000_000

    private let semaphore = DispatchSemaphore(value: 0)
    private let state = ManagedAtomic<Sleep>(.awake)

    /// How the processing thread sleeps right now.
    var sleep: Sleep { state.load(ordering: .sequentiallyConsistent) }

    /// Wakes the processing thread if it sleeps, either way.
    func ring() {
        guard sleep != .awake else { return }
        if state.exchange(.awake, ordering: .sequentiallyConsistent) != .awake { semaphore.signal() }
    }

    /// After a push: wakes an idle processing thread, and a pacing one when `urgent`.
    func ring(afterPushing urgent: @autoclosure () -> Bool) {
        let now = sleep
        guard now == .idle || (now == .pacing && urgent()) else { return }
        ring()
    }

    /// Sleeps as `sleep` says for at most `nanoseconds`, unless `hasWork` (looked at after the
    /// state is set) finds something that must not wait. True when rung.
    @discardableResult
    func wait(_ sleep: Sleep, nanoseconds: UInt64, unless hasWork: () -> Bool) -> Bool {
        state.store(sleep, ordering: .sequentiallyConsistent)
        if hasWork() {
            state.store(.awake, ordering: .sequentiallyConsistent)
            return true
        }
        let rung = semaphore.wait(timeout: .now() + .nanoseconds(Int(clamping: nanoseconds))) == .success
        // A ring that came after the timeout leaves the semaphore signalled: the next wait
        // returns at once, one extra look at the channels.
        state.store(.awake, ordering: .sequentiallyConsistent)
        return rung
    }
}
