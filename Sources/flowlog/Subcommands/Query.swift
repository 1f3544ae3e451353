#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
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
          src.namespace shop and dst.port in (5432, 6379) and not verdict allow
          dst.labels "app == 'db'" or policy knp:shop/allow-web
          bytes > 10M and proto tcp and src.ip 10.0.0.0/8
        Operators: and (&&), or (||), not (!), parentheses; and binds tighter.
        Per-side fields take src., dst. or any. (bare: either side):
          namespace (ns), pod (name), name_aggr, type (wep|hep|ns|net),
          labels (a quoted Calico selector), ip (address or CIDR), port.
        Flow fields:
          proto, verdict (allow|deny|unknown), reporter (src|dst), tier,
          action, pending_action (an enforced/staged hit did allow|deny|pass),
          policy (name, ns/name or kind:ns/name), vlan, node,
          service (ns/name), packets, bytes, packets_in, packets_out,
          bytes_in, bytes_out (=, !=, <, <=, >, >=; 10k, 2M, 1G).
        Text values ending in * match by prefix (pod web-*);
        field in (a, b) lists values.

        Time: a flow is in the window when it overlaps it: it starts before
        --until and ends at or after --since. A long flow that began before
        --since is included.

        ClickHouse: --clickhouse http://HOST:8123 runs the same query over the
        flows exported there (flowlog export clickhouse), on a cluster through
        the Distributed table; the answer is printed exactly as a local one.

        Exit status: 0 success, 1 unreadable data, 2 a bad filter or option.
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

    @Option(name: .long, help: ArgumentHelp("Flows overlapping from this time: RFC 3339 (2026-11-23T07:00:00Z) or back from now (15m, 2h, 7d).", valueName: "time"))
    var since: String?

    @Option(name: .long, help: ArgumentHelp("Flows starting before this time (same forms as --since).", valueName: "time"))
    var until: String?

    @Option(name: [.short, .customLong("output")],
            help: ArgumentHelp("table, csv, ndjson or json (default: table on a terminal, csv otherwise).", valueName: "format"))
    var output: String?

    @Option(name: .long, help: ArgumentHelp("Columns, comma-separated, Calico flow-log names (source_namespace, dest_port, policies, …).", valueName: "fields"))
    var fields: String?

    @Option(name: .customLong("group-by"), help: ArgumentHelp("Sum flows, packets and bytes per distinct value of these fields (like nfdump -A).", valueName: "fields"))
    var groupBy: String?

    @Option(name: .long, help: ArgumentHelp("Only the N largest groups (or flows, without --group-by) by --order (like nfdump -s).", valueName: "n"))
    var top: Int?

    @Option(name: .long, help: ArgumentHelp("What --top and --group-by rank by: flows, packets or bytes.", valueName: "order"))
    var order: String = "flows"

    @Option(name: .long, help: ArgumentHelp("Stop after N matching flows.", valueName: "n"))
    var limit: Int?

    @Option(name: .long, help: ArgumentHelp("Threads for a group-by read column-wise (default: the processors online, at most 8).", valueName: "n"))
    var threads: Int?

    @Flag(name: .customLong("rows"), help: "Read whole rows even where a group-by could sum per conversation column-wise (same answer; for checking).")
    var forceRows = false

    @Flag(name: .long, help: "Print segments and blocks read and skipped, flows scanned and matched, and the time taken to standard error.")
    var stats = false

    func run() throws {
        let filterText = filter.joined(separator: " ")
        let plan: QueryPlan
        do {
            plan = try makePlan(filterText)
        } catch let error as FlowlogError {
            fputs(FilterDiagnostic.render(error, filter: filterText), stderr)
            throw ExitCode(2)
        }
        // A reader that goes away (`| head`) ends the output; it is not a crash.
        signal(SIGPIPE, SIG_IGN)
        var out = OutputBuffer(target: .fileDescriptor(STDOUT_FILENO))
        if let clickhouse {
            try runOnClickHouse(plan, url: clickhouse, into: &out)
            return
        }
        guard let data else {
            fputs("error: give --data DIR or --clickhouse URL\n", stderr)
            throw ExitCode(2)
        }
        let statistics: QueryStatistics
        do {
            statistics = try QueryEngine.run(plan, directory: data, into: &out)
        } catch let error as FlowlogError where error == OutputBuffer.closedPipe {
            return
        } catch let error as FlowlogError {
            fputs("error: \(error)\n", stderr)
            throw ExitCode(1)
        }
        for problem in statistics.problems { fputs("warning: skipped \(problem)\n", stderr) }
        if stats { fputs(statistics.summary + "\n", stderr) }
    }

    private func runOnClickHouse(_ plan: QueryPlan, url: String, into out: inout OutputBuffer) throws {
        let query: ClickHouseQuery
        do {
            if data != nil { throw FlowlogError(.invalidArgument, "give --data or --clickhouse, not both", location: .init(field: "--clickhouse")) }
            if passwordFile != nil && user == nil {
                throw FlowlogError(.invalidArgument, "--password-file needs --user", location: .init(field: "--password-file"))
            }
            let password = try passwordFile.map { try ClickHouseEndpoint.readPassword(file: $0) }
            let endpoint = try ClickHouseEndpoint(url: url, user: user, password: password)
            query = try ClickHouseQuery(client: ClickHouseClient(endpoint: endpoint), database: database, table: table)
        } catch let error as FlowlogError {
            fputs("error: \(error)\n", stderr)
            throw ExitCode(2)
        }
        do {
            let statistics = try query.run(plan, into: &out)
            if stats { fputs(statistics.summary + "\n", stderr) }
        } catch let error as FlowlogError where error == OutputBuffer.closedPipe {
            return
        } catch {
            fputs("error: \(error)\n", stderr)
            throw ExitCode(1)
        }
    }

    private func makePlan(_ filterText: String) throws -> QueryPlan {
        let program = try FilterProgram(parsing: filterText)
        let window = try TimeWindow(since: since, until: until, now: Self.now())
        let format: OutputFormat
        if let output {
            guard let f = OutputFormat(rawValue: output.lowercased()) else {
                throw FlowlogError(.invalidArgument, "unknown output format '\(output)' (table, csv, ndjson, json)",
                                   location: FlowlogError.Location(field: "--output"))
            }
            format = f
        } else {
            format = isatty(STDOUT_FILENO) != 0 ? .table : .csv
        }
        guard let rank = GroupOrder(rawValue: order.lowercased()) else {
            throw FlowlogError(.invalidArgument, "unknown order '\(order)' (flows, packets, bytes)",
                               location: FlowlogError.Location(field: "--order"))
        }
        if let top, top <= 0 {
            throw FlowlogError(.invalidArgument, "--top needs a positive count", location: FlowlogError.Location(field: "--top"))
        }
        if let limit, limit <= 0 {
            throw FlowlogError(.invalidArgument, "--limit needs a positive count", location: FlowlogError.Location(field: "--limit"))
        }
        if let threads, threads <= 0 || threads > 256 {
            throw FlowlogError(.invalidArgument, "--threads needs a count from 1 to 256", location: FlowlogError.Location(field: "--threads"))
        }
        var plan = QueryPlan(filter: program, window: window, format: format,
                             fields: try fields.map { try OutputField.list($0, option: "--fields") },
                             groupBy: try groupBy.map { try OutputField.list($0, option: "--group-by") } ?? [],
                             top: top, order: rank, limit: limit)
        if let threads { plan.threads = threads }
        plan.allowsConversationSums = !forceRows
        return plan
    }

    private static func now() -> Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(seconds: UInt64(ts.tv_sec), nanoseconds: UInt64(ts.tv_nsec))
    }
}
