#if canImport(Glibc)
import Glibc
#endif
import FlowCore
import SegmentStore

/// Everything a query run needs, checked and compiled before the scan starts.
public struct QueryPlan: Sendable {
    public var filter: FilterProgram
    public var window: TimeWindow
    public var format: OutputFormat
    /// Output columns for flow rows (ignored by `--group-by`, whose columns are its keys and totals).
    public var fields: [OutputField]
    /// `--group-by` keys; empty for flow rows.
    public var groupBy: [OutputField]
    /// `--top N`: the first N groups (or flows, without `groupBy`) in `order`.
    public var top: Int?
    /// `--order`; nil for the default (`resultOrder`).
    public var order: ResultOrder?
    /// Flow rows: print the first N in `order`. Groups and `--order stored`: stop the scan
    /// after N matching flows.
    public var limit: Int?
    /// Tables: width and time precision.
    public var tableLayout = TableLayout.standard
    /// Lets a group-by that only needs conversation fields read per-conversation sums instead
    /// of rows (`readsConversationSums`); the answer is the same. False forces rows, for
    /// checking one path against the other.
    public var allowsConversationSums = true
    /// Threads reading blocks: a column-wise group-by deals them round-robin; a row scan decodes
    /// and filters them on this many workers and hands the matches over in scan order. 1 reads
    /// everything on the calling thread.
    public var threads = QueryPlan.defaultThreads
    /// Flow rows in an order other than time or stored, without a limit: how many are held in
    /// memory before they are sorted into a temporary file (`OrderedRowsSink`), and where.
    public var spillRows = QueryPlan.defaultSpillRows
    public var spillDirectory = QueryPlan.defaultSpillDirectory

    public init(filter: FilterProgram, window: TimeWindow = TimeWindow(), format: OutputFormat = .csv,
                fields: [OutputField]? = nil, groupBy: [OutputField] = [], top: Int? = nil,
                order: ResultOrder? = nil, limit: Int? = nil) {
        self.filter = filter
        self.window = window
        self.format = format
        self.fields = fields ?? (format == .table ? OutputField.table : OutputField.standard)
        self.groupBy = groupBy
        self.top = top
        self.order = order
        self.limit = limit
    }
}

extension QueryPlan {
    /// 1,048,576 rows: a few hundred MB of records with annotations at most.
    public static let defaultSpillRows = 1 << 20
    /// `$TMPDIR`, else /tmp.
    public static var defaultSpillDirectory: String {
        if let dir = getenv("TMPDIR"), dir.pointee != 0 { return String(cString: dir) }
        return "/tmp"
    }

    /// The order results print in: `order`, else time for flow rows, flows for groups and
    /// bytes for `--top` over single flows.
    public var resultOrder: ResultOrder {
        if let order { return order }
        if !groupBy.isEmpty { return .flows }
        return top != nil ? .bytes : .time
    }

    /// Refuses orders that do not apply (a count of flows for single flows, storage order for groups).
    public func checkOrder() throws {
        let location = FlowlogError.Location(field: "--order")
        switch (resultOrder, groupBy.isEmpty) {
        case (.flows, true):
            throw FlowlogError(.invalidArgument, "'flows' ranks groups (--group-by); order single flows by time, newest, packets, bytes or stored",
                               location: location)
        case (.stored, false):
            throw FlowlogError(.invalidArgument, "'stored' orders single flows; order groups by flows, packets, bytes, time or newest",
                               location: location)
        case (.stored, true) where top != nil:
            throw FlowlogError(.invalidArgument, "--top ranks flows; 'stored' does not rank (use packets, bytes, time or newest)",
                               location: location)
        default: return
        }
    }

    /// The processors this process may use (`UsableProcessors`: online, within its CPU
    /// affinity and its cgroup's CPU quota), at most 8: beyond that the output, written on one
    /// thread, is what limits a scan.
    public static var defaultThreads: Int {
        min(8, UsableProcessors.count)
    }
}

/// What a query run did, for `--stats`.
public struct QueryStatistics: Sendable, Equatable {
    public var segmentsTotal = 0
    public var segmentsSkipped = 0
    /// Blocks in the segments opened (segments skipped whole are not opened).
    public var blocksTotal = 0
    public var blocksRead = 0
    /// Blocks not read, by time or by the filter.
    public var blocksSkipped = 0
    /// Of those, skipped because the block digest proved the filter false for every flow.
    public var blocksPrunedByFilter = 0
    /// Flows decoded and tested.
    public var flowsScanned: UInt64 = 0
    public var flowsMatched: UInt64 = 0
    public var bytesRead: UInt64 = 0
    /// Groups held by `--group-by`.
    public var groups = 0
    /// Conversation sums handed to the query when blocks were read column-wise (0 for rows).
    public var conversationSums = 0
    /// The most flow rows held at once to print them in order.
    public var peakRowsHeld = 0
    public var elapsedSeconds: Double = 0
    /// What the scan could not read (file and offset in each) and the flows each may cost.
    public var problems: [ScanProblem] = []

    public init() {}

    public var flowsPerSecond: Double { elapsedSeconds > 0 ? Double(flowsScanned) / elapsedSeconds : 0 }

    /// The `--stats` text.
    public var summary: String {
        var lines = [
            "segments: \(segmentsTotal - segmentsSkipped) read, \(segmentsSkipped) skipped of \(segmentsTotal)",
            "blocks: \(blocksRead) read, \(blocksSkipped) skipped (\(blocksPrunedByFilter) by the filter) of \(blocksTotal) in the segments read",
            "flows: \(flowsScanned) scanned, \(flowsMatched) matched",
            "bytes read: \(bytesRead)",
        ]
        if groups > 0 { lines.append("groups: \(groups)") }
        if peakRowsHeld > 0 { lines.append("rows held to order them: at most \(peakRowsHeld)") }
        if conversationSums > 0 { lines.append("read: column-wise, flows summed into \(conversationSums) conversations") }
        lines.append("elapsed: \(String(format3: elapsedSeconds)) s (\(Int(flowsPerSecond)) flows/s)")
        for p in problems { lines.append("skipped: \(p)") }
        if !problems.isEmpty { lines.append("unread: \(damageSummary)") }
        return lines.joined(separator: "\n")
    }

    /// One line on what the problems may have cost: `3 damaged parts; 200 flows may be missing`.
    public var damageSummary: String {
        var known: UInt64 = 0
        var unknown = false
        for problem in problems {
            if let n = problem.flowsMissing { known &+= n } else { unknown = true }
        }
        let parts = "\(problems.count) unreadable part\(problems.count == 1 ? "" : "s") of the store"
        let flows = known == 1 ? "1 flow" : "\(known) flows"
        switch (known, unknown) {
        case (0, false): return "\(parts); no flows lost"
        case (_, false): return "\(parts); \(flows) may be missing"
        case (0, true): return "\(parts); an unknown number of flows may be missing"
        default: return "\(parts); \(flows) and an unknown number more may be missing"
        }
    }
}

extension String {
    /// Three decimals without Foundation.
    public init(format3 value: Double) {
        let millis = Int((value * 1000).rounded())
        let frac = String(millis % 1000)
        self = "\(millis / 1000)." + String(repeating: "0", count: 3 - frac.count) + frac
    }
}
