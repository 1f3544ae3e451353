import ArgumentParser
import FlowCore
import Policy

struct PolicyExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Show how Calico decides one connection: verdict, traces and a walk through tiers and rules."
    )

    @Option(name: .long, parsing: .upToNextOption, help: "Manifest files or directories (YAML/JSON, kubectl or calicoctl output).")
    var cluster: [String]

    @Option(name: .long, help: "Source: an IP address or <namespace>/<pod>.")
    var src: String

    @Option(name: .long, help: "Destination: an IP address or <namespace>/<pod>.")
    var dst: String

    @Option(name: .long, help: "Protocol name (tcp, udp, icmp, icmpv6, sctp, udplite) or number.")
    var proto: String

    @Option(name: .customLong("src-port"), help: "Source port.")
    var srcPort: UInt16 = 0

    @Option(name: .customLong("dst-port"), help: "Destination port.")
    var dstPort: UInt16 = 0

    @Option(name: .customLong("icmp-type"), help: "ICMP type (for icmp/notICMP rules).")
    var icmpType: UInt8 = 0

    @Option(name: .customLong("icmp-code"), help: "ICMP code.")
    var icmpCode: UInt8 = 0

    @Option(name: .long, help: "text or json (json has the shape of the conformance expected.json).")
    var format: PolicyOutputFormat = .text

    @Flag(name: .customLong("legacy-names"), help: "Show policy strings in the v3.30/v3.31 (Calico Enterprise) form in text output.")
    var legacyNames = false

    @Flag(name: .customLong("legacy-order"), help: "Order policies of equal order as Calico v3.30/v3.31 did (policy key name) instead of v3.32.")
    var legacyOrder = false

    func validate() throws {
        if cluster.isEmpty { throw ValidationError("--cluster needs at least one file or directory") }
    }

    func run() throws {
        let loaded = try loadClusterOrExit(cluster)
        let request = ExplainRequest(source: src, destination: dst, ipProtocol: proto, sourcePort: srcPort,
                                     destinationPort: dstPort, icmpType: icmpType, icmpCode: icmpCode)
        let flow: FlowRecord
        do {
            flow = try request.flow(in: loaded)
        } catch let error as FlowlogError {
            Diagnostics.error("\(error)")
            throw ExitStatus(error).exitCode
        }
        let explanation = PolicyEngine(cluster: loaded, options: PolicyOptions(ordering: legacyOrder ? .v3_30 : .v3_32)).explain(flow)
        switch format {
        case .json: print(PolicyReport.json(explanation.annotation))
        case .text: print(PolicyReport.text(explanation, flow: flow, legacyNames: legacyNames))
        }
    }
}
