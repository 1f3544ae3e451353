import FlowCore
import Logging
import Pipeline
import ServiceLifecycle
import Synchronization
import Testing

/// The agent's `compliance.cis` section and the periodic task that runs the benchmark.
@Suite struct ComplianceScheduleTests {
    @Test func theSectionIsReadAndFlagsOverrideIt() throws {
        let configuration = try AgentConfiguration.parse(yaml: """
            compliance:
              cis:
                interval: 6h
                settings: /etc/flowlog/cis.yaml
                kube-bench: [node-1=/var/lib/kube-bench/node-1.json, /var/lib/kube-bench/node-2.json]
                evidence-directory: /var/lib/flowlog/cis
            """, file: "agent.yaml")
        #expect(configuration.compliance.cisInterval == .seconds(6 * 3600))
        #expect(configuration.compliance.cisSettings == "/etc/flowlog/cis.yaml")
        #expect(configuration.compliance.kubeBench == ["node-1=/var/lib/kube-bench/node-1.json", "/var/lib/kube-bench/node-2.json"])
        #expect(configuration.compliance.evidenceDirectory == "/var/lib/flowlog/cis")
        var overrides = AgentConfiguration.Overrides()
        overrides.cisInterval = .seconds(60)
        #expect(configuration.merging(overrides).compliance.cisInterval == .seconds(60))
        #expect(AgentConfiguration().compliance.cisInterval == nil)
    }

    @Test func badValuesNameTheField() throws {
        #expect {
            _ = try AgentConfiguration.parse(yaml: "compliance:\n  cis: {interval: often}\n", file: "agent.yaml")
        } throws: { error in
            let e = error as? FlowlogError
            return e?.location?.field == "compliance.cis.interval" && e?.location?.line == 2
        }
        #expect {
            _ = try AgentConfiguration.parse(yaml: "compliance:\n  pci: {}\n", file: "agent.yaml")
        } throws: { error in (error as? FlowlogError)?.message.contains("unknown key 'pci'") == true }
        var configuration = AgentConfiguration()
        configuration.capture.interfaces = ["lo"]
        configuration.dataDirectory = "/tmp/x"
        configuration.compliance.cisInterval = .seconds(60)
        #expect {
            _ = try configuration.validated()
        } throws: { error in (error as? FlowlogError)?.location?.field == "compliance.cis.interval" }
    }

    @Test func thePeriodicTaskRunsAtStartThenOnScheduleAndStopsOnShutdown() async throws {
        let runs = Mutex(0)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let task = PeriodicTask(name: "test", interval: .milliseconds(20), logger: logger) {
            let n = runs.withLock { value -> Int in
                value += 1
                return value
            }
            // A failing run is logged and the schedule goes on.
            if n == 2 { throw FlowlogError(.io, "transient") }
        }
        let group = ServiceGroup(services: [task], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            for _ in 0..<200 where runs.withLock({ $0 }) < 4 {
                try await Task.sleep(for: .milliseconds(10))
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        let total = runs.withLock { $0 }
        #expect(total >= 4)
    }
}
