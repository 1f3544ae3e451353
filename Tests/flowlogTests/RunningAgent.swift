#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Testing

/// `flowlog agent --config FILE` run as users run it, for the tests that capture on `lo`: its log
/// is drained as it comes (a chatty agent never blocks on a full pipe) and kept for the checks
/// after it stopped.
final class RunningAgent {
    let process = Process()
    private let collected = LogText()
    private let collector: Thread

    init(configFile: String, flags: [String] = []) throws {
        process.executableURL = URL(fileURLWithPath: FlowlogRunner.executable)
        process.arguments = ["agent", "--config", configFile] + flags
        let log = Pipe()
        process.standardError = log
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let collected = self.collected
        collector = Thread { collected.text = String(decoding: log.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }
        collector.start()
    }

    deinit { if process.isRunning { process.terminate() } }

    var isRunning: Bool { process.isRunning }

    /// Whether the agent's HTTP endpoint answered `path` within `seconds`: it serves once
    /// start-up (cluster, store, capture) is done.
    func waitUntilServing(port: UInt16, path: String = "/metrics", seconds: Double = 15) -> Bool {
        Probe.until(seconds: seconds) { (try? Probe.httpGet(port: port, path: path)) != nil }
    }

    /// The names of the agent's threads, as `top -H` shows them.
    func threadNames() -> [String] {
        let tasks = "/proc/\(process.processIdentifier)/task"
        let ids = (try? FileManager.default.contentsOfDirectory(atPath: tasks)) ?? []
        return ids.compactMap { id in
            (try? String(contentsOfFile: "\(tasks)/\(id)/comm", encoding: .utf8))?
                .trimmingCharacters(in: .newlines)
        }
    }

    /// SIGTERM, as an orchestrator stops it; waits for the exit and the whole log.
    func stop() -> (stopped: Bool, status: Int32, log: String) {
        kill(process.processIdentifier, SIGTERM)
        let stopped = Probe.until(seconds: 20) { !process.isRunning }
        if !stopped { process.terminate() }
        process.waitUntilExit()
        collector.join(timeout: 5)
        return (stopped, process.terminationStatus, collector.isFinished ? collected.text : "(the log was still being read)")
    }
}

/// Two loopback addresses a test's cluster names as pods, and its UDP ports. All of 127/8 is
/// loopback on Linux; the addresses are the test's own (its number) in a range of this test
/// process's own (its process id), so agent tests of other test runs on the machine, which
/// capture on `lo` too, never see this one's traffic, nor it theirs.
struct LoopbackPods {
    let client: String, server: String
    let allowedPort: UInt16, deniedPort: UInt16

    init(test: Int) {
        precondition((0..<60).contains(test))
        let subnet = "127.\(100 + getpid() % 100).\(getpid() / 100 % 250)"
        client = "\(subnet).\(2 + 4 * test)"
        server = "\(subnet).\(3 + 4 * test)"
        allowedPort = UInt16(47_600 + 2 * test)
        deniedPort = allowedPort + 1
    }

    /// The capture filter that keeps other traffic on `lo` out.
    var captureFilter: String { "udp and host \(server)" }

    /// Namespace `shop` with pods client-1 (app=client) and web-1 (app=web) at the two addresses,
    /// and a Kubernetes NetworkPolicy allowing client → web on `allowedPort` only.
    var cluster: String {
        """
        apiVersion: v1
        kind: Namespace
        metadata: {name: shop, labels: {env: prod}}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: client-1, namespace: shop, labels: {app: client}}
        status: {podIP: \(client)}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: web-1, namespace: shop, labels: {app: web}}
        status: {podIP: \(server)}
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: web-allow-dns-port, namespace: shop}
        spec:
          podSelector: {matchLabels: {app: web}}
          policyTypes: [Ingress]
          ingress:
          - from: [{podSelector: {matchLabels: {app: client}}}]
            ports: [{protocol: UDP, port: \(allowedPort)}]

        """
    }

    /// `count` UDP datagrams from one socket on the client's address to the server's `port`:
    /// one flow.
    func send(count: Int, to port: UInt16, payload: String = "flowlog agent test") throws {
        let fd = try boundClientSocket()
        defer { close(fd) }
        for _ in 0..<count {
            try sendOne(fd, to: port, payload: payload)
            usleep(2_000)
        }
    }

    /// One datagram from each of `count` fresh sockets on the client's address to the server's
    /// `port`: as many flows, each with its own source port.
    func sendDistinctFlows(count: Int, to port: UInt16, payload: String = "flowlog agent test") throws {
        var sockets: [Int32] = []
        defer { sockets.forEach { close($0) } }
        for _ in 0..<count {
            // Held open until all are sent, so no two share an ephemeral port.
            let fd = try boundClientSocket()
            sockets.append(fd)
            try sendOne(fd, to: port, payload: payload)
            usleep(2_000)
        }
    }

