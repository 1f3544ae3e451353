import FlowCore
import Testing
@testable import Pipeline

/// The agent configuration's `reports:` section (docs/agent-configuration.md).
@Suite struct ReportScheduleConfigurationTests {
    @Test func defaultsAndEveryKey() throws {
        let defaults = AgentConfiguration().reports
        #expect(defaults.specs.isEmpty && defaults.delay == .seconds(1_800) && defaults.checkInterval == .seconds(60))
        #expect(defaults.privateNets == nil)
        let read = try AgentConfiguration.parse(yaml: """
            reports:
              specs: [/etc/flowlog/reports, weekly.yaml]
              delay: 10m
              check-interval: 30s
              private-nets: [10.0.0.0/8, "fd00::/8"]
            """, file: "agent.yaml").reports
        #expect(read.specs == ["/etc/flowlog/reports", "weekly.yaml"])
        #expect(read.delay == .seconds(600) && read.checkInterval == .seconds(30))
        #expect(read.privateNets == ["10.0.0.0/8", "fd00::/8"])
        #expect(try AgentConfiguration.parse(yaml: "reports: {delay: 0s}").reports.delay == .zero)
    }

    @Test func badValuesNameTheField() {
        let net = #expect(throws: FlowlogError.self) {
            try AgentConfiguration.parse(yaml: "reports:\n  private-nets: [10.0.0.0/33]\n", file: "agent.yaml")
        }
        #expect(net?.location?.field == "reports.private-nets" && net?.location?.line == 2)
        #expect(net?.message.contains("'10.0.0.0/33' is not a CIDR") == true)
        let unknown = #expect(throws: FlowlogError.self) { try AgentConfiguration.parse(yaml: "reports: {spec: x}\n") }
        #expect(unknown?.message.contains("spec") == true)
        #expect(throws: FlowlogError.self) { try AgentConfiguration.parse(yaml: "reports: {check-interval: 0s}\n") }
    }
}
