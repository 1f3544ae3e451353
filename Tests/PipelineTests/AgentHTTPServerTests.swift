#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Audit
import Dispatch
import FlowCore
import Foundation
import NIOPosix
import Prometheus
import Testing
@testable import Pipeline

/// Runs a blocking client off Swift's cooperative threads (the server's handlers need them).
func blocking<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(returning: body()) }
    }
}

@Suite("Agent HTTP server: metrics and health", .serialized)
struct AgentHTTPServerTests {
    static func server(limits: AgentHTTPServer.Limits = .init(), host: String = "127.0.0.1") async throws
        -> (AgentHTTPServer, PipelineMetrics, PrometheusCollectorRegistry) {
        let registry = PrometheusCollectorRegistry()
        let metrics = PipelineMetrics(factory: PipelineMetrics.prometheusFactory(registry: registry))
        let server = try await AgentHTTPServer.start(address: .init(host: host, port: 0), registry: registry, limits: limits)
        return (server, metrics, registry)
    }

    static func get(_ port: UInt16, _ path: String = "/metrics", method: String = "GET") async -> LoopbackClient.Response? {
        await blocking { LoopbackClient.exchange(port: port, sending: ["\(method) \(path) HTTP/1.1\r\nHost: localhost\r\n\r\n"]) }
    }

    @Test("GET /metrics serves the registry in Prometheus text format; HEAD has no body; /healthz answers")
    func servesMetrics() async throws {
        let (server, metrics, _) = try await Self.server()
        #expect(server.address.port != 0)
        metrics.recordCaptured(packets: 1_000, bytes: 64_000)
        metrics.recordFlows(7, verdict: .deny)
        metrics.observeDrops(.kernel, total: 12)
        metrics.recordReload(.failed)
        let response = try #require(await Self.get(server.address.port))
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
        #expect(response.header("Content-Length") == String(response.body.utf8.count))
        #expect(response.body.contains("# TYPE flowlog_packets_total counter"))
        #expect(response.body.contains("flowlog_packets_total 1000"))
        #expect(response.body.contains(#"flowlog_flows_total{verdict="deny"} 7"#))
        #expect(response.body.contains(#"flowlog_drops_total{stage="kernel"} 12"#))
        #expect(response.body.contains(#"flowlog_manifest_reloads_total{result="failed"} 1"#))
        let head = try #require(await Self.get(server.address.port, method: "HEAD"))
        #expect(head.status == 200)
        #expect(head.body.isEmpty)
        #expect(try #require(Int(head.header("Content-Length") ?? "")) > 0)
        #expect(await Self.get(server.address.port, "/healthz")?.body == "ok\n")
        let pieces = await blocking { LoopbackClient.exchange(port: server.address.port, sending: ["GE", "T /metr", "ics?x=1 HTTP/1.1\r", "\nHost: a\r\n", "\r\n"], pauseMicroseconds: 20_000) }
        #expect(pieces?.status == 200)
        await server.stop()
    }

    @Test("other paths are 404, other methods 405 with Allow, garbage 400, oversized heads 431")
    func errors() async throws {
        let (server, _, _) = try await Self.server()
        let port = server.address.port
        #expect(await Self.get(port, "/")?.status == 404)
        let post = await blocking { LoopbackClient.exchange(port: port, sending: ["POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n"]) }
        #expect(post?.status == 405)
        #expect(post?.header("Allow") == "GET, HEAD")
        #expect(await blocking { LoopbackClient.exchange(port: port, sending: ["hello\r\n\r\n"]) }?.status == 400)
        let huge = "GET /metrics HTTP/1.1\r\nX-Padding: " + String(repeating: "a", count: 40_000) + "\r\n\r\n"
        let status = await blocking { LoopbackClient.exchange(port: port, sending: [huge]) }?.status
        #expect(status == 431 || status == 400 || status == nil)
        #expect(await Self.get(port)?.status == 200)
        await server.stop()
    }

    @Test("a non-loopback address is refused unless allowed; a port in use is a clear error")
    func addresses() async throws {
        do {
            _ = try await AgentHTTPServer.start(address: .init(host: "0.0.0.0", port: 0), registry: PrometheusCollectorRegistry())
            Issue.record("listened on 0.0.0.0 without permission")
        } catch let error as FlowlogError {
            #expect(error.message.contains("not a loopback address"))
        }
        let (first, _, _) = try await Self.server()
        do {
            _ = try await AgentHTTPServer.start(address: first.address, registry: PrometheusCollectorRegistry())
            Issue.record("bound a port already in use")
        } catch let error as FlowlogError {
            #expect(error.call == "bind")
            #expect(error.message.contains("\(first.address)"))
        }
        await first.stop()
    }

