import FlowCore
import FlowRing
import Foundation
import Logging
import Testing
@testable import Pipeline

@Suite("Agent configuration file")
struct AgentConfigurationTests {
    static let complete = """
        # every key, none at its default
        capture:
          interfaces: [eth0, cni0]
          filter: "tcp or udp"
          snaplen: 128
          promiscuous: true
          buffer-size: 32MiB
          direct-ring: false
        cluster:
          manifests:
            - /etc/flowlog/cluster.yaml
            - /etc/flowlog/policies/
          poll-interval: 500ms
        data-directory: /var/lib/flowlog
        node-name: node-7
        flow-cache:
          idle-timeout: 15s
          active-timeout: 1m30s
          capacity: 200_000
        store:
          segment-size: 16MiB
          segment-age: 10m
          retention-size: 2GB
          retention-age: 2d
          fsync: 5s
          compression-level: 0
          flush-interval: 2s
        ring:
          capacity: 4096
          overflow: wait
        metrics:
          address: "[::1]:9100"
          allow-non-loopback: false
        log:
          level: debug
          format: json
        """

    @Test("every key of a complete file is read")
    func completeFile() throws {
        let configuration = try AgentConfiguration.parse(yaml: Self.complete, file: "agent.yaml")
        #expect(configuration.capture.interfaces == ["eth0", "cni0"])
        #expect(configuration.capture.filter == "tcp or udp")
        #expect(configuration.capture.snaplen == 128)
        #expect(configuration.capture.promiscuous)
        #expect(configuration.capture.bufferSize == 32 << 20)
        #expect(!configuration.capture.directRing)
        #expect(configuration.cluster.manifests == ["/etc/flowlog/cluster.yaml", "/etc/flowlog/policies/"])
        #expect(configuration.cluster.pollInterval == .milliseconds(500))
        #expect(configuration.dataDirectory == "/var/lib/flowlog")
        #expect(configuration.nodeName == "node-7")
        #expect(configuration.flowCache.idleTimeout == .seconds(15))
        #expect(configuration.flowCache.activeTimeout == .seconds(90))
        #expect(configuration.flowCache.capacity == 200_000)
        #expect(configuration.store.segmentSize == 16 << 20)
        #expect(configuration.store.segmentAge == .seconds(600))
        #expect(configuration.store.retentionSize == 2_000_000_000)
        #expect(configuration.store.retentionAge == .seconds(2 * 86_400))
        #expect(configuration.store.fsync == .interval(.seconds(5)))
        #expect(configuration.store.flushInterval == .seconds(2))
        #expect(configuration.store.compressionLevel == 0)
        #expect(configuration.storeConfiguration.compressionLevel == 0)
        #expect(configuration.ring.capacity == 4096)
        #expect(configuration.ring.overflow == .wait)
        #expect(configuration.metrics.address == "[::1]:9100")
        #expect(configuration.log.level == .debug)
        #expect(configuration.log.format == .json)
    }

    @Test("an empty file and a file of comments give the defaults")
    func emptyFile() throws {
        #expect(try AgentConfiguration.parse(yaml: "") == AgentConfiguration())
        #expect(try AgentConfiguration.parse(yaml: "# nothing yet\n") == AgentConfiguration())
        let defaults = AgentConfiguration()
        #expect(defaults.ring.overflow == .dropNewest)
        #expect(defaults.metrics.address == "127.0.0.1:9464")
        #expect(defaults.store.fsync == .everyBlock)
        #expect(defaults.store.flushInterval == .seconds(10))
        #expect(defaults.capture.directRing)
    }

    @Test("single values stand for lists; null and none clear optional values")
    func shorthand() throws {
        let configuration = try AgentConfiguration.parse(yaml: """
            capture: {interfaces: lo, filter: ~}
            cluster: {manifests: cluster.yaml}
            store: {retention-size: none, retention-age: unlimited, fsync: on-seal}
            metrics: {address: off}
            """)
        #expect(configuration.capture.interfaces == ["lo"])
        #expect(configuration.capture.filter == nil)
        #expect(configuration.cluster.manifests == ["cluster.yaml"])
        #expect(configuration.store.retentionSize == nil)
        #expect(configuration.store.retentionAge == nil)
        #expect(configuration.store.fsync == .onSeal)
        #expect(configuration.metrics.address == nil)
    }

