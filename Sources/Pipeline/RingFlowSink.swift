import FlowCore
import FlowRing

/// The capture thread's end of the ring: finished flows go in as whole batches.
///
/// Whether a full ring waits or drops is the ring's overflow policy (wait for replays, drop for
/// live capture). `drainMode` makes a dropping sink wait anyway: at shutdown the consumer is
/// known to be draining, and dropping the flow cache's final flush would lose data for nothing.
struct RingFlowSink: FlowSink {
    let ring: SPSCRing<FlowRecord>
    var drainMode = false
    /// Rung after every push, for a consumer that sleeps until flows arrive (the agent's).
    let doorbell: RingDoorbell?

    init(ring: SPSCRing<FlowRecord>, doorbell: RingDoorbell? = nil) {
        self.ring = ring
        self.doorbell = doorbell
    }

    mutating func accept(_ batch: inout [FlowRecord]) {
        _ = ring.push(contentsOf: batch, overflowPolicy: drainMode ? .wait : ring.overflowPolicy)
        batch.removeAll(keepingCapacity: true)
        doorbell?.ring()
    }
}
