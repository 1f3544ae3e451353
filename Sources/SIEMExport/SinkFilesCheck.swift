import FlowCore

/// Reads a sink's files (`<spool>/<sink>/state` and its spool chunks) exactly as a restarting
/// sink worker does, and says what it found, without sending anything.
///
/// These files are flowlog's own, but a crash, a full disk or an operator's editor can leave
/// anything in them, and a sink reads them first thing after every restart. This is the door
/// the fuzz target (`Fuzz/Sources/export-state-fuzz`) goes through, so every byte path a
/// restart takes is exercised with hostile input.
public enum SinkFilesCheck {
    /// What reading the spool from head to tail gave.
    public struct SpoolReading: Equatable, Sendable {
        /// Records framed and checksummed.
        public var records = 0
        /// Records skipped: a bad checksum, or a length that cannot be framed.
        public var damaged = 0
        public var payloadBytes = 0
        /// Where reading stopped (the tail, unless a chunk was missing).
        public var end: UInt64 = 0
        /// The head after opening: later than asked when chunks it needed are gone.
        public var head: UInt64 = 0
    }

    /// The state text as this flowlog would write back what it read from `text`; errors name
    /// `file` and the line.
    public static func canonicalStateText(_ text: [UInt8], file: String) throws -> [UInt8] {
        try SinkState.decode(text[...], file: file).encoded()
    }

    /// One 4 KiB slot of a state file holding `text` at `generation`, checksummed as a sink
    /// writes it; `text` longer than a slot holds is cut.
    public static func stateSlot(text: [UInt8], generation: UInt64) -> [UInt8] {
        SinkStateFile.slot(text: Array(text.prefix(SinkState.textCapacity)), generation: generation)
    }

    /// Loads the state file at `path` as a sink does on start: the newer whole slot's state,
    /// written back canonically; nil for an empty or absent file.
    public static func loadState(_ path: String) throws -> [UInt8]? {
        try SinkStateFile(path: path).load()?.encoded()
    }

    /// Opens the spool in `directory` between `head` and `tail` as a sink does on start
    /// (cutting bytes after the tail, deleting chunks before the head), then reads every record
    /// up to the tail in batches of `batchRecords`.
    public static func readSpool(directory: String, head: UInt64, tail: UInt64, limit: Int,
                                 batchRecords: Int = 1_000) throws -> SpoolReading {
        guard head <= tail else {
            throw FlowlogError(.invalidArgument, "head \(head) is after tail \(tail)", location: .init(file: directory))
        }
        let spool = try SinkSpool(directory: directory, limit: limit, head: head, tail: tail)
        let tally = try spool.tally(from: spool.head, to: spool.tail, maxRecords: max(1, batchRecords), maxBytes: 1 << 20)
        return SpoolReading(records: tally.records, damaged: tally.damaged, payloadBytes: tally.payloadBytes,
                            end: tally.end, head: spool.head)
    }
}
