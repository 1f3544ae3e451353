import FlowCore
import FlowRing

/// The capture thread's end of a `FlowChannel`: finished flows go in as whole batches, with the
/// DNS answers seen among them.
///
/// Whether a full ring waits or drops is the ring's overflow policy (wait for replays, drop for
/// live capture). `drainMode` makes a dropping sink wait anyway: at shutdown the consumer is
/// known to be draining, and dropping the flow cache's final flush would lose data for nothing.
struct RingFlowSink: FlowSink {
    let channel: FlowChannel
    var drainMode = false
    /// Rung after a push when the consumer sleeps and the rule says to wake it (the agent's).
    let doorbell: RingDoorbell?

    init(channel: FlowChannel, doorbell: RingDoorbell? = nil) {
        self.channel = channel
        self.doorbell = doorbell
    }

    private var overflowPolicy: RingOverflowPolicy { drainMode ? .wait : channel.flows.overflowPolicy }

    mutating func accept(_ batch: inout [FlowRecord]) {
        _ = channel.flows.push(contentsOf: batch, overflowPolicy: overflowPolicy)
        batch.removeAll(keepingCapacity: true)
        doorbell?.ring(afterPushing: drainMode || channel.isFilling)
    }

    mutating func accept(_ batch: inout [FlowRecord], resolutions: inout [AddressResolution]) {
        channel.push(batch, resolutions: resolutions, overflowPolicy: overflowPolicy)
        batch.removeAll(keepingCapacity: true)
        resolutions.removeAll(keepingCapacity: true)
        doorbell?.ring(afterPushing: drainMode || channel.isFilling)
    }
}