    struct BadCase: Sendable, CustomTestStringConvertible {
        var yaml: String
        var line: Int
        var field: String
        var message: String
        var testDescription: String { field }
    }

    static let badCases: [BadCase] = [
        BadCase(yaml: "capture:\n  interface: eth0\n", line: 2, field: "capture.interface", message: "unknown key 'interface'"),
        BadCase(yaml: "colour: blue\n", line: 1, field: "colour", message: "unknown key 'colour'"),
        BadCase(yaml: "ring:\n  capacity: 4096\n  overflow: block\n", line: 3, field: "ring.overflow", message: "'block' is not one of: drop-newest, wait"),
        BadCase(yaml: "flow-cache:\n  idle-timeout: 30 seconds\n", line: 2, field: "flow-cache.idle-timeout", message: "is not a duration"),
        BadCase(yaml: "flow-cache:\n  idle-timeout: 0s\n", line: 2, field: "flow-cache.idle-timeout", message: "longer than zero"),
        BadCase(yaml: "flow-cache:\n  capacity: -5\n", line: 2, field: "flow-cache.capacity", message: "below the minimum"),
        BadCase(yaml: "store:\n  segment-size: 12 parsecs\n", line: 2, field: "store.segment-size", message: "is not a size"),
        BadCase(yaml: "store:\n  fsync: sometimes\n", line: 2, field: "store.fsync", message: "every-block, on-seal"),
        BadCase(yaml: "store:\n  flush-interval: 0s\n", line: 2, field: "store.flush-interval", message: "longer than zero"),
        BadCase(yaml: "store:\n  compression-level: 2\n", line: 2, field: "store.compression-level", message: "not a compression level"),
        BadCase(yaml: "capture:\n  promiscuous: maybe\n", line: 2, field: "capture.promiscuous", message: "not true or false"),
        BadCase(yaml: "capture:\n  direct-ring: libpcap\n", line: 2, field: "capture.direct-ring", message: "not true or false"),
        BadCase(yaml: "capture:\n  interfaces: {a: b}\n", line: 2, field: "capture.interfaces", message: "expected a list"),
        BadCase(yaml: "metrics:\n  address: 127.0.0.1\n", line: 2, field: "metrics.address", message: "is not HOST:PORT"),
        BadCase(yaml: "metrics:\n  address: example.org:80\n", line: 2, field: "metrics.address", message: "numeric"),
        BadCase(yaml: "metrics:\n  tls:\n    cert: a.pem\n", line: 3, field: "metrics.tls.cert", message: "unknown key 'cert'"),
        BadCase(yaml: "metrics:\n  tls:\n    client-certificates: sometimes\n", line: 3, field: "metrics.tls.client-certificates",
                message: "'sometimes' is not one of: required, webhook"),
        BadCase(yaml: "log:\n  level: loud\n", line: 2, field: "log.level", message: "not one of"),
        BadCase(yaml: "ring:\n  capacity: 8\n  capacity: 16\n", line: 3, field: "ring.capacity", message: "appears twice"),
        BadCase(yaml: "- just\n- a list\n", line: 1, field: "", message: "expected a mapping"),
    ]

