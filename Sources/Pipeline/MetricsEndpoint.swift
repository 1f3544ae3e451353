#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Atomics
import FlowCore
import Prometheus

#if canImport(Glibc)
private let systemListen = Glibc.listen
#elseif canImport(Darwin)
private let systemListen = Darwin.listen
#endif

/// Serves a Prometheus registry as text on `GET /metrics`: a deliberately small HTTP/1.1
/// responder on its own thread, so the agent needs no web framework.
///
/// One connection at a time, each closed after its response (`Connection: close`); a request
/// head larger than `maximumRequestBytes` or slower than `requestTimeout` is cut off, so a bad
/// client can delay a scrape by a few seconds but never hold memory or the thread.
public final class MetricsEndpoint: @unchecked Sendable {
    /// The address actually listened on (the kernel's port when 0 was asked for).
    public let address: Address
    public static let maximumRequestBytes = 8_192
    /// The longest a client may take to send its request head.
    public static let requestTimeoutMilliseconds = 3_000

    private let listener: Int32
    private let registry: PrometheusCollectorRegistry
    private let stopping = ManagedAtomic<Bool>(false)
    private var thread: BackgroundThread?
    /// Requests served, by any status; for tests and the agent's own logs.
    private let served = ManagedAtomic<Int>(0)

    /// Binds `address`, starts the responder thread and returns once it is listening.
    ///
    /// - Throws: `FlowlogError` for a non-loopback address without `allowNonLoopback`, or when
    ///   the socket cannot be bound (address in use, no permission).
    public init(address: Address, registry: PrometheusCollectorRegistry, allowNonLoopback: Bool = false) throws {
        guard address.isLoopback || allowNonLoopback else {
            throw FlowlogError(
                .invalidArgument,
                "refusing to serve metrics on \(address), which is not a loopback address; allow it explicitly "
                    + "(metrics.allow-non-loopback: true, or --metrics-allow-remote)",
                location: .init(field: "metrics.address"))
        }
        listener = try Self.listen(on: address)
        self.address = Address(host: address.host, port: Self.boundPort(of: listener) ?? address.port)
        self.registry = registry
        do {
            thread = try BackgroundThread { [self] in serve() }
        } catch let failure as SystemCallError {
            close(listener)
            throw FlowlogError(.libraryCall, failure.message, call: failure.call)
        }
    }

    /// The endpoint an agent configuration asks for, or nil when its metrics are off.
    public convenience init?(configuration: AgentConfiguration.Metrics, registry: PrometheusCollectorRegistry) throws {
        guard let text = configuration.address else { return nil }
        let address: Address
        do {
            address = try Address(parsing: text)
        } catch let error as FlowlogError {
            throw FlowlogError(error.code, error.message, location: .init(field: "metrics.address"))
        }
        try self.init(address: address, registry: registry, allowNonLoopback: configuration.allowNonLoopback)
    }

    /// Stops accepting, waits for the responder thread (at most one poll interval plus the
    /// request in progress) and closes the socket. Idempotent.
    public func stop() {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        thread?.join()
        close(listener)
    }

    /// Requests answered so far.
    public var requestsServed: Int { served.load(ordering: .relaxed) }

    // MARK: - Socket setup

