import FlowCore

/// What a writer has done since it was opened.
public struct WriterStatistics: Sendable, Equatable {
    public var flows: UInt64 = 0
    public var blocks: UInt64 = 0
    public var segmentsSealed: UInt64 = 0
    public var segmentsDeleted: UInt64 = 0
    /// Bytes written to segment files: blocks, segment headers, indexes and footers, so a
    /// fresh store's total is what `flowlog store info` lists.
    public var bytesWritten: UInt64 = 0
    /// What opening the directory had to repair.
    public var recovery: RecoveryReport = RecoveryReport()

    public var bytesPerFlow: Double { flows == 0 ? 0 : Double(bytesWritten) / Double(flows) }

    public init() {}
}

/// What a writer found and repaired when it opened a directory.
public struct RecoveryReport: Sendable, Equatable, CustomStringConvertible {
    /// Open segments left by a previous writer, then sealed.
    public var segmentsRecovered: Int = 0
    /// Complete blocks and flows kept from them.
    public var blocksKept: Int = 0
    public var flowsKept: UInt64 = 0
    /// Bytes cut from torn tails (partly written blocks, an unfinished seal).
    public var bytesTruncated: UInt64 = 0
    /// Blocks dropped because they failed their checksum, with file and offset.
    public var problems: [FlowlogError] = []

    public init() {}

    public var description: String {
        if segmentsRecovered == 0 { return "nothing to recover" }
        var text = "recovered \(segmentsRecovered) open segment(s): kept \(blocksKept) block(s), \(flowsKept) flow(s); "
            + "truncated \(bytesTruncated) byte(s) of torn tail"
        for problem in problems { text += "\n  \(problem)" }
        return text
    }
}

/// What one scan did.
public struct ScanStatistics: Sendable, Equatable {
    public var segmentsTotal = 0
    /// Segments whose manifest or footer time range lies outside the scan's.
    public var segmentsSkipped = 0
    public var blocksTotal = 0
    public var blocksRead = 0
    /// Blocks skipped by time or by the visitor's `shouldRead`.
    public var blocksSkipped = 0
    /// Records decoded (including those outside the time range inside read blocks).
    public var flowsDecoded: UInt64 = 0
    /// Flows handed to the visitor.
    public var flowsVisited: UInt64 = 0
    /// Bytes read from segment files for blocks.
    public var bytesRead: UInt64 = 0
    /// Corrupt blocks and indexes met (file and offset in each); the scan went on without them.
    public var corruptBlocks: [FlowlogError] = []

    public init() {}
}