    @Test("bad keys and values are errors naming file, line and field", arguments: badCases)
    func badValues(_ bad: BadCase) {
        do {
            _ = try AgentConfiguration.parse(yaml: bad.yaml, file: "agent.yaml")
            Issue.record("accepted \(bad.yaml)")
        } catch let error as FlowlogError {
            #expect(error.code == .validation)
            #expect(error.location?.file == "agent.yaml")
            #expect(error.location?.line == bad.line)
            #expect((error.location?.field ?? "") == bad.field)
            #expect(error.message.contains(bad.message), "\(error)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test("an empty key is named as such, with its line and column (not as unknown key '')", arguments: [
        ("'': 1\n", 1, 1, ""),
        ("ring:\n  capacity: 8\n  \"\": 16\n", 3, 3, "ring"),
        ("store:\n  fsync: on-seal\n  ? ''\n  : 5\n", 3, 5, "store"),
    ] as [(String, Int, Int, String)])
    func emptyKey(_ yaml: String, line: Int, column: Int, field: String) {
        do {
            _ = try AgentConfiguration.parse(yaml: yaml, file: "agent.yaml")
            Issue.record("accepted \(yaml)")
        } catch let error as FlowlogError {
            #expect(error.code == .validation)
            #expect(error.location?.file == "agent.yaml")
            #expect(error.location?.line == line, "\(error)")
            #expect(error.location?.column == column, "\(error)")
            #expect((error.location?.field ?? "") == field, "\(error)")
            #expect(error.message.hasPrefix("an empty key; known keys here: "), "\(error)")
            #expect(!error.message.contains("unknown key"), "\(error)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test("a YAML syntax error names its line and column")
    func syntaxError() {
        do {
            _ = try AgentConfiguration.parse(yaml: "capture:\n  interfaces: [eth0\nring: {}\n", file: "agent.yaml")
            Issue.record("accepted broken YAML")
        } catch let error as FlowlogError {
            #expect(error.code == .parse)
            #expect(error.location?.file == "agent.yaml")
            #expect(error.location?.line != nil)
            #expect(error.description.hasPrefix("agent.yaml:"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test("a file is read from disk; a missing one is file-not-found")
    func loadFromDisk() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/agent.yaml"
        try Self.complete.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try AgentConfiguration.load(contentsOf: path).nodeName == "node-7")
        do {
            _ = try AgentConfiguration.load(contentsOf: directory.path + "/missing.yaml")
            Issue.record("loaded a missing file")
        } catch let error as FlowlogError {
            #expect(error.code == .fileNotFound)
            #expect(error.location?.file == directory.path + "/missing.yaml")
        }
    }

    @Test("flags override the file, and what no flag gives stays as the file says")
    func overridesWin() throws {
        let file = try AgentConfiguration.parse(yaml: Self.complete)
        var flags = AgentConfiguration.Overrides()
        flags.interfaces = ["lo"]
        flags.ringOverflow = .dropNewest
        flags.idleTimeout = .seconds(5)
        flags.metricsAddress = "off"
        flags.logFormat = .text
        flags.retentionSize = 1 << 30
        flags.directRing = true
        let merged = file.merging(flags)
        #expect(merged.capture.interfaces == ["lo"])
        #expect(merged.ring.overflow == .dropNewest)
        #expect(merged.flowCache.idleTimeout == .seconds(5))
        #expect(merged.metrics.address == nil)
        #expect(merged.log.format == .text)
        #expect(merged.store.retentionSize == 1 << 30)
        #expect(merged.capture.directRing)
        // Untouched by flags:
        #expect(merged.capture.filter == "tcp or udp")
        #expect(merged.flowCache.activeTimeout == .seconds(90))
        #expect(merged.ring.capacity == 4096)
        #expect(merged.log.level == .debug)
        #expect(file.merging(AgentConfiguration.Overrides()) == file)
    }

    @Test("validation wants interfaces and a data directory, and a loopback metrics address unless allowed")
    func validation() throws {
        var configuration = AgentConfiguration()
        #expect(throws: FlowlogError.self) { try configuration.validated() }
        configuration.capture.interfaces = ["lo"]
        #expect(throws: FlowlogError.self) { try configuration.validated() }
        configuration.dataDirectory = "data"
        _ = try configuration.validated()
        configuration.metrics.address = "0.0.0.0:9464"
        do {
            _ = try configuration.validated()
            Issue.record("accepted a non-loopback metrics address")
        } catch let error as FlowlogError {
            #expect(error.location?.field == "metrics.address")
        }
        configuration.metrics.allowNonLoopback = true
        _ = try configuration.validated()
    }

    @Test("metrics.tls: certificate, key, client CA and which requests need a client certificate")
    func tls() throws {
        let configuration = try AgentConfiguration.parse(yaml: """
            metrics:
              address: 10.0.0.7:9464
              allow-non-loopback: true
              tls:
                certificate: /etc/flowlog/tls/agent.pem
                key: /etc/flowlog/tls/agent.key
                client-ca: /etc/flowlog/tls/clients-ca.pem
                client-certificates: webhook
            """)
        let tls = try #require(configuration.metrics.tls)
        #expect(tls.certificate == "/etc/flowlog/tls/agent.pem")
        #expect(tls.key == "/etc/flowlog/tls/agent.key")
        #expect(tls.clientCA == "/etc/flowlog/tls/clients-ca.pem")
        #expect(tls.clientCertificates == .webhook)
        #expect(try AgentConfiguration.parse(yaml: "metrics: {tls: {certificate: a.pem, key: a.key}}").metrics.tls?.clientCertificates == .required)
        #expect(try AgentConfiguration.parse(yaml: "metrics: {tls: ~}").metrics.tls == nil)
        var keyless = try AgentConfiguration.parse(yaml: "metrics: {tls: {certificate: a.pem}}")
        keyless.capture.interfaces = ["lo"]
        keyless.dataDirectory = "data"
        do {
            _ = try keyless.validated()
            Issue.record("accepted HTTPS without a key")
        } catch let error as FlowlogError {
            #expect(error.location?.field == "metrics.tls.key")
        }
    }
}

@Suite("Duration and size values")
struct ConfigurationValueTests {
    @Test("durations", arguments: [
        ("250ms", Duration.milliseconds(250)), ("30s", .seconds(30)), ("5m", .seconds(300)), ("1h30m", .seconds(5_400)),
        ("7d", .seconds(604_800)), ("0", .zero), ("1.5s", .milliseconds(1_500)), ("10us", .microseconds(10)),
        // Plain seconds, as every command's duration options take them.
        ("30", .seconds(30)), ("0.5", .milliseconds(500)), ("2w", .seconds(1_209_600)),
    ])
    func durations(text: String, expected: Duration) {
        #expect(ConfigurationValue.duration(text) == expected)
    }

    @Test("not durations", arguments: ["", "s", "5 minutes", "-5s", "1x", "1e3s", "1.2.3", ".", "5m-3s"])
    func notDurations(text: String) {
        #expect(ConfigurationValue.duration(text) == nil)
    }

    @Test("sizes", arguments: [
        ("4096", 4096), ("64KiB", 65_536), ("16MiB", 16 << 20), ("10GB", 10_000_000_000), ("2G", 2_000_000_000),
        ("1.5KiB", 1_536), ("0", 0), ("512B", 512),
    ])
    func sizes(text: String, expected: Int) {
        #expect(ConfigurationValue.byteSize(text) == expected)
    }

    @Test("not sizes", arguments: ["", "MiB", "-1", "12 parsecs", "1.5", "1.5B"])
    func notSizes(text: String) {
        #expect(ConfigurationValue.byteSize(text) == nil)
    }

    @Test("durations print back in the shortest unit that reads them exactly")
    func formatRoundTrips() {
        for duration: Duration in [.seconds(30), .seconds(300), .seconds(3_600), .seconds(86_400), .milliseconds(250), .microseconds(3), .seconds(90)] {
            #expect(ConfigurationValue.duration(ConfigurationValue.format(duration)) == duration)
        }
        #expect(ConfigurationValue.format(.seconds(300)) == "5m")
        #expect(ConfigurationValue.format(.milliseconds(1_500)) == "1500ms")
        #expect(Duration.milliseconds(1_500).secondsValue == 1.5)
    }
}

/// A fresh directory under the system's temporary directory, removed when released.
final class TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/flowlog-test-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw FlowlogError(.io, "mkdtemp failed")
        }
        path = String(cString: made)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
