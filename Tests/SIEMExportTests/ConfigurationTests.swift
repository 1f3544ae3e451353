import FlowCore
import Foundation
@testable import SIEMConfig
@testable import SIEMExport
import Testing

@Suite("SIEM configuration")
struct ConfigurationTests {
    static func error(_ yaml: String) -> FlowlogError? {
        do {
            _ = try SIEMConfiguration.parse(yaml: yaml, file: "siem.yaml")
            return nil
        } catch let error as FlowlogError {
            return error
        } catch {
            Issue.record("unexpected \(error)")
            return nil
        }
    }

    @Test("every key of every sink type is read")
    func fullConfiguration() throws {
        let yaml = """
            cluster: prod-eu
            spool-directory: /var/spool/flowlog
            shutdown-drain: 45s
            sinks:
              - name: soc-syslog
                type: syslog
                address: "[::1]:6514"
                transport: tls
                records: [flows, audit, findings]
                filter: verdict deny or dst.type net
                tls: {ca: ca.pem, cert: client.pem, key: client.key, server-name: syslog.example}
                batch: {count: 500, bytes: 256KiB, time: 2s}
                spool-size: 64MiB
                retry-for: 1m
                syslog: {facility: local3, severity: notice, alert-severity: err, app-name: netflow, hostname: node-a, enterprise-number: 55555}
              - name: splunk
                type: splunk-hec
                url: https://splunk.example:8088
                token-file: /etc/flowlog/hec-token
                records: audit
                splunk: {index: network, source: k8s, host: cluster-a, ack: true, ack-timeout: 30s}
              - name: elastic
                type: elasticsearch
                url: http://127.0.0.1:9200/prefix/
                elasticsearch: {flows-index: flows-a, audit-index: audit-a, findings-index: findings-a}
            """
        let c = try SIEMConfiguration.parse(yaml: yaml, file: "siem.yaml")
        #expect(c.cluster == "prod-eu")
        #expect(c.spoolDirectory == "/var/spool/flowlog")
        #expect(c.shutdownDrain == .seconds(45))
        #expect(try SIEMConfiguration.parse(yaml: "sinks: [{name: a, type: syslog, address: 'h:1'}]").shutdownDrain == .seconds(10))
        #expect(try SIEMConfiguration.parse(yaml: "shutdown-drain: 0s\nsinks: [{name: a, type: syslog, address: 'h:1'}]").shutdownDrain == .zero)
        #expect(c.sinks.map(\.name) == ["soc-syslog", "splunk", "elastic"])
        let s = c.sinks[0]
        #expect(s.type == .syslog && s.transport == .tls && s.address == "[::1]:6514")
        #expect(s.records == [.flows, .audit, .findings])
        #expect(s.filter == "verdict deny or dst.type net")
        #expect(s.tls?.ca == "ca.pem" && s.tls?.certificate == "client.pem" && s.tls?.key == "client.key" && s.tls?.serverName == "syslog.example")
        #expect(s.batching.count == 500 && s.batching.bytes == 256 << 10 && s.batching.time == .seconds(2))
        #expect(s.spoolLimit == 64 << 20 && s.retryFor == .seconds(60))
        #expect(s.syslog.facility == 19 && s.syslog.severity == 5 && s.syslog.alertSeverity == 3)
        #expect(s.syslog.appName == "netflow" && s.syslog.hostname == "node-a" && s.syslog.enterpriseNumber == 55555)
        let h = c.sinks[1]
        #expect(h.type == .splunkHEC && h.records == [.audit] && h.tokenFile == "/etc/flowlog/hec-token")
        #expect(h.splunk.index == "network" && h.splunk.source == "k8s" && h.splunk.host == "cluster-a" && h.splunk.acknowledge)
        #expect(h.splunk.acknowledgeTimeout == .seconds(30))
        let e = c.sinks[2]
        #expect(e.type == .elasticsearch && e.elasticsearch.index(for: .findings) == "findings-a")
        #expect(try HTTPEndpoint(url: e.url!).base == "http://127.0.0.1:9200/prefix")
    }

