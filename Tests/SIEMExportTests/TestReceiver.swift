import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A small HTTP server on 127.0.0.1 (ephemeral port) standing in for Splunk HEC or
/// Elasticsearch: it records every request whole and answers what `respond` says, so a test
/// can be down, slow, busy or refuse single items.
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

    final class RequestLog: Sendable {
        let requests = Mutex<[Request]>([])
    }

    private let channel: Channel
    private let state: RequestLog
    let port: Int

    init(respond: @escaping Responder) throws {
        let state = RequestLog()
        self.state = state
        channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(Handler(state: state, respond: respond))
                }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
        port = channel.localAddress!.port!
    }

    deinit { try? channel.close().wait() }

    var url: String { "http://127.0.0.1:\(port)" }
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
