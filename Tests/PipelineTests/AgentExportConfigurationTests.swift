import FlowCore
import Pipeline
import Testing

/// The agent's `export.clickhouse` section (docs/clickhouse.md, docs/agent-configuration.md).
@Suite struct AgentExportConfigurationTests {
    @Test func everyKeyIsRead() throws {
        let configuration = try AgentConfiguration.parse(yaml: """
            export:
              clickhouse:
                url: http://10.0.0.5:8123
                database: flows_db
                table: flows_local
                user: writer
                password-file: /etc/flowlog/clickhouse.password
                filter: not dst.port 53
                batch-rows: 50000
                format: rowbinary
                audit-table: versions_all
                poll-interval: 5s
                shutdown-drain: 0s
                create: false
                checkpoint: /var/lib/flowlog/ch.checkpoint
            """, file: "agent.yaml")
        let export = try #require(configuration.export.clickhouse)
        #expect(export.url == "http://10.0.0.5:8123" && export.database == "flows_db" && export.table == "flows_local")
        #expect(export.user == "writer" && export.passwordFile == "/etc/flowlog/clickhouse.password")
        #expect(export.filter == "not dst.port 53" && export.batchRows == 50_000 && export.pollInterval == .seconds(5) && export.shutdownDrain == .zero)
        #expect(!export.create && export.checkpoint == "/var/lib/flowlog/ch.checkpoint" && export.format == "rowbinary")
        #expect(export.auditTable == "versions_all")
        #expect(try AgentConfiguration.parse(yaml: "export:\n  clickhouse:\n    url: http://h:8123\n").export.clickhouse?.format == "native")
        #expect(try AgentConfiguration.parse(yaml: "").export.clickhouse == nil)
    }

    @Test(arguments: [
        ("export:\n  clickhouse:\n    database: x\n", "needs a url"),
        ("export:\n  clickhouse:\n    url: https://h:8443\n", "is not an http://HOST:PORT address"),
        ("export:\n  clickhouse:\n    url: http://h:8123\n    table: 'bad-name'\n", "is not a plain name"),
        ("export:\n  clickhouse:\n    url: http://h:8123\n    batch-rows: 2000000\n", "at most 1000000"),
        ("export:\n  clickhouse:\n    url: http://h:8123\n    password-file: /p\n", "needs a user"),
        ("export:\n  clickhouse:\n    url: http://h:8123\n    format: json\n", "is not native or rowbinary"),
        ("export:\n  kafka: {}\n", "kafka"),
        ("export:\n  siem: [a]\n", "expected a mapping with a sinks list"),
    ])
    func badSectionsNameTheFieldAndLine(yaml: String, message: String) {
        do {
            _ = try AgentConfiguration.parse(yaml: yaml, file: "agent.yaml")
            Issue.record("accepted: \(yaml)")
        } catch let error as FlowlogError {
            #expect(error.description.contains(message), "\(error)")
            #expect(error.location?.file == "agent.yaml" && error.location?.line != nil, "\(error)")
        } catch {
            Issue.record("\(error)")
        }
    }

    /// The SIEM sinks are the evidence side's schema: the agent keeps the file's text for it.
    @Test func siemSectionKeepsTheFileText() throws {
        let yaml = "data-directory: /d\nexport:\n  siem:\n    sinks:\n      - {name: a, type: syslog, address: 'h:1'}\n"
        let configuration = try AgentConfiguration.parse(yaml: yaml, file: "agent.yaml")
        let siem = try #require(configuration.export.siem)
        #expect(siem.text == yaml && siem.file == "agent.yaml")
        #expect(try AgentConfiguration.parse(yaml: "").export.siem == nil)
    }
}