    private static func listen(on address: Address) throws -> Int32 {
        let family = Address.family(of: address.host) ?? AF_INET
        #if canImport(Glibc)
        let descriptor = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let descriptor = socket(family, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { throw socketError("socket", address) }
        var yes: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        let bound: Int32
        if family == AF_INET6 {
            var socketAddress = sockaddr_in6()
            socketAddress.sin6_family = sa_family_t(AF_INET6)
            socketAddress.sin6_port = address.port.bigEndian
            inet_pton(AF_INET6, address.host, &socketAddress.sin6_addr)
            bound = withUnsafePointer(to: &socketAddress) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        } else {
            var socketAddress = sockaddr_in()
            socketAddress.sin_family = sa_family_t(AF_INET)
            socketAddress.sin_port = address.port.bigEndian
            inet_pton(AF_INET, address.host, &socketAddress.sin_addr)
            bound = withUnsafePointer(to: &socketAddress) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        guard bound == 0 else {
            let error = socketError("bind", address)
            close(descriptor)
            throw error
        }
        guard systemListen(descriptor, 16) == 0 else {
            let error = socketError("listen", address)
            close(descriptor)
            throw error
        }
        return descriptor
    }

    private static func boundPort(of descriptor: Int32) -> UInt16? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard status == 0 else { return nil }
        return withUnsafeBytes(of: &storage) { raw in
            // sin_port and sin6_port sit at the same offset, right after the family.
            UInt16(bigEndian: raw.load(fromByteOffset: 2, as: UInt16.self))
        }
    }

    private static func socketError(_ call: String, _ address: Address) -> FlowlogError {
        let code = errno
        let kind: FlowlogError.Code = code == EACCES ? .permissionDenied : .io
        return FlowlogError(
            kind, "cannot listen on \(address): \(String(cString: strerror(code)))",
            location: .init(field: "metrics.address"), call: call)
    }

    // MARK: - Serving

    private func serve() {
        while !stopping.load(ordering: .acquiring) {
            var descriptor = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            // A short poll bounds how long `stop()` waits.
            guard poll(&descriptor, 1, 100) > 0 else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            respond(to: client)
            // Counted before the close, so a client that has read its whole response sees it.
            served.wrappingIncrement(ordering: .relaxed)
            close(client)
        }
    }

    private func respond(to client: Int32) {
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let reply: HTTPReply
        switch readRequestHead(from: client) {
        case .closedEarly:
            return
        case .tooLarge:
            reply = .plain(431, "Request Header Fields Too Large", "request head too large\n")
        case .incomplete:
            reply = .plain(400, "Bad Request", "incomplete request\n")
        case .head(let head):
            reply = route(head)
        }
        Self.sendAll(Array(reply.bytes().utf8), to: client)
    }

    /// Sends every byte, retrying partial sends; gives up when the client has gone. A client
    /// that closes early must not raise SIGPIPE, which would kill the agent.
    private static func sendAll(_ bytes: [UInt8], to client: Int32) {
        #if canImport(Darwin)
        var yes: Int32 = 1
        setsockopt(client, SOL_SOCKET, SO_NOSIGPIPE, &yes, socklen_t(MemoryLayout<Int32>.size))
        let flags: Int32 = 0
        #else
        let flags = Int32(MSG_NOSIGNAL)
        #endif
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(client, $0.baseAddress, $0.count, flags) }
            if sent < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += sent
        }
    }

    func route(_ head: [UInt8]) -> HTTPReply {
        guard let request = HTTPRequestLine(head) else {
            return .plain(400, "Bad Request", "malformed request line\n")
        }
        guard request.method == "GET" || request.method == "HEAD" else {
            return HTTPReply(status: 405, reason: "Method Not Allowed", headers: [("Allow", "GET, HEAD")],
                             body: Array("only GET and HEAD\n".utf8))
        }
        guard request.path == "/metrics" else {
            return .plain(404, "Not Found", "metrics are at /metrics\n")
        }
        var reply = HTTPReply(status: 200, reason: "OK",
                              headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")],
                              body: registry.emitToBuffer())
        reply.omitBody = request.method == "HEAD"
        return reply
    }

    private enum RequestRead {
        case head([UInt8])
        case closedEarly
        case incomplete
        case tooLarge
    }

    /// Reads until the blank line ending the request head, however the bytes arrive.
    private func readRequestHead(from client: Int32) -> RequestRead {
        var head: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 2_048)
        let deadline = Int(monotonicNanoseconds() / 1_000_000) + Self.requestTimeoutMilliseconds
        while true {
            let remaining = deadline - Int(monotonicNanoseconds() / 1_000_000)
            guard remaining > 0 else { return head.isEmpty ? .closedEarly : .incomplete }
            var descriptor = pollfd(fd: client, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, Int32(remaining))
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { return head.isEmpty ? .closedEarly : .incomplete }
            let count = chunk.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return head.isEmpty ? .closedEarly : .incomplete }
            head.append(contentsOf: chunk[0..<count])
            if let end = HTTPRequestLine.endOfHead(in: head) {
                return end <= Self.maximumRequestBytes ? .head(Array(head[0..<end])) : .tooLarge
            }
            if head.count > Self.maximumRequestBytes { return .tooLarge }
        }
    }
}
