import FlowCore
import Prometheus
import Testing
@testable import Pipeline

@Suite("Metrics endpoint over loopback", .serialized)
struct MetricsEndpointTests {
    /// An endpoint on a kernel-chosen loopback port over a fresh registry with the agent's metrics.
    static func makeEndpoint(host: String = "127.0.0.1") throws -> (MetricsEndpoint, PipelineMetrics) {
        let registry = PrometheusCollectorRegistry()
        let metrics = PipelineMetrics(factory: PipelineMetrics.prometheusFactory(registry: registry))
        let endpoint = try MetricsEndpoint(address: .init(host: host, port: 0), registry: registry)
        return (endpoint, metrics)
    }

    @Test("GET /metrics serves the registry in Prometheus text format")
    func servesMetrics() throws {
        let (endpoint, metrics) = try Self.makeEndpoint()
        defer { endpoint.stop() }
        #expect(endpoint.address.port != 0)
        metrics.recordCaptured(packets: 1_000, bytes: 64_000)
        metrics.recordFlows(7, verdict: .deny)
        metrics.observeDrops(.kernel, total: 12)
        metrics.recordReload(.failed)

        let response = try #require(LoopbackClient.exchange(
            port: endpoint.address.port, sending: ["GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n"]))
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
        #expect(response.header("Connection") == "close")
        #expect(response.header("Content-Length") == String(response.body.utf8.count))
        let body = response.body
        #expect(body.contains("# TYPE flowlog_packets_total counter"))
        #expect(body.contains("flowlog_packets_total 1000"))
        #expect(body.contains("flowlog_bytes_total 64000"))
        #expect(body.contains(#"flowlog_flows_total{verdict="deny"} 7"#))
        #expect(body.contains(#"flowlog_drops_total{stage="kernel"} 12"#))
        #expect(body.contains(#"flowlog_manifest_reloads_total{result="failed"} 1"#))
        #expect(endpoint.requestsServed == 1)
    }

    @Test("a request arriving in pieces is read whole; a query string is ignored; HEAD has no body")
    func partialReads() throws {
        let (endpoint, metrics) = try Self.makeEndpoint()
        defer { endpoint.stop() }
        metrics.recordSegmentSealed()
        let pieces = ["GE", "T /metr", "ics?x=1 HTTP/1.1\r", "\nHost: a\r\n", "\r\n"]
        let response = try #require(LoopbackClient.exchange(port: endpoint.address.port, sending: pieces, pauseMicroseconds: 20_000))
        #expect(response.status == 200)
        #expect(response.body.contains("flowlog_segments_written_total 1"))

        let head = try #require(LoopbackClient.exchange(port: endpoint.address.port, sending: ["HEAD /metrics HTTP/1.0\r\n\r\n"]))
        #expect(head.status == 200)
        #expect(head.body.isEmpty)
        #expect(Int(head.header("Content-Length") ?? "0")! > 0)
    }

    @Test("other paths are 404, other methods 405, garbage 400, oversized heads 431")
    func errors() throws {
        let (endpoint, _) = try Self.makeEndpoint()
        defer { endpoint.stop() }
        let port = endpoint.address.port
        #expect(LoopbackClient.exchange(port: port, sending: ["GET / HTTP/1.1\r\n\r\n"])?.status == 404)
        #expect(LoopbackClient.exchange(port: port, sending: ["GET /metrics/x HTTP/1.1\r\n\r\n"])?.status == 404)
        let post = LoopbackClient.exchange(port: port, sending: ["POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n"])
        #expect(post?.status == 405)
        #expect(post?.header("Allow") == "GET, HEAD")
        #expect(LoopbackClient.exchange(port: port, sending: ["hello\r\n\r\n"])?.status == 400)
        #expect(LoopbackClient.exchange(port: port, sending: ["GET /metrics SPDY/3\r\n\r\n"])?.status == 400)
        #expect(LoopbackClient.exchange(port: port, sending: ["GET /metrics HTTP/1.1 extra\r\n\r\n"])?.status == 400)
        #expect(LoopbackClient.exchange(port: port, sending: ["GET /\u{1}metrics HTTP/1.1\r\n\r\n"])?.status == 400)
        let huge = "GET /metrics HTTP/1.1\r\nX-Padding: " + String(repeating: "a", count: 20_000) + "\r\n\r\n"
        #expect(LoopbackClient.exchange(port: port, sending: [huge])?.status == 431)
        // A client that sends half a request and closes gets a 400 (or nothing) and the server goes on.
        _ = LoopbackClient.exchange(port: port, sending: ["GET /metr"])
        #expect(LoopbackClient.exchange(port: port, sending: ["GET /metrics HTTP/1.1\r\n\r\n"])?.status == 200)
    }

    @Test("a client that hangs up mid-response neither kills the process (SIGPIPE) nor stops the endpoint")
    func clientsHangingUp() throws {
        // A response far larger than the socket buffers, so the server is mid-send at the reset.
        let registry = PrometheusCollectorRegistry()
        let label = String(repeating: "x", count: 100)
        for index in 0..<60_000 {
            registry.makeGauge(descriptor: .init(metricName: "padding_\(index)", unitName: "", helpText: ""), labels: [("label", label)]).set(Double(index))
        }
        let endpoint = try MetricsEndpoint(address: .init(host: "127.0.0.1", port: 0), registry: registry)
        defer { endpoint.stop() }
        for _ in 0..<3 {
            LoopbackClient.hangUp(port: endpoint.address.port, sending: "GET /metrics HTTP/1.1\r\n\r\n", afterMicroseconds: 300_000)
        }
        let response = try #require(LoopbackClient.exchange(port: endpoint.address.port, sending: ["GET /metrics HTTP/1.1\r\n\r\n"]))
        #expect(response.status == 200)
        #expect(response.body.utf8.count > 6_000_000)
    }

    @Test("IPv6 loopback works too")
    func ipv6Loopback() throws {
        let endpoint: MetricsEndpoint
        do {
            endpoint = try Self.makeEndpoint(host: "::1").0
        } catch {
            // Hosts without IPv6 (some containers) cannot bind ::1; nothing to test there.
            return
        }
        defer { endpoint.stop() }
        #expect(endpoint.address.description.hasPrefix("[::1]:"))
        #expect(LoopbackClient.exchange(port: endpoint.address.port, host: "::1", sending: ["GET /metrics HTTP/1.1\r\n\r\n"])?.status == 200)
    }

    @Test("a non-loopback address is refused unless explicitly allowed")
    func refusesNonLoopback() throws {
        let registry = PrometheusCollectorRegistry()
        do {
            _ = try MetricsEndpoint(address: .init(host: "0.0.0.0", port: 0), registry: registry)
            Issue.record("listened on 0.0.0.0 without permission")
        } catch let error as FlowlogError {
            #expect(error.code == .invalidArgument)
            #expect(error.message.contains("not a loopback address"))
        }
        let allowed = try MetricsEndpoint(address: .init(host: "0.0.0.0", port: 0), registry: registry, allowNonLoopback: true)
        allowed.stop()
    }

    @Test("an endpoint from the agent configuration; none when metrics are off")
    func fromConfiguration() throws {
        var settings = AgentConfiguration.Metrics()
        settings.address = "127.0.0.1:0"
        let endpoint = try #require(try MetricsEndpoint(configuration: settings, registry: PrometheusCollectorRegistry()))
        defer { endpoint.stop() }
        #expect(LoopbackClient.exchange(port: endpoint.address.port, sending: ["GET /metrics HTTP/1.1\r\n\r\n"])?.status == 200)
        settings.address = nil
        #expect(try MetricsEndpoint(configuration: settings, registry: PrometheusCollectorRegistry()) == nil)
    }

    @Test("a port in use is a clear error")
    func portInUse() throws {
        let (first, _) = try Self.makeEndpoint()
        defer { first.stop() }
        do {
            _ = try MetricsEndpoint(address: first.address, registry: PrometheusCollectorRegistry())
            Issue.record("bound a port already in use")
        } catch let error as FlowlogError {
            #expect(error.call == "bind")
            #expect(error.message.contains("\(first.address)"))
        }
    }

    @Test("addresses parse from the forms the flag and file take", arguments: [
        ("127.0.0.1:9464", "127.0.0.1", 9464, true), ("localhost:1", "127.0.0.1", 1, true), (":9000", "127.0.0.1", 9000, true),
        ("[::1]:80", "::1", 80, true), ("10.1.2.3:9464", "10.1.2.3", 9464, false), ("127.8.9.10:5", "127.8.9.10", 5, true),
        ("[::]:9464", "::", 9464, false),
    ])
    func addressParsing(text: String, host: String, port: Int, loopback: Bool) throws {
        let address = try MetricsEndpoint.Address(parsing: text)
        #expect(address.host == host)
        #expect(Int(address.port) == port)
        #expect(address.isLoopback == loopback)
    }

    @Test("bad addresses are rejected", arguments: ["9464", "127.0.0.1:", "127.0.0.1:70000", "host.example:80", "[::1:80", "[::1]80"])
    func badAddresses(text: String) {
        #expect(throws: FlowlogError.self) { try MetricsEndpoint.Address(parsing: text) }
    }
}
