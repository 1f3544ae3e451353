import ArgumentParser
import Audit
import FlowCore
import Policy

struct PolicyExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Show how Calico decides one connection: verdict, traces and a walk through tiers and rules.",
        discussion: """
            The cluster comes from --cluster manifests, or from an audit store: --audit DIR --at \
            TIME decides against the pods, namespaces and policies as they were at TIME, and lists \
            every later change of the verdict with the versions that caused it. --flow FILE (or - \
            for stdin) takes flows as `flowlog query -o ndjson` prints them and explains each at \
            its own start time.
            """
    )

    @Option(name: .long, parsing: .upToNextOption, help: "Manifest files or directories (YAML/JSON, kubectl or calicoctl output).")
    var cluster: [String] = []

    @Option(name: .long, help: ArgumentHelp("An audit store: take the cluster from its history (with --at or --flow).", valueName: "dir"))
    var audit: String?

    @Option(name: .long, help: ArgumentHelp("With --audit: the instant, RFC 3339 or back from now (2h, 7d).", valueName: "time"))
    var at: String?

    @Option(name: .long, help: ArgumentHelp("With --audit: stored flows as NDJSON (flowlog query -o ndjson), - for stdin; each is explained at its start time.", valueName: "file"))
    var flow: String?

    @Option(name: .long, help: "Source: an IP address or <namespace>/<pod>.")
    var src: String?

    @Option(name: .long, help: "Destination: an IP address or <namespace>/<pod>.")
    var dst: String?

    @Option(name: .long, help: "Protocol name (tcp, udp, icmp, icmpv6, sctp, udplite) or number.")
    var proto: String?

    // Numbers are read whatever they look like, so a bad one is answered with its range.
    @Option(name: .customLong("src-port"), parsing: .unconditional, help: "Source port (0–65535).")
    var srcPort: Int = 0

    @Option(name: .customLong("dst-port"), parsing: .unconditional, help: "Destination port (0–65535).")
    var dstPort: Int = 0

    @Option(name: .customLong("icmp-type"), parsing: .unconditional, help: "ICMP type (0–255, for icmp/notICMP rules).")
    var icmpType: Int = 0

    @Option(name: .customLong("icmp-code"), parsing: .unconditional, help: "ICMP code (0–255).")
    var icmpCode: Int = 0

    @Option(name: .customLong("dst-domain"), parsing: .singleValue,
            help: ArgumentHelp("A name DNS resolved the destination from, for destination.domains rules (repeatable).", valueName: "name"))
    var dstDomains: [String] = []

    @Option(name: .long, help: "text or json (json has the shape of the conformance expected.json).")
    var format: PolicyOutputFormat = .text

    @Flag(name: .customLong("legacy-names"), help: "Show policy strings in the v3.30/v3.31 (Calico Enterprise) form in text output.")
    var legacyNames = false

    @Flag(name: .customLong("legacy-order"), help: "Order policies of equal order as Calico v3.30/v3.31 did (policy key name) instead of v3.32.")
    var legacyOrder = false

    func validate() throws {
        if audit == nil {
            if cluster.isEmpty { throw ValidationError("--cluster needs at least one file or directory (or take the cluster from --audit DIR)") }
            if at != nil || flow != nil { throw ValidationError("--at and --flow need --audit DIR") }
        } else {
            if !cluster.isEmpty { throw ValidationError("give either --cluster or --audit, not both") }
            if (at == nil) == (flow == nil) { throw ValidationError("with --audit, give --at TIME (with --src, --dst, --proto) or --flow FILE") }
        }
        if flow == nil && (src == nil || dst == nil || proto == nil) {
            throw ValidationError("--src, --dst and --proto are required (or --audit DIR --flow FILE)")
        }
        for (value, option, limit) in [(srcPort, "--src-port", 65_535), (dstPort, "--dst-port", 65_535),
                                       (icmpType, "--icmp-type", 255), (icmpCode, "--icmp-code", 255)]
        where !(0...limit).contains(value) {
            throw ValidationError("\(option) must be from 0 to \(limit), not \(value)")
        }
    }

    func run() throws {
        if let audit {
            let explainer = AuditExplainer(history: try AuditHistory.load(directory: audit), format: format, legacyNames: legacyNames,
                                           ordering: legacyOrder ? .v3_30 : .v3_32)
            if let flow {
                try explainer.explainFlows(from: flow)
            } else if let at {
                let request = ExplainRequest(source: src!, destination: dst!, ipProtocol: proto!, sourcePort: UInt16(srcPort),
                                             destinationPort: UInt16(dstPort), icmpType: UInt8(icmpType), icmpCode: UInt8(icmpCode))
                try explainer.explain(request, at: try parseAuditTime(at, option: "--at"))
            }
            return
        }
        let loaded = try loadClusterOrExit(cluster)
        let request = ExplainRequest(source: src!, destination: dst!, ipProtocol: proto!, sourcePort: UInt16(srcPort),
                                     destinationPort: UInt16(dstPort), icmpType: UInt8(icmpType), icmpCode: UInt8(icmpCode))
        let flow: FlowRecord
        do {
            flow = try request.flow(in: loaded)
        } catch let error as FlowlogError {
            Diagnostics.error("\(error)")
            throw ExitStatus(error).exitCode
        }
        let names = DomainNames(dstDomains.map { ($0.hasSuffix(".") ? String($0.dropLast()) : $0).lowercased() })
        let explanation = PolicyEngine(cluster: loaded, options: PolicyOptions(ordering: legacyOrder ? .v3_30 : .v3_32))
            .explain(flow, destinationDomains: names)
        switch format {
        case .json: print(PolicyReport.json(explanation.annotation))
        case .text: print(PolicyReport.text(explanation, flow: flow, legacyNames: legacyNames))
        }
    }
}
