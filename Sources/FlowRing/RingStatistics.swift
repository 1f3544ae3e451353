/// A snapshot of a ring's counters, readable from any thread while both sides run.
///
/// Each counter is read separately, so a snapshot taken mid-run may be a few items apart between
/// fields; once both sides have stopped it is exact and `pushed == popped + occupancy`.
public struct RingStatistics: Sendable, Hashable, CustomStringConvertible {
    public var capacity: Int
    public var overflowPolicy: RingOverflowPolicy
    /// Items accepted by `push`.
    public var pushed: UInt64
    /// Items handed to the consumer by `pop`.
    public var popped: UInt64
    /// Items refused because the ring was full (pushes under `.dropNewest` only).
    public var dropped: UInt64
    /// The most items the consumer found waiting when it looked at the producer's index.
    public var maxOccupancy: Int
    /// Times the producer found the ring full and had to wait (pushes under `.wait` only).
    public var producerWaits: UInt64
    /// Times the consumer found the ring empty and had to wait (blocking `pop` only).
    public var consumerWaits: UInt64
    public var isClosed: Bool

    public init(
        capacity: Int, overflowPolicy: RingOverflowPolicy, pushed: UInt64, popped: UInt64,
        dropped: UInt64, maxOccupancy: Int, producerWaits: UInt64, consumerWaits: UInt64,
        isClosed: Bool
    ) {
        self.capacity = capacity
        self.overflowPolicy = overflowPolicy
        self.pushed = pushed
        self.popped = popped
        self.dropped = dropped
        self.maxOccupancy = maxOccupancy
        self.producerWaits = producerWaits
        self.consumerWaits = consumerWaits
        self.isClosed = isClosed
    }

    /// Items in the ring at the time of the snapshot.
    public var occupancy: Int { Int(clamping: pushed &- popped) }

    public var description: String {
        "ring capacity \(capacity) (\(overflowPolicy)): pushed \(pushed), popped \(popped), "
            + "dropped \(dropped), max occupancy \(maxOccupancy), "
            + "producer waits \(producerWaits), consumer waits \(consumerWaits)"
            + (isClosed ? ", closed" : "")
    }
}
