/// How a table is laid out: how wide it may be, and how precise its times are.
public struct TableLayout: Sendable, Equatable {
    /// Longest line; shrinkable columns (names, labels, traces) are cut with `…` to fit. nil:
    /// no limit (`-o wide`).
    public var maxWidth: Int?
    /// Times to the second (`2026-11-02T09:00:00Z`) rather than the nanosecond.
    public var secondsOnly: Bool

    public init(maxWidth: Int? = 120, secondsOnly: Bool = true) {
        self.maxWidth = maxWidth
        self.secondsOnly = secondsOnly
    }

    /// The terminal table.
    public static let standard = TableLayout()
    /// `-o wide`: every character, times to the nanosecond.
    public static let wide = TableLayout(maxWidth: nil, secondsOnly: false)
}
