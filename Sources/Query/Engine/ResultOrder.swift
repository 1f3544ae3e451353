/// The order results print in (`--order`).
///
/// Flow rows default to `time`; groups to `flows`; `--top` over single flows to `bytes`.
public enum ResultOrder: String, CaseIterable, Sendable {
    /// Oldest start first (groups: by their first flow's start).
    case time
    /// Newest start first (groups: by their last flow's start).
    case newest
    /// Largest first by count of flows (groups only: a single flow counts 1).
    case flows
    /// Largest first by packets, then by bytes.
    case packets, bytes
    /// As stored, streamed without holding rows: the order flows were written in, which is
    /// roughly when they ended (flow rows only).
    case stored

    /// Whether the order needs each flow's start time.
    var readsTimes: Bool { self == .time || self == .newest }
}
