import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// A small HTTP server on 127.0.0.1 (ephemeral port) standing in for Splunk HEC or
/// Elasticsearch: it records every request whole and answers what `respond` says, so a test
/// can be down, slow, busy or refuse single items. With `tls` it speaks HTTPS only, with the
/// server certificate given, and requires a client certificate signed by `clientCA`.
final class TestReceiver: Sendable {
    struct Request: Sendable {
        var method: String
        var uri: String
        var headers: [(String, String)]
        var body: [UInt8]
        /// The status the receiver answered.
        var answered = 0

        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    struct Response: Sendable {
        var status: Int
        var body: String
        /// Wait before answering (a slow receiver).
        var delay: Double = 0
        init(_ status: Int, _ body: String, delay: Double = 0) {
            self.status = status
            self.body = body
            self.delay = delay
        }
    }

    typealias Responder = @Sendable (Request, Int) -> Response

    final class FailureLog: Sendable {
        let errors = Mutex<[String]>([])
        var all: [String] { errors.withLock { $0 } }
    }

    final class RequestLog: Sendable {
        let requests = Mutex<[Request]>([])
    }

    private let channel: Channel
    private let state: RequestLog
    let port: Int

    /// Server side of HTTPS: its certificate and key, and the CA client certificates must chain to.
    struct TLS {
        var certificate: String
        var key: String
        var clientCA: String
    }

    /// TLS handshakes that failed, with the reason the server saw.
    let handshakeFailures = FailureLog()
    private let secure: Bool

    init(tls: TLS? = nil, respond: @escaping Responder) throws {
        let state = RequestLog()
        self.state = state
        secure = tls != nil
        let failures = handshakeFailures
        var context: NIOSSLContext?
        if let tls {
            var configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(tls.certificate).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: tls.key, format: .pem)))
            // A server that verifies asks for a client certificate and refuses a handshake without one.
            configuration.certificateVerification = .noHostnameVerification
            configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(tls.clientCA))
            context = try NIOSSLContext(configuration: configuration)
        }
        channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let context {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                        try channel.pipeline.syncOperations.addHandler(HandshakeWatcher(failures: failures))
                    }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(state: state, respond: respond))
                }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
        port = channel.localAddress!.port!
    }

    deinit { try? channel.close().wait() }

    var url: String { (secure ? "https" : "http") + "://127.0.0.1:\(port)" }

    /// Records TLS errors (a handshake the server refused) and closes the connection.
    private final class HandshakeWatcher: ChannelInboundHandler, Sendable {
        typealias InboundIn = NIOAny
        let failures: FailureLog
        init(failures: FailureLog) { self.failures = failures }
        func errorCaught(context: ChannelHandlerContext, error: Error) {
            failures.errors.withLock { $0.append(String(describing: error)) }
            context.close(promise: nil)
        }
    }
    var requests: [Request] { state.requests.withLock { $0 } }

    private final class Handler: ChannelInboundHandler, @unchecked Sendable {
        // Unchecked: NIO calls a handler only on its channel's event loop.
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let state: RequestLog
        let respond: Responder
        var current: Request?

        init(state: RequestLog, respond: @escaping Responder) {
            self.state = state
            self.respond = respond
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                current = Request(method: "\(head.method)", uri: head.uri, headers: head.headers.map { ($0.name, $0.value) }, body: [])
            case .body(var buffer):
                current?.body += buffer.readBytes(length: buffer.readableBytes) ?? []
            case .end:
                guard let request = current else { return }
                let index = state.requests.withLock { requests in
                    requests.append(request)
                    return requests.count - 1
                }
                let response = respond(request, index)
                state.requests.withLock { $0[index].answered = response.status }
                let send = { [context] in
                    var headers = HTTPHeaders()
                    headers.add(name: "Content-Type", value: "application/json")
                    headers.add(name: "Content-Length", value: String(response.body.utf8.count))
                    let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
                    context.write(self.wrapOutboundOut(.head(head)), promise: nil)
                    context.write(self.wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: response.body)))), promise: nil)
                    context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
                }
                if response.delay > 0 {
                    context.eventLoop.scheduleTask(in: .milliseconds(Int64(response.delay * 1000))) { send() }
                } else {
                    send()
                }
            }
        }
    }
}
