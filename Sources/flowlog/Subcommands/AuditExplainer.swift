#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import Foundation
import Audit
import FlowCore
import Policy

/// `policy explain --audit`: decisions against the cluster as the audit history says it was.
struct AuditExplainer {
    let history: AuditHistory
    let format: PolicyOutputFormat
    let legacyNames: Bool
    let ordering: PolicyOrdering

    /// One connection at one instant, then every later change of its verdict.
    func explain(_ request: ExplainRequest, at instant: Timestamp) throws {
        let cluster: Cluster
        do {
            cluster = try history.state(at: instant).cluster()
        } catch let error as ClusterLoadError {
            Diagnostics.error("the audit state at \(instant.rfc3339) does not load: \(error)")
            throw ExitStatus.badInput.exitCode
        }
        let flow: FlowRecord
        do {
            flow = try request.flow(in: cluster)
        } catch let error as FlowlogError {
            Diagnostics.error("at \(instant.rfc3339): \(error)")
            throw ExitStatus(error).exitCode
        }
        let explanation = PolicyEngine(cluster: cluster, options: PolicyOptions(ordering: ordering)).explain(flow)
        let changes = history.verdictChanges(for: request, since: instant)
        let listing = VersionListing(history: history)
        switch format {
        case .text:
            print("cluster: the audit history at \(instant.rfc3339)")
            print(PolicyReport.text(explanation, flow: flow, legacyNames: legacyNames))
            if changes.isEmpty {
                print("action unchanged since then (\(explanation.annotation.verdict))")
            }
            for change in changes {
                print("\(change.time.rfc3339): action became \(change.verdict), after:")
                for version in change.versions {
                    print("  \(version.key) version \(version.version) (\(version.verb) by \(version.author.username)): \(listing.summary(of: version))")
                }
            }
        case .json:
            var document = (try? JSONParser.parse(PolicyReport.json(explanation.annotation))) ?? .object([])
            document = document.setting("at", to: .string(instant.rfc3339))
            document = document.setting("verdict_changes", to: .array(changes.map { change -> JSONValue in
                .object([.init("time", .string(change.time.rfc3339)), .init("verdict", .string(change.verdict.description)),
                         .init("versions", .array(change.versions.map { version -> JSONValue in
                             .object([.init("object", .string(version.key.description)), .init("version", .number(String(version.version))),
                                      .init("verb", .string(version.verb)), .init("user", .string(version.author.username)),
                                      .init("auditID", .string(version.auditID)), .init("summary", .string(listing.summary(of: version)))])
                         }))])
            }))
            print(document.prettyText())
        }
    }

    /// Flows as `flowlog query -o ndjson` prints them, each explained at its start time.
    func explainFlows(from path: String) throws {
        let text: String
        if path == "-" {
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65_536)
            while true {
                let n = read(STDIN_FILENO, &chunk, chunk.count)
                if n <= 0 { break }
                bytes += chunk[0..<n]
            }
            text = String(decoding: bytes, as: UTF8.self)
        } else {
            guard let contents = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ValidationError("--flow: cannot read \(path)")
            }
            text = contents
        }
        var failures = 0
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            let location = "\(path == "-" ? "<stdin>" : path):\(index + 1)"
            do {
                let json = try JSONParser.parse(String(line))
                guard let start = json["start_time"]?.stringValue.flatMap({ Timestamp(rfc3339: $0) }),
                      let source = json["source_ip"]?.stringValue, let destination = json["dest_ip"]?.stringValue,
                      let proto = json["proto"]?.stringValue else {
                    throw ValidationError("needs start_time, source_ip, dest_ip and proto (flowlog query -o ndjson)")
                }
                let request = ExplainRequest(source: source, destination: destination, ipProtocol: proto,
                                             sourcePort: UInt16(clamping: json["source_port"]?.integerValue ?? 0),
                                             destinationPort: UInt16(clamping: json["dest_port"]?.integerValue ?? 0))
                if format == .text { print("=== flow \(location): \(source):\(request.sourcePort) → \(destination):\(request.destinationPort) \(proto) at \(start.rfc3339)") }
                try explain(request, at: start)
                if format == .text { print("") }
            } catch let failure as JSONParser.Failure {
                failures += 1
                Diagnostics.error("\(location):\(failure.column): not JSON: \(failure.reason)")
            } catch let error as ValidationError {
                failures += 1
                Diagnostics.error("\(location): \(error.message)")
            } catch is ExitCode {
                failures += 1
            }
        }
        if failures > 0 { throw ExitStatus.badInput.exitCode }
    }
}