    @Test("errors name the file, line:column and field", arguments: [
        ("sinks:\n  - name: a\n    type: syslog\n    address: 127.0.0.1:514\n    transport: sctp\n", 5, 16, "sinks[0].transport", "'sctp' is not one of: udp, tcp, tls"),
        ("sinks:\n  - name: a\n    type: syslog\n    adress: h:1\n", 4, 5, "sinks[0].adress", "unknown key 'adress'"),
        ("sinks:\n  - name: a\n    type: syslog\n", 2, 5, "sinks[0].address", "needs an address"),
        ("sinks:\n  - name: a\n    type: splunk-hec\n    url: http://h:8088\n", 2, 5, "sinks[0].token-file", "needs a token-file"),
        ("sinks:\n  - name: a\n    type: syslog\n    address: h:1\n    filter: verdict maybe\n", 5, 13, "sinks[0].filter", "filter"),
        ("sinks:\n  - {name: a, type: syslog, address: 'h:1'}\n  - {name: a, type: syslog, address: 'h:2'}\n", 3, 5, "sinks[1].name", "a second sink named 'a'"),
        ("sinks:\n  - name: a\n    type: kafka\n", 3, 11, "sinks[0].type", "'kafka' is not one of: splunk-hec, elasticsearch, syslog"),
        ("sinks:\n  - name: a\n    type: syslog\n    address: no-port\n", 4, 14, "sinks[0].address", "is not HOST:PORT"),
        ("sinks:\n  - name: a\n    type: syslog\n    address: h:1\n    batch: {count: 0}\n", 5, 20, "sinks[0].batch.count", "below the minimum"),
        ("sinks:\n  - name: a\n    type: syslog\n    address: h:1\n    records: [flows, alerts]\n", 5, 14, "sinks[0].records", "'alerts' is not one of"),
        ("sinks:\n  - name: ../x\n    type: syslog\n    address: h:1\n", 2, 11, "sinks[0].name", "is not a sink name"),
        ("sinks:\n  - name: e\n    type: elasticsearch\n    url: http://h:9200\n    elasticsearch: {flows-index: Flows}\n", 5, 34, "sinks[0].elasticsearch.flows-index", "is not an index"),
        ("sinks:\n  - name: a\n    type: syslog\n    address: h:1\n    tls: {ca: x.pem}\n", 2, 5, "sinks[0].tls", "needs transport: tls"),
        ("cluster: x\n", 1, 1, "sinks", "a sinks list is required"),
        ("shutdown-drain: 11m\nsinks: [{name: a, type: syslog, address: 'h:1'}]\n", 1, 17, "shutdown-drain", "at most 10m"),
        ("shutdown-drain: soon\nsinks: [{name: a, type: syslog, address: 'h:1'}]\n", 1, 17, "shutdown-drain", "is not a duration"),
        ("sinks:\n  - name: a\n    type: syslog\n    address: h:1\n    '': 2\n", 5, 5, "sinks[0]", "an empty key; known keys here: name, type"),
    ] as [(String, Int, Int, String, String)])
    func positionedErrors(_ yaml: String, line: Int, column: Int, field: String, message: String) throws {
        let error = try #require(Self.error(yaml))
        #expect(error.location?.file == "siem.yaml")
        #expect(error.location?.line == line, "\(error)")
        #expect(error.location?.column == column, "\(error)")
        #expect(error.location?.field == field, "\(error)")
        #expect(error.message.contains(message), "\(error)")
    }

    @Test("nesting past the YAML depth limit is refused before Yams sees it")
    func depthLimit() throws {
        let yaml = "sinks: " + String(repeating: "[", count: 5_000) + String(repeating: "]", count: 5_000)
        let error = try #require(Self.error(yaml))
        #expect(error.code == .parse)
        #expect(error.location?.line == 1)
    }

    @Test("syntax errors carry the position")
    func syntax() throws {
        let error = try #require(Self.error("sinks:\n  - name: a\n   type: [\n"))
        #expect(error.code == .parse && error.location?.line != nil)
    }

    @Test("the agent's export.siem section is read with the same schema and positions of the whole file")
    func agentSection() throws {
        let yaml = "data-directory: /d\nexport:\n  siem:\n    sinks:\n      - name: a\n        type: syslog\n        address: h:1\n        transport: x\n"
        #expect(throws: FlowlogError.self) { try SIEMConfiguration.parse(yaml: yaml, file: "agent.yaml", section: ["export", "siem"]) }
        do {
            _ = try SIEMConfiguration.parse(yaml: yaml, file: "agent.yaml", section: ["export", "siem"])
        } catch let error as FlowlogError {
            #expect(error.location?.line == 8 && error.location?.field == "export.siem.sinks[0].transport")
        }
        let ok = try SIEMConfiguration.parse(yaml: yaml.replacingOccurrences(of: "transport: x", with: "transport: udp"), section: ["export", "siem"])
        #expect(ok.sinks.first?.transport == .udp)
    }
}