    private func boundClientSocket() throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        try #require(fd >= 0)
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        local.sin_addr.s_addr = inet_addr(client)
        let bound = withUnsafePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        if bound != 0 { close(fd) }
        try #require(bound == 0, "cannot bind \(client): errno \(errno)")
        return fd
    }

    private func sendOne(_ fd: Int32, to port: UInt16, payload: String) throws {
        var remote = sockaddr_in()
        remote.sin_family = sa_family_t(AF_INET)
        remote.sin_port = port.bigEndian
        remote.sin_addr.s_addr = inet_addr(server)
        let bytes = Array(payload.utf8)
        let sent = withUnsafePointer(to: &remote) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            sendto(fd, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        try #require(sent == bytes.count)
    }
}

/// What the agent tests ask a running agent over loopback.
enum Probe {
    /// Whether `condition` held within `seconds`, checked every 100 ms.
    static func until(seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(100_000)
        }
        return condition()
    }

    /// The value of one sample line of the exposition, e.g. `flowlog_packets_total`.
    static func metric(_ port: UInt16, _ name: String) -> Double? {
        guard let text = try? httpGet(port: port, path: "/metrics") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.dropFirst(name.count + 1))
        }
        return nil
    }

    /// A TCP port on 127.0.0.1 that was free a moment ago.
    static func freeLoopbackPort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try #require(withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 } })
        return UInt16(bigEndian: address.sin_port)
    }

    /// A minimal HTTP/1.0 GET over loopback; returns the body.
    static func httpGet(port: UInt16, path: String) throws -> String {
        let text = LoopbackClientForAgent.exchange(port: port, request: "GET \(path) HTTP/1.0\r\nHost: localhost\r\n\r\n")
        guard text.hasPrefix("HTTP/1."), let split = text.range(of: "\r\n\r\n") else { throw POSIXError(.EBADMSG) }
        return String(text[split.upperBound...])
    }
}

/// A raw HTTP exchange that reads until the server closes.
enum LoopbackClientForAgent {
    static func exchange(port: UInt16, request: String) -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard connected == 0 else { return "" }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let bytes = Array(request.utf8)
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { break }
            offset += sent
        }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = read(fd, &chunk, chunk.count)
            if n <= 0 { break }
            response += chunk[0..<n]
        }
        return String(decoding: response, as: UTF8.self)
    }
}

/// The agent's log, written by the collecting thread and read after it finished.
final class LogText: @unchecked Sendable {
    // Proof: the collecting thread is its only writer, and readers read only after
    // `Thread.join(timeout:)` saw that thread finish.
    var text = ""
}

extension Thread {
    /// Waits for the thread to finish, at most `timeout` seconds.
    func join(timeout: Double) {
        let deadline = Date().addingTimeInterval(timeout)
        while !isFinished && Date() < deadline { usleep(10_000) }
    }
}

/// One agent test's directory: the loopback pods' cluster written into it, a free port for the
/// agent's HTTP endpoint, and the head of the configuration every such test shares (capture on
/// `lo` filtered to the pods, the cluster, the data directory, the node's name, metrics).
struct AgentWorkspace {
    let pods: LoopbackPods
    let path: String
    let metricsPort: UInt16

    init(_ name: String, test: Int) throws {
        pods = LoopbackPods(test: test)
        path = FlowlogRunner.temporaryPath(name)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try pods.cluster.write(toFile: path + "/cluster.yaml", atomically: true, encoding: .utf8)
        metricsPort = try Probe.freeLoopbackPort()
    }

    var dataDirectory: String { path + "/data" }

    /// The shared head, then `rest` (YAML at the top level, one key a line).
    func configuration(node: String, _ rest: String) -> String {
        """
        capture: {interfaces: [lo], filter: "\(pods.captureFilter)"}
        cluster: {manifests: [\(path)/cluster.yaml]}
        data-directory: \(dataDirectory)
        node-name: \(node)
        metrics: {address: "127.0.0.1:\(metricsPort)"}
        \(rest)

        """
    }

    /// Writes `configuration` as agent.yaml and starts the agent on it, once it serves.
    func startAgent(_ configuration: String) throws -> RunningAgent {
        try configuration.write(toFile: path + "/agent.yaml", atomically: true, encoding: .utf8)
        let agent = try RunningAgent(configFile: path + "/agent.yaml")
        try #require(agent.waitUntilServing(port: metricsPort), "the agent did not start")
        return agent
    }

    /// The flows the store holds, as `flowlog query -o ndjson` prints them.
    func storedFlows() -> [String] {
        let r = try? FlowlogRunner.run(["query", "--data", dataDirectory, "-o", "ndjson"])
        return r?.stdout.split(separator: "\n").map(String.init) ?? []
    }

    /// Waits until the agent counted at least `packets` captured packets.
    func waitForPackets(_ packets: Int) -> Bool {
        Probe.until(seconds: 20) { (Probe.metric(metricsPort, "flowlog_packets_total") ?? 0) >= Double(packets) }
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}
