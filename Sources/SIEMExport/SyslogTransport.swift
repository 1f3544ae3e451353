import FlowCore
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import SIEMConfig

/// Syslog over TCP or TLS (octet-counted frames, RFC 5425 / RFC 6587) or UDP (one message per
/// datagram, RFC 5426) with SwiftNIO, used synchronously from the sink's thread.
///
/// TCP has no application acknowledgement: a batch counts as delivered once the kernel took
/// it. A connection the receiver closed is noticed before the next batch (which is then sent
/// on a new connection), and `finish` closes gracefully — it waits for the receiver to close
/// its side after reading everything — so a one-shot export knows its last batch arrived.
final class SyslogTransport: SinkTransport {
    let address: HostAndPort
    let transport: SIEMConfiguration.Transport
    private let tls: NIOSSLContext?
    private let serverName: String?
    private var channel: Channel?
    private var datagramTarget: SocketAddress?
    /// The frames of the batch being sent, kept for the next batch: once NIO has written a
    /// batch it holds no reference, and `clear()` reuses the storage instead of allocating.
    private var frames: ByteBuffer?
    private var lengthDigits: [UInt8] = []
    private let group = MultiThreadedEventLoopGroup.singleton
    static let connectTimeout: TimeAmount = .seconds(5)
    /// The largest UDP payload (IPv4: 65,535 less the IP and UDP headers).
    static let maximumDatagram = 65_507

    init(sink: SIEMConfiguration.Sink) throws {
        guard let text = sink.address, let address = HostAndPort(text) else {
            throw FlowlogError(.invalidArgument, "sink \(sink.name) has no HOST:PORT address")
        }
        self.address = address
        transport = sink.transport
        if transport == .tls {
            let files = sink.tls ?? SIEMConfiguration.TLSFiles()
            tls = try TLSContextFactory.client(files, sink: sink.name)
            let isAddress = (try? SocketAddress(ipAddress: address.host, port: 0)) != nil
            serverName = files.serverName ?? (isAddress ? nil : address.host)
        } else {
            tls = nil
            serverName = nil
        }
    }

    deinit { close() }

    func close() {
        if let channel { try? channel.close().wait() }
        channel = nil
    }

    private func connect() throws -> Channel {
        if let channel, channel.isActive { return channel }
        if let channel { try? channel.close().wait() }
        channel = nil
        do {
            let opened: Channel
            switch transport {
            case .udp:
                let target = try SocketAddress.makeAddressResolvingHost(address.host, port: address.port)
                datagramTarget = target
                let bind = target.protocol == .inet6 ? "::" : "0.0.0.0"
                opened = try DatagramBootstrap(group: group).bind(host: bind, port: 0).wait()
            case .tcp, .tls:
                let context = tls, name = serverName
                opened = try ClientBootstrap(group: group)
                    .connectTimeout(Self.connectTimeout)
                    .channelOption(.socketOption(.so_keepalive), value: 1)
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            if let context {
                                try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: name))
                            }
                            try channel.pipeline.syncOperations.addHandler(
                                ReceiverDiscard(handshake: context == nil ? nil : channel.eventLoop.makePromise()))
                        }
                    }
                    .connect(host: address.host, port: address.port).wait()
                // Writes before the handshake is done could be reported written although they
                // never leave: wait for it (a wrong certificate or server name fails here).
                if tls != nil {
                    let handler = try opened.pipeline.handler(type: ReceiverDiscard.self).wait()
                    let timeout = opened.eventLoop.scheduleTask(in: Self.connectTimeout) {
                        handler.handshake?.fail(ChannelError.connectTimeout(Self.connectTimeout))
                    }
                    defer { timeout.cancel() }
                    do {
                        try handler.handshake?.futureResult.wait()
                    } catch {
                        try? opened.close().wait()
                        throw error
                    }
                }
            }
            channel = opened
            return opened
        } catch {
            throw SinkUnavailable("cannot connect to \(address.host):\(address.port) (\(transport.rawValue)): \(TLSContextFactory.explain(error))")
        }
    }

    func send(_ batch: SinkSpool.Batch, only: [Int]?) throws -> SendOutcome {
        let channel = try connect()
        let indices = only ?? Array(batch.entries.indices)
        var outcome = SendOutcome()
        do {
            switch transport {
            case .udp:
                guard let target = datagramTarget else { throw SinkUnavailable("no UDP target") }
                var last: EventLoopFuture<Void>?
                for i in indices {
                    let payload = batch.payload(i)
                    guard payload.count <= Self.maximumDatagram else {
                        outcome.rejected.append((i, "a message of \(payload.count) bytes does not fit a UDP datagram (use tcp or tls)"))
                        continue
                    }
                    last = channel.write(AddressedEnvelope(remoteAddress: target, data: channel.allocator.buffer(bytes: payload)))
                }
                channel.flush()
                try last?.wait()
            case .tcp, .tls:
                var out = frames ?? channel.allocator.buffer(capacity: batch.payloadBytes + 8 * indices.count)
                frames = nil
                out.clear()
                for i in indices {
                    batch.payload(i).withUnsafeBytes { message in
                        lengthDigits.removeAll(keepingCapacity: true)
                        SyslogMessage.appendFrameLength(message.count, to: &lengthDigits)
                        out.writeBytes(lengthDigits)
                        out.writeBytes(message)
                    }
                }
                try channel.writeAndFlush(out).wait()
                frames = out
            }
        } catch let error as SinkUnavailable {
            throw error
        } catch {
            try? channel.close().wait()
            self.channel = nil
            throw SinkUnavailable("sending to \(address.host):\(address.port) (\(transport.rawValue)) failed: \(error)")
        }
        return outcome
    }

    func finish() {
        guard let channel, transport != .udp else { return }
        // Half-close and wait for the receiver's close: it has then read every byte.
        let closed = channel.closeFuture
        if (try? channel.close(mode: .output).wait()) == nil {
            try? channel.close().wait()
        } else {
            let deadline = NIODeadline.now() + .seconds(10)
            let timer = channel.eventLoop.scheduleTask(deadline: deadline) { channel.close(promise: nil) }
            try? closed.wait()
            timer.cancel()
        }
        self.channel = nil
    }
}

/// Reads and drops what a syslog receiver sends (nothing, normally) so the connection's
/// close is seen; errors close the channel, and the next send reconnects.
private final class ReceiverDiscard: ChannelInboundHandler, Sendable {
    typealias InboundIn = NIOAny
    /// Succeeds when the TLS handshake completes (nil without TLS); fails when the connection
    /// errs or ends first. NIO ignores completions of an already completed promise, so every
    /// path may complete it.
    let handshake: EventLoopPromise<Void>?

    init(handshake: EventLoopPromise<Void>?) { self.handshake = handshake }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
    func errorCaught(context: ChannelHandlerContext, error: Error) {
        handshake?.fail(error)
        context.close(promise: nil)
    }
    func channelInactive(context: ChannelHandlerContext) {
        handshake?.fail(ChannelError.ioOnClosedChannel)
        context.fireChannelInactive()
    }
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent { handshake?.succeed() }
        if let event = event as? ChannelEvent, event == .inputClosed { context.close(promise: nil) }
        context.fireUserInboundEventTriggered(event)
    }
}
