/// What a producer does when the ring is full. Chosen once per ring and reported with its
/// statistics, so a run's summary says whether losing records was possible.
public enum RingOverflowPolicy: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Refuse the items that do not fit and count them as dropped. Live capture uses this: the
    /// kernel keeps delivering packets whether or not the consumer keeps up, and blocking the
    /// capture thread would only move the loss into the kernel's buffer, where it is harder to see.
    case dropNewest = "drop-newest"
    /// Wait (spin, then yield, then sleep briefly) until the consumer frees space. Offline replay
    /// uses this: the input can be re-read at the consumer's pace, so losing data would be wrong.
    case wait

    public var description: String { rawValue }
}
