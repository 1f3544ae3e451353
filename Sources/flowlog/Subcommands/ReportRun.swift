#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import ConfigAudit
import FlowCore
import Policy
import Query
import Reports

/// `flowlog report run`: one report for one interval, written into an output directory.
struct ReportRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run one GlobalReport over one interval and write its CSV, JSON and HTML files.",
        discussion: """
        The spec is a Calico GlobalReport manifest (apiVersion projectcalico.org/v3,
        kind GlobalReport). Report types: inventory, network-access, policy-audit,
        cis-benchmark (section 5 from the manifests, nodes from --kube-bench files).
        With --audit the policy state comes from the version history (`flowlog audit
        ingest`): an endpoint is in scope if it matched at any moment of the interval,
        protected only if protected at every moment; policy-audit needs it. Without
        --audit the manifests given with --cluster stand for the whole interval (a
        single point in time, which the report says in its header).

        """
    )

    @Option(name: .long, help: ArgumentHelp("The GlobalReport manifest.", valueName: "file"))
    var spec: String

    @Option(name: .long, parsing: .upToNextOption,
            help: ArgumentHelp("Cluster manifest files or directories (optional with --audit, except for cis-benchmark).", valueName: "path"))
    var cluster: [String] = []

    @Option(name: .long, help: ArgumentHelp("The audit version history (flowlog audit ingest): the state over the interval instead of one point in time.", valueName: "dir"))
    var audit: String?

    @Option(name: .long, help: ArgumentHelp("Flow store: adds what was observed over the interval.", valueName: "dir"))
    var data: String?

    @Option(name: .long, help: ArgumentHelp("Interval start: RFC 3339 (2026-11-23T00:00:00Z) or back from now (24h, 7d).", valueName: "time"))
    var start: String

    @Option(name: .long, help: ArgumentHelp("Interval end (same forms as --start, or now).", valueName: "time"))
    var end: String

    @Option(name: .long, help: ArgumentHelp("Directory to write the report's files into (created if missing).", valueName: "dir"))
    var output: String

    @Option(name: .customLong("kube-bench"), parsing: .upToNextOption,
            help: ArgumentHelp("cis-benchmark: kube-bench --json output per node, [NODE=]FILE.", valueName: "file"))
    var kubeBench: [String] = []

    @Option(name: .customLong("private-nets"),
            help: ArgumentHelp("Comma-separated CIDRs that are not the internet (default: RFC 1918, 100.64/10, link-local, loopback, fc00::/7, fe80::/10).", valueName: "cidrs"))
    var privateNets: String?

    func validate() throws {
        if cluster.isEmpty && audit == nil { throw ValidationError("give --cluster (manifests) or --audit (the version history)") }
    }

    func run() throws {
        let now = ReportClock.now()
        let reportSpec: ReportSpec
        do {
            reportSpec = try ReportSpecLoader.loadSingle(file: spec)
        } catch let error as ReportSpecError {
            Diagnostics.error("\(error)")
            throw ExitStatus.badInput.exitCode
        }
        let interval = (start: try TimeWindow.parseBound(start, now: now, option: "--start"),
                        end: try TimeWindow.parseBound(end, now: now, option: "--end"))
        let networks = try privateNets.map(ReportOptions.privateNetworks) ?? .standard
        let states: PolicyStateSource
        if let audit {
            // The version history: every state in effect during the interval.
            states = try AuditStateSource(directory: audit)
        } else {
            do {
                states = ManifestStateSource(cluster: try ClusterLoader.load(paths: self.cluster), paths: self.cluster)
            } catch let error as ClusterLoadError {
                Diagnostics.error("\(error)")
                throw ExitStatus.badInput.exitCode
            }
        }
        let cis = CISInput(clusterPaths: self.cluster, kubeBench: kubeBench.map(CISBenchmark.KubeBenchFile.init(argument:)))
        let builder = ReportBuilder(privateNetworks: networks, dataDirectory: data, cis: cis)
        let document: ReportDocument
        do {
            document = try builder.build(reportSpec, states: states,
                                         start: interval.start, end: interval.end, generated: now)
        } catch let error as ManifestError {
            Diagnostics.error("\(error)")
            throw ExitStatus.badInput.exitCode
        }
        let written = try ReportWriter.write(document, to: output)
        print("\(document.id): \(written.joined(separator: ", ")) in \(output)")
    }
}

enum ReportClock {
    static func now() -> Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(seconds: UInt64(ts.tv_sec), nanoseconds: UInt64(ts.tv_nsec))
    }
}

enum ReportOptions {
    static func privateNetworks(_ text: String) throws -> PrivateNetworks {
        var prefixes: [IPPrefix] = []
        for part in text.split(separator: ",") {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            guard let prefix = IPPrefix(trimmed) else {
                throw FlowlogError(.invalidArgument, "'\(trimmed)' is not a CIDR", location: .init(field: "--private-nets"))
            }
            prefixes.append(prefix)
        }
        return PrivateNetworks(prefixes: prefixes)
    }
}