    @Test("addresses parse from the forms the flag and file take", arguments: [
        ("127.0.0.1:9464", "127.0.0.1", 9464, true), ("localhost:1", "127.0.0.1", 1, true), (":9000", "127.0.0.1", 9000, true),
        ("[::1]:80", "::1", 80, true), ("10.1.2.3:9464", "10.1.2.3", 9464, false), ("[::]:9464", "::", 9464, false),
    ])
    func addressParsing(text: String, host: String, port: Int, loopback: Bool) throws {
        let address = try ListenAddress(parsing: text)
        #expect(address.host == host)
        #expect(Int(address.port) == port)
        #expect(address.isLoopback == loopback)
    }

    @Test("bad addresses are rejected", arguments: ["9464", "127.0.0.1:", "127.0.0.1:70000", "host.example:80", "[::1:80"])
    func badAddresses(text: String) {
        #expect(throws: FlowlogError.self) { try ListenAddress(parsing: text) }
    }
}

/// Runs `body` on a thread of its own, neither one of Swift's cooperative threads nor one of
/// Dispatch's workers: what it measures is the server, not how long this process's shared pools
/// took to get round to the client.
func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: body()) }.start()
    }
}

/// Issue #10, defect 7: one idle local connection delayed every scrape by 2.7 s and 18 held
/// connections made scrapes fail. Here hostile clients hold, trickle and flood while scrapes run.
///
/// Every time is taken on the client's own thread. Taken around an `await`, it also counts the
/// wait for a cooperative thread to resume the test, and in a full `swift test` other tests
/// hold those threads with blocking work for minutes: one such run measured 131 s around the
/// `await` for a scrape the server had answered in 6 ms.
@Suite("Agent HTTP server under hostile local clients", .serialized)
struct HostileClientTests {
    struct Scrape: Sendable {
        var seconds: Double
        var status: Int?
    }

    /// One scrape, timed from `connect` to the last byte of the response.
    static func scrape(_ port: UInt16) -> Scrape {
        let start = monotonicNanoseconds()
        let response = LoopbackClient.exchange(port: port, sending: ["GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n"])
        return Scrape(seconds: Double(monotonicNanoseconds() - start) / 1e9, status: response?.status)
    }

    /// `count` scrapes one after another: the slowest, and how many did not get a 200.
    static func scrapes(_ port: UInt16, count: Int) async -> (slowest: Double, failures: Int) {
        await onOwnThread {
            let all = (0..<count).map { _ in scrape(port) }
            return (all.map(\.seconds).max() ?? 0, all.filter { $0.status != 200 }.count)
        }
    }

    @Test("100 idle connections and 50 half-sent requests (under the connection limit) do not delay scrapes")
    func heldConnections() async throws {
        var limits = AgentHTTPServer.Limits()
        limits.requestHeadTimeout = .seconds(30)
        let (server, _, _) = try await AgentHTTPServerTests.server(limits: limits)
        let port = server.address.port
        var held: [Int32] = []
        for index in 0..<150 {
            guard let descriptor = LoopbackClient.open(port: port) else { continue }
            if index >= 100 { _ = LoopbackClient.write("GET /metr", on: descriptor) }
            held.append(descriptor)
        }
        #expect(held.count == 150)
        let result = await Self.scrapes(port, count: 20)
        #expect(result.failures == 0)
        // The old responder served one connection at a time, 2.7 s for each idle one: behind
        // 150 of them a scrape never came back. Held heads here time out only after 30 s.
        #expect(result.slowest < 3.0, "slowest scrape \(result.slowest) s")
        for descriptor in held { close(descriptor) }
        await server.stop()
    }

