import Audit
import FlowCore
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOPosix
import Prometheus
import ServiceLifecycle

/// The agent's one HTTP server (Hummingbird 2 on SwiftNIO): Prometheus metrics on `/metrics`,
/// `/healthz`, and the Kubernetes audit webhook backend on `POST /audit/webhook`, over HTTP or,
/// with `TLS`, HTTPS (optionally verifying client certificates against the configured CAs).
///
/// Event-driven, so a connection that sends nothing, or sends a byte a minute, costs a file
/// descriptor and a little memory but never delays another client. Every connection is bounded
/// by `Limits`: how many at once, how long a request head and body may take to arrive, how
/// long a kept-alive connection may sit idle, and how large heads and bodies may be.
///
/// The server owns its thread: one NIO event loop does its socket I/O and runs its Swift tasks
/// (`EventLoopTaskExecutor`). Sharing a pool is what let a scrape wait for half a minute: with
/// the process-wide NIO loops, Swift's cooperative pool or Dispatch's workers, any blocking
/// work elsewhere in the process (a synchronous call on a cooperative thread, a blocked event
/// loop) stalls accepting and answering here. What may block (parsing and storing webhook
/// bodies) runs on the audit ingestor's queue, never on this thread.
public final class AgentHTTPServer: Sendable {
    /// The bounds a hostile or broken client runs into (docs/agent-configuration.md).
    public struct Limits: Sendable, Hashable {
        /// Connections open at once; beyond it the server stops accepting until one closes.
        public var maximumConnections = 256
        /// A request head (request line and headers) must arrive whole within this, counted
        /// from the connection's opening or the previous response: slow-header clients are cut off.
        public var requestHeadTimeout: Duration = .seconds(5)
        /// A request body must arrive whole within this after its head.
        public var requestBodyTimeout: Duration = .seconds(30)
        /// A kept-alive connection with nothing to read for this long is closed.
        public var idleTimeout: Duration = .seconds(30)
        /// Request line plus headers.
        public var maximumHeadBytes = 16 << 10
        /// A webhook body (`EventList`); larger ones get 413.
        public var maximumWebhookBodyBytes = 32 << 20
        public init() {}
    }

    public let address: ListenAddress
    /// `https` with TLS, else `http`.
    public let scheme: String
    private let group: MultiThreadedEventLoopGroup
    private let services: ServiceGroup
    private let task: Task<Void, any Error>

    private init(address: ListenAddress, scheme: String, group: MultiThreadedEventLoopGroup, services: ServiceGroup, task: Task<Void, any Error>) {
        self.address = address
        self.scheme = scheme
        self.group = group
        self.services = services
        self.task = task
    }

    /// Binds `address` and serves until `stop()` (or the surrounding service group's graceful
    /// shutdown). Returns once the socket listens.
    ///
    /// - Throws: `FlowlogError` for a non-loopback address without `allowNonLoopback`, a
    ///   webhook on a non-loopback address authenticated by neither a bearer token nor client
    ///   certificates, or a bind failure.
    public static func start(address: ListenAddress, allowNonLoopback: Bool = false, registry: PrometheusCollectorRegistry,
                             webhook: AuditIngestor? = nil, bearerToken: String? = nil, tls: TLS? = nil, limits: Limits = Limits(),
                             logger: Logger = Logger(label: "flowlog.http")) async throws -> AgentHTTPServer {
        guard address.isLoopback || allowNonLoopback else {
            throw FlowlogError(
                .invalidArgument,
                "refusing to serve metrics on \(address), which is not a loopback address; allow it explicitly "
                    + "(metrics.allow-non-loopback: true, or --metrics-allow-remote)",
                location: .init(field: "metrics.address"))
        }
        if webhook != nil, !address.isLoopback, bearerToken == nil, tls?.authenticatesWebhookClients != true {
            throw FlowlogError(.invalidArgument,
                               "the audit webhook on \(address), which is not loopback, needs audit.bearer-token-file or client certificates (metrics.tls.client-ca)",
                               location: .init(field: "audit.bearer-token-file"))
        }
        let router = Router(context: AgentRequestContext.self)
        Routes(registry: registry, webhook: webhook, bearerToken: bearerToken,
               webhookNeedsClientCertificate: tls?.clientCertificates == .webhook, limits: limits).register(on: router)
        let (events, continuation) = AsyncStream<Result<Int, any Error>>.makeStream()
        let http1 = HTTP1Channel.Configuration(
            additionalChannelHandlers: [RequestDeadlineHandler(headTimeout: .nanoseconds(Int64(clamping: limits.requestHeadTimeout.wholeNanoseconds)),
                                                               bodyTimeout: .nanoseconds(Int64(clamping: limits.requestBodyTimeout.wholeNanoseconds)))],
            idleTimeout: .nanoseconds(Int64(clamping: limits.idleTimeout.wholeNanoseconds)),
            httpDecoderConfiguration: .init(maxHeaderFieldSize: limits.maximumHeadBytes, maxHeaderListSize: limits.maximumHeadBytes,
                                            maxHeaderFieldCount: 100))
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .notice)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server: HTTPServerBuilder
        if let tls {
            server = try .tls(.http1(configuration: http1), tlsConfiguration: tls.configuration)
        } else {
            server = .http1(configuration: http1)
        }
        let application = Application(
            router: router,
            server: server,
            configuration: .init(address: .hostname(address.host, port: Int(address.port)), serverName: "flowlog", backlog: 256,
                                 availableConnectionsDelegate: MaximumAvailableConnections(limits.maximumConnections)),
            onServerRunning: { channel in continuation.yield(.success(channel.localAddress?.port ?? 0)) },
            eventLoopGroupProvider: .shared(group),
            logger: quiet)
        let services = ServiceGroup(configuration: .init(services: [application], logger: quiet))
        let task = Task(executorPreference: EventLoopTaskExecutor(group.next())) {
            defer { continuation.finish() }
            do {
                try await services.run()
            } catch {
                continuation.yield(.failure(error))
                throw error
            }
        }
        for await event in events {
            switch event {
            case .success(let port):
                return AgentHTTPServer(address: ListenAddress(host: address.host, port: UInt16(clamping: port)),
                                       scheme: tls == nil ? "http" : "https", group: group,
                                       services: services, task: task)
            case .failure(let error):
                try? await group.shutdownGracefully()
                throw FlowlogError(.io, "cannot listen on \(address): \(error)", location: .init(field: "metrics.address"), call: "bind")
            }
        }
        try? await group.shutdownGracefully()
        throw FlowlogError(.io, "the HTTP server on \(address) stopped before it listened", location: .init(field: "metrics.address"))
    }

    /// Stops accepting, lets requests in progress finish (for at most `grace`; then they are
    /// cut off), and returns when the server and its thread are down.
    public func stop(grace: Duration = .seconds(5)) async {
        await services.triggerGracefulShutdown()
        let task = task
        let deadline = Task {
            try await Task.sleep(for: grace)
            task.cancel()
        }
        _ = await task.result
        deadline.cancel()
        try? await group.shutdownGracefully()
    }
}
