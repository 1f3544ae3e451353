#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Pipeline
import ArgumentParser
import ClickHouse
import FlowCore
import Query

/// `flowlog query --data DIR [FILTER]`: filter, aggregate and print stored flows; with
/// `--clickhouse URL` the same query over the flows exported to ClickHouse.
struct QueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Print, filter and aggregate the flows stored in a data directory.",
        discussion: """
        FILTER is one expression (quote it, or give it as several words):
          src.namespace shop and dst.port in (5432, 6379) and not action allow
          dst.labels "app == 'db'" or policy knp:shop/allow-web
          bytes > 10M and proto tcp and src.ip 10.0.0.0/8
        Operators: and (&&), or (||), not (!), parentheses; and binds tighter.
        Per-side fields take src., dst. or any. (bare: either side):
          namespace (ns), pod (name), name_aggr, type (wep|hep|ns|net),
          labels (a quoted Calico selector), ip (address or CIDR), port.
        Flow fields (names and meanings as in Calico's flow logs):
          proto, action (verdict: allow|deny|unknown), pending_action (the
          action if staged policies were enforced), would_change (yes|no, or
          alone), policy_action (an enforced hit did allow|deny|pass),
          reporter (src|dst), tier, policy (name, ns/name or kind:ns/name),
          vlan, node, service (ns/name), packets, bytes (src./dst.: what
          that side sent), packets_in, packets_out, bytes_in, bytes_out
          (Calico's: relative to the reporter) (=, !=, <, <=, >, >=; 10k, 2M).
        Text values ending in * match by prefix (pod web-*);
        field in (a, b) lists values.

        Rows print oldest first (--order); groups largest first. The table
        fits 120 columns (or the terminal); -o wide shows more.

        Time: a flow is in the window when it overlaps it: it starts before
        --until and ends at or after --since. A long flow that began before
        --since is included.

        Parts of the store that cannot be read (damaged blocks, headers or indexes,
        segments the manifest lists that are gone) are skipped with a warning on
        standard error naming each and the flows it may cost; --strict makes that an
        error (the rows read are still printed, then the exit status is 1).

        ClickHouse: --clickhouse http://HOST:8123 runs the same query over the
        flows exported there (flowlog export clickhouse), on a cluster through
        the Distributed table; the answer is printed exactly as a local one.

        \(ExitStatus.help)
        """
    )

    @Option(name: .long, help: ArgumentHelp("The store's data directory.", valueName: "dir"))
    var data: String?

    @Option(name: .long, help: ArgumentHelp("Query a ClickHouse server instead of --data (http://HOST:PORT).", valueName: "url"))
    var clickhouse: String?

    @Option(name: .long, help: ArgumentHelp("With --clickhouse: the database.", valueName: "name"))
    var database = "flowlog"

    @Option(name: .long, help: ArgumentHelp("With --clickhouse: the table (on a cluster, the Distributed table).", valueName: "name"))
    var table = "flows"

    @Option(name: .long, help: ArgumentHelp("With --clickhouse: the user.", valueName: "name"))
    var user: String?

    @Option(name: .long, help: ArgumentHelp("With --clickhouse: file whose first line is the user's password.", valueName: "file"))
    var passwordFile: String?

    @Argument(help: "The filter expression (empty: every flow).")
    var filter: [String] = []

    @Option(name: .long, help: ArgumentHelp("Flows overlapping from this time: RFC 3339 (2026-11-23T07:00:00Z) or back from now (\(DurationText.examples)).", valueName: "time"))
    var since: String?

    @Option(name: .long, help: ArgumentHelp("Flows starting before this time (same forms as --since).", valueName: "time"))
    var until: String?

    @Option(name: [.short, .customLong("output")],
            help: ArgumentHelp("table, wide (a table with more columns), csv, ndjson or json (default: table on a terminal, csv otherwise).", valueName: "format"))
    var output: String?

    @Option(name: .long, help: ArgumentHelp("Columns, comma-separated, Calico flow-log names (source_namespace, dest_port, policies, …; default: start_time,source,dest,dest_port_proto,action,packets,bytes in a table, every field otherwise).", valueName: "fields"))
    var fields: String?

    @Option(name: .customLong("group-by"), help: ArgumentHelp("Sum flows, packets and bytes per distinct value of these fields (like nfdump -A).", valueName: "fields"))
    var groupBy: String?

    // Counts are read whatever they look like (`--top -1`), so the answer can say what is wrong.
    @Option(name: .long, parsing: .unconditional,
            help: ArgumentHelp("Only the first N groups (or flows, without --group-by) in --order (like nfdump -s).", valueName: "n"))
    var top: String?

    @Option(name: .long, help: ArgumentHelp("time (oldest first), newest, flows, packets, bytes or stored (default: time for flows, flows for groups, bytes with --top).", valueName: "order"))
    var order: String?

    @Option(name: .long, parsing: .unconditional,
            help: ArgumentHelp("Print the first N matching flows in --order (with --group-by or --order stored: stop after N).", valueName: "n"))
    var limit: String?

    @Option(name: .long, parsing: .unconditional,
            help: ArgumentHelp("Threads decoding and filtering blocks; output keeps the one-thread order (default: the processors this process may use, within its CPU affinity and cgroup quota, at most 8; 1: one thread).", valueName: "n"))
    var threads: String?

    @Flag(name: .customLong("rows"), help: "Read whole rows even where a group-by could sum per conversation column-wise (same answer; for checking).")
    var forceRows = false

    @Flag(name: .long, help: "Print segments and blocks read and skipped, flows scanned and matched, and the time taken to standard error.")
    var stats = false

    @Flag(name: .long, help: "Fail (exit 1) when part of the store could not be read, instead of warning and answering from the rest.")
    var strict = false

    func validate() throws {
        _ = try options()
        switch (data, clickhouse) {
        case (nil, nil): throw ValidationError("give --data DIR or --clickhouse URL")
        case (.some, .some): throw ValidationError("give --data or --clickhouse, not both")
        default: break
        }
        if passwordFile != nil && user == nil { throw ValidationError("--password-file needs --user") }
        for (option, name) in [("--database", database), ("--table", table)] where !ClickHouseSchema.isPlainName(name) {
            throw ValidationError("\(option): '\(name)' is not a plain name (letters, digits, _; not starting with a digit)")
        }
    }

    /// The options other than the filter, checked (a usage error names the option and the value).
    private func options() throws -> (format: OutputFormat, layout: TableLayout, order: ResultOrder?, top: Int?,
                                      limit: Int?, threads: Int?, fields: [OutputField]?, groupBy: [OutputField]) {
        var format: OutputFormat
        var layout = TableLayout.standard
        switch output?.lowercased() {
        case nil: format = isatty(STDOUT_FILENO) != 0 ? .table : .csv
        case "wide": format = .table; layout = .wide
        case let name?:
            guard let f = OutputFormat(rawValue: name) else {
                let names = OutputFormat.allCases.map(\.rawValue) + ["wide"]
                throw ValidationError("--output: unknown format '\(output!)'\(Spelling.suggestion(for: name, among: names)) (table, wide, csv, ndjson, json)")
            }
            format = f
        }
        if format == .table, layout.maxWidth != nil, let columns = Self.terminalColumns() { layout.maxWidth = columns }
        var rank: ResultOrder?
        if let order {
            guard let r = ResultOrder(rawValue: order.lowercased()) else {
                let names = ResultOrder.allCases.map(\.rawValue)
                throw ValidationError("--order: unknown order '\(order)'\(Spelling.suggestion(for: order, among: names)) (\(names.joined(separator: ", ")))")
            }
            rank = r
        }
        func fieldList(_ text: String?, _ option: String) throws -> [OutputField]? {
            guard let text else { return nil }
            do {
                return try OutputField.list(text, option: option)
            } catch let error as FlowlogError {
                throw ValidationError("\(option): \(error.message)")
            }
        }
        if fields != nil, groupBy != nil {
            throw ValidationError("--fields picks the columns of flow rows; with --group-by the columns are its keys, then flows, packets and bytes")
        }
        return (format, layout, rank,
                try Self.count(top, "--top", 1...Int.max),
                try Self.count(limit, "--limit", 1...Int.max),
                try Self.count(threads, "--threads", 1...256),
                try fieldList(fields, "--fields"),
                try fieldList(groupBy, "--group-by") ?? [])
    }

    /// A whole number in `range`, or a usage error that says which option and why.
    static func count(_ text: String?, _ option: String, _ range: ClosedRange<Int>) throws -> Int? {
        guard let text else { return nil }
        guard let n = Int(text) else {
            throw ValidationError("\(option) takes a whole number, not '\(text)'")
        }
        guard range.contains(n) else {
            throw ValidationError(range.upperBound == Int.max
                ? "\(option) must be at least \(range.lowerBound), not \(n)"
                : "\(option) must be from \(range.lowerBound) to \(range.upperBound), not \(n)")
        }
        return n
    }

    func run() throws {
        let filterText = filter.joined(separator: " ")
        let program: FilterProgram
        do {
            program = try FilterProgram(parsing: filterText)
        } catch let error as FlowlogError {
            Diagnostics.write("flowlog: " + FilterDiagnostic.render(error, filter: filterText))
            throw ExitStatus.badInput.exitCode
        }
        let o = try options()
        let window: TimeWindow
        do {
            window = try TimeWindow(since: since, until: until, now: Self.now())
        } catch let error as FlowlogError {
            let field = error.location?.field ?? "--since"
            throw ValidationError(error.message.hasPrefix(field) ? error.message : "\(field): \(error.message)")
        }
        var plan = QueryPlan(filter: program, window: window, format: o.format, fields: o.fields ?? (o.layout == .wide ? OutputField.wide : nil),
                             groupBy: o.groupBy, top: o.top, order: o.order, limit: o.limit)
        plan.tableLayout = o.layout
        if let threads = o.threads { plan.threads = threads }
        plan.allowsConversationSums = !forceRows
        do {
            try plan.checkOrder()
        } catch let error as FlowlogError {
            throw ValidationError("--order: \(error.message)")
        }
        // A reader that goes away (`| head`) ends the output; it is not a crash.
        signal(SIGPIPE, SIG_IGN)
        var out = OutputBuffer(target: .fileDescriptor(STDOUT_FILENO))
        if let clickhouse {
            try runOnClickHouse(plan, url: clickhouse, into: &out)
            return
        }
        let statistics: QueryStatistics
        do {
            statistics = try QueryEngine.run(plan, directory: data ?? "", into: &out)
        } catch let error as FlowlogError where error == OutputBuffer.closedPipe {
            return
        }
        // Every part not read is named with the flows it may cost, so an answer from a damaged
        // store is never mistaken for a complete one.
        func report(_ message: String) {
            if strict { Diagnostics.error(message) } else { Diagnostics.warning(message) }
        }
        for problem in statistics.problems { report("skipped \(problem)") }
        if !statistics.problems.isEmpty {
            report(statistics.damageSummary + (strict ? "" : " (--strict makes this an error)"))
        }
        if stats { Diagnostics.write(statistics.summary) }
        if strict && !statistics.problems.isEmpty { throw ExitStatus.failure.exitCode }
    }

    /// The same plan answered by a ClickHouse server; an unreachable or failing server is a
    /// failure (1), like an unreadable store.
    private func runOnClickHouse(_ plan: QueryPlan, url: String, into out: inout OutputBuffer) throws {
        let password = try passwordFile.map { try ClickHouseEndpoint.readPassword(file: $0) }
        let endpoint = try ClickHouseEndpoint(url: url, user: user, password: password)
        let query = try ClickHouseQuery(client: ClickHouseClient(endpoint: endpoint), database: database, table: table)
        do {
            let statistics = try query.run(plan, into: &out)
            if stats { Diagnostics.write(statistics.summary) }
        } catch let error as FlowlogError where error == OutputBuffer.closedPipe {
            return
        } catch let error as ClickHouseError {
            Diagnostics.error("\(error)")
            throw ExitStatus.failure.exitCode
        }
    }

    /// The terminal's width when standard output is one.
    static func terminalColumns() -> Int? {
        guard isatty(STDOUT_FILENO) != 0 else { return nil }
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col >= 40 else { return nil }
        return Int(size.ws_col)
    }

    private static func now() -> Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(seconds: UInt64(ts.tv_sec), nanoseconds: UInt64(ts.tv_nsec))
    }
}
