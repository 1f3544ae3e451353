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
    /// Everything the scan could not read (damaged blocks, headers and indexes, segments the
    /// manifest lists that are gone), each with the flows it may have cost; the scan went on
    /// without them.
    public var problems: [ScanProblem] = []

    /// The errors of `problems` (file and offset in each).
    public var corruptBlocks: [FlowlogError] { problems.map(\.error) }

    /// Flows known to be missing, and whether some problem's cost is unknown on top.
    public var flowsMissing: (known: UInt64, unknown: Bool) {
        var known: UInt64 = 0
        var unknown = false
        for problem in problems {
            if let n = problem.flowsMissing { known &+= n } else { unknown = true }
        }
        return (known, unknown)
    }

    public init() {}
}

/// Something a scan could not read, and how many flows that may have cost.
public struct ScanProblem: Sendable, Equatable, CustomStringConvertible {
    public var error: FlowlogError
    /// Flows that may be missing because of it: from the index's or block header's count, or
    /// the manifest's for a segment; 0 when nothing was lost (a damaged segment header whose
    /// blocks were all found); nil when nothing tells (a damaged header in an open segment).
    public var flowsMissing: UInt64?

    public init(_ error: FlowlogError, flowsMissing: UInt64?) {
        self.error = error
        self.flowsMissing = flowsMissing
    }

    public var description: String {
        switch flowsMissing {
        case .some(0): return "\(error) (no flows lost)"
        case .some(1): return "\(error) (1 flow may be missing)"
        case .some(let n): return "\(error) (\(n) flows may be missing)"
        case .none: return "\(error) (an unknown number of flows may be missing)"
        }
    }
}
