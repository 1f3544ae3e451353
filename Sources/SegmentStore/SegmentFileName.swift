/// Segment file names as seen from outside the store (tamper evidence lists and checks them).
public enum SegmentFileName {
    /// The sequence number of a sealed segment's file name; nil for anything else.
    public static func sealedSequence(of name: String) -> UInt64? {
        guard let parsed = SegmentFormat.parseFileName(name), !parsed.open else { return nil }
        return parsed.sequence
    }

    /// True for the segment still being written (`.seg.open`), which nothing has signed yet.
    public static func isOpenSegment(_ name: String) -> Bool {
        SegmentFormat.parseFileName(name)?.open == true
    }
}
