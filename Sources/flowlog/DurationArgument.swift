import ArgumentParser
import FlowCore

/// A duration flag (`--idle-timeout 30s`): every command reads durations as `DurationText` does.
struct DurationArgument: ExpressibleByArgument, Sendable {
    var duration: Duration

    init(_ duration: Duration) { self.duration = duration }
    init(seconds: Double) { duration = .nanoseconds(Int64((seconds * 1e9).rounded())) }

    init?(argument: String) {
        guard let d = DurationText.parse(argument) else { return nil }
        duration = d
    }

    var seconds: Double { duration.secondsValue }
    var defaultValueDescription: String { DurationText.format(duration) }
}
