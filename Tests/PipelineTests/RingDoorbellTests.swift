import Foundation
@testable import Pipeline
import Testing

/// The processing thread's doorbell: a pacing sleeper is woken only by urgent rings, an idle
/// one by any, and work found after the state is set means no sleep at all.
struct RingDoorbellTests {
    /// Rings from another thread once the waiter is asleep as `sleep` (checked by polling its state).
    private func ringWhenAsleep(_ doorbell: RingDoorbell, as sleep: RingDoorbell.Sleep, urgent: Bool) -> Thread {
        let thread = Thread {
            while doorbell.sleep != sleep { usleep(1_000) }
            doorbell.ring(afterPushing: urgent)
        }
        thread.start()
        return thread
    }

    @Test func aPacingSleeperWakesOnlyForUrgentRings() {
        let doorbell = RingDoorbell()
        _ = ringWhenAsleep(doorbell, as: .pacing, urgent: false)
        let started = Date()
        #expect(!doorbell.wait(.pacing, nanoseconds: 300_000_000) { false })
        #expect(Date().timeIntervalSince(started) >= 0.25)
        _ = ringWhenAsleep(doorbell, as: .pacing, urgent: true)
        #expect(doorbell.wait(.pacing, nanoseconds: 30_000_000_000) { false })
        #expect(doorbell.sleep == .awake)
    }

    @Test func anIdleSleeperWakesForAnyPush() {
        let doorbell = RingDoorbell()
        _ = ringWhenAsleep(doorbell, as: .idle, urgent: false)
        #expect(doorbell.wait(.idle, nanoseconds: 30_000_000_000) { false })
        // Nobody sleeps: ringing changes nothing and costs nothing.
        doorbell.ring()
        #expect(doorbell.sleep == .awake)
    }

    @Test func workFoundAfterTheStateIsSetMeansNoSleep() {
        let doorbell = RingDoorbell()
        var looked: RingDoorbell.Sleep?
        let started = Date()
        #expect(doorbell.wait(.idle, nanoseconds: 30_000_000_000) {
            looked = doorbell.sleep
            return true
        })
        #expect(looked == .idle)
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(doorbell.sleep == .awake)
    }
}