    @Test("busy shared thread pools elsewhere in the process do not delay scrapes")
    func busySharedPools() async throws {
        let (server, _, _) = try await AgentHTTPServerTests.server()
        let port = server.address.port
        // Block NIO's process-wide event loops (the ClickHouse client's) and Swift's cooperative
        // threads until a deadline, as blocking work elsewhere in the agent would. A server on
        // any of these pools answers only after it.
        let blockedFor = 4.0
        let until = monotonicNanoseconds() + UInt64(blockedFor * 1e9)
        let blockUntilDeadline: @Sendable () -> Void = {
            while monotonicNanoseconds() < until { usleep(10_000) }
        }
        var loops = MultiThreadedEventLoopGroup.singleton.makeIterator()
        while let loop = loops.next() { loop.execute(blockUntilDeadline) }
        for _ in 0..<ProcessInfo.processInfo.activeProcessorCount { Task.detached(operation: blockUntilDeadline) }
        usleep(100_000)
        let result = await Self.scrapes(port, count: 5)
        #expect(result.failures == 0)
        #expect(result.slowest < blockedFor / 2, "slowest scrape \(result.slowest) s while the shared pools were blocked")
        await server.stop()
    }

    @Test("slowloris: a head trickled a byte at a time is cut off at the request timeout; scrapes go on meanwhile")
    func slowloris() async throws {
        var limits = AgentHTTPServer.Limits()
        limits.requestHeadTimeout = .seconds(1)
        let (server, _, _) = try await AgentHTTPServerTests.server(limits: limits)
        let port = server.address.port
        let (cutOff, clients, elapsed, scrapes) = await onOwnThread { () -> (Int, Int, Double, [Scrape]) in
            let slow = (0..<20).compactMap { _ in LoopbackClient.open(port: port) }
            defer { for descriptor in slow { close(descriptor) } }
            // Trickled at 20 bytes a second this head takes over 20 s, and each byte resets the
            // 30 s idle timeout: every client cut off while it still trickles is the deadline's
            // doing. How soon is not asserted: on a loaded machine the cut-off once came 15 s in.
            let request = Array("GET /metrics HTTP/1.1\r\nX-Slow: " + String(repeating: "a", count: 400))
            var cutOff = 0
            var scrapes: [Scrape] = []
            let start = monotonicNanoseconds()
            for step in 0..<request.count {
                for descriptor in slow { _ = LoopbackClient.write(String(request[step]), on: descriptor) }
                usleep(50_000)
                if step % 5 == 0 { scrapes.append(Self.scrape(port)) }
                cutOff = slow.filter(LoopbackClient.closedByServer).count
                if cutOff == slow.count { break }
            }
            return (cutOff, slow.count, Double(monotonicNanoseconds() - start) / 1e9, scrapes)
        }
        #expect(clients == 20)
        #expect(cutOff == clients, "only \(cutOff) of \(clients) slow clients cut off after \(elapsed) s of trickling")
        #expect(!scrapes.isEmpty && scrapes.allSatisfy { $0.status == 200 && $0.seconds < 1.0 }, "\(scrapes)")
        await server.stop()
    }

    @Test("at the connection limit, idle holders are closed at the request timeout and the scrape gets through")
    func connectionLimit() async throws {
        var limits = AgentHTTPServer.Limits()
        limits.maximumConnections = 8
        limits.requestHeadTimeout = .seconds(1)
        let (server, _, _) = try await AgentHTTPServerTests.server(limits: limits)
        let port = server.address.port
        let held = (0..<8).compactMap { _ in LoopbackClient.open(port: port) }
        usleep(100_000)
        let result = await Self.scrapes(port, count: 1)
        #expect(result.failures == 0)
        // It waits for the 1 s head timeout to free a connection, and no longer.
        #expect(result.slowest < 3.0)
        for descriptor in held { close(descriptor) }
        await server.stop()
    }

    @Test("clients hanging up mid-response neither kill the process nor stop the server")
    func hangUps() async throws {
        let registry = PrometheusCollectorRegistry()
        let label = String(repeating: "x", count: 100)
        for index in 0..<30_000 { registry.makeGauge(name: "padding_\(index)", labels: [("label", label)]).set(Double(index)) }
        let server = try await AgentHTTPServer.start(address: .init(host: "127.0.0.1", port: 0), registry: registry)
        for _ in 0..<3 {
            await blocking { LoopbackClient.hangUp(port: server.address.port, sending: "GET /metrics HTTP/1.1\r\n\r\n", afterMicroseconds: 200_000) }
        }
        let response = try #require(await AgentHTTPServerTests.get(server.address.port))
        #expect(response.status == 200)
        #expect(response.body.utf8.count > 3_000_000)
        await server.stop()
    }
}
