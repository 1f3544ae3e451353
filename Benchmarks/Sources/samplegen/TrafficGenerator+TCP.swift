import FlowCore

/// TCP scripts: a session (handshake, request/response exchanges with delayed ACKs, FIN or RST
/// teardown) and the unanswered SYNs of a connection a policy drops.
extension TrafficGenerator {
    static let syn: UInt8 = 0x02, ack: UInt8 = 0x10, fin: UInt8 = 0x01, rst: UInt8 = 0x04, psh: UInt8 = 0x08

    /// Emits the flow's next TCP packet and schedules the one after; returns the frame length.
    mutating func stepSession(_ f: inout ActiveFlow) -> Int {
        let t = f.due
        switch f.phase {
        case .syn:
            f.phase = .synAck
            f.due = t + f.roundTrip
            return tcpSegment(&f, fromClient: true, flags: Self.syn, payload: 0, role: .none)
        case .synAck:
            f.phase = .handshakeAck
            f.due = t + random.exponential(mean: 0.00002)
            return tcpSegment(&f, fromClient: false, flags: Self.syn | Self.ack, payload: 0, role: .none)
        case .handshakeAck:
            f.phase = .request
            f.due = t + random.exponential(mean: 0.0001)
            return tcpSegment(&f, fromClient: true, flags: Self.ack, payload: 0, role: .none)
        case .request:
            let size = requestSize(f)
            f.exchanges += 1
            f.segmentsLeft = responseSegments(f)
            f.responseLast = Int32(lastSegmentSize(f))
            f.segmentsSinceAck = 0
            f.responseBegun = false
            f.dataLeft -= 1
            f.phase = .response
            f.due = t + f.roundTrip + serverTime(f.application)
            return tcpSegment(&f, fromClient: true, flags: Self.psh | Self.ack, payload: size, role: .request)
        case .response:
            f.segmentsLeft -= 1
            f.segmentsSinceAck += 1
            f.dataLeft -= 1
            let last = f.segmentsLeft <= 0 || f.dataLeft <= 1
            let size = last ? Int(f.responseLast) : f.maximumSegment
            let first = !f.responseBegun
            f.responseBegun = true
            if last || f.segmentsSinceAck >= 2 {
                f.phase = .clientAck
                f.due = t + f.roundTrip * 0.5 + random.exponential(mean: 0.00004)
            } else {
                f.due = t + 0.000012 * Double(size / 100 + 1)
            }
            if last { f.segmentsLeft = 0 }
            return tcpSegment(&f, fromClient: false, flags: last ? Self.psh | Self.ack : Self.ack, payload: size,
                              role: first ? .response : .continuation)
        case .clientAck:
            f.segmentsSinceAck = 0
            f.dataLeft -= 1
            if f.dataLeft <= 0 {
                f.phase = f.closeWithReset ? .reset : .fin
                f.due = t + random.exponential(mean: 0.02)
            } else if f.segmentsLeft > 0 {
                f.phase = .response
                f.due = t + f.roundTrip * 0.5
            } else {
                f.phase = .request
                f.due = t + thinkTime(f.application)
            }
            return tcpSegment(&f, fromClient: true, flags: Self.ack, payload: 0, role: .none)
        case .fin:
            f.phase = .finAck
            f.due = t + f.roundTrip
            return tcpSegment(&f, fromClient: true, flags: Self.fin | Self.ack, payload: 0, role: .none)
        case .finAck:
            f.phase = .lastAck
            f.due = t + random.exponential(mean: 0.00002)
            return tcpSegment(&f, fromClient: false, flags: Self.fin | Self.ack, payload: 0, role: .none)
        case .lastAck, .reset:
            let flags = f.phase == .reset ? Self.rst | Self.ack : Self.ack
            f.phase = .done
            return tcpSegment(&f, fromClient: true, flags: flags, payload: 0, role: .none)
        case .done:
            return 0
        }
    }

    /// A SYN and its retransmissions (Linux backs off 1 s, then 2 s), none answered.
    mutating func stepUnansweredSYN(_ f: inout ActiveFlow) -> Int {
        f.packetsLeft -= 1
        f.exchanges += 1
        f.due += f.exchanges == 1 ? 1.0 : 2.0
        if f.packetsLeft <= 0 { f.phase = .done }
        let length = tcpSegment(&f, fromClient: true, flags: Self.syn, payload: 0, role: .none)
        f.clientSequence &-= 1  // a retransmitted SYN keeps its sequence number
        return length
    }

    enum SegmentRole { case none, request, response, continuation }

    /// Writes one TCP segment into the encoder's frame; advances the sender's sequence number.
    mutating func tcpSegment(_ f: inout ActiveFlow, fromClient: Bool, flags: UInt8, payload: Int, role: SegmentRole) -> Int {
        let isSYN = flags & Self.syn != 0
        let headerLength = isSYN ? 40 : 20
        let l4Length = headerLength + payload
        let hop = self.hop(&f, fromClient: fromClient)
        let l4 = encoder.writeHeaders(hop, protocol: 6, l4Length: l4Length)
        encoder.put16(l4, fromClient ? f.clientPort : f.serverPort)
        encoder.put16(l4 + 2, fromClient ? f.serverPort : f.clientPort)
        encoder.put32(l4 + 4, fromClient ? f.clientSequence : f.serverSequence)
        encoder.put32(l4 + 8, flags & Self.ack != 0 ? (fromClient ? f.serverSequence : f.clientSequence) : 0)
        encoder.put8(l4 + 12, UInt8(headerLength / 4) << 4)
        encoder.put8(l4 + 13, flags)
        encoder.put16(l4 + 14, isSYN ? 64_240 : 502 + (f.clientPort & 0x3FF))
        encoder.put32(l4 + 16, 0)  // checksum, urgent pointer
        if isSYN {
            // MSS, SACK permitted, timestamps, NOP, window scale 7: what Linux sends.
            let o = l4 + 20
            encoder.put8(o, 2); encoder.put8(o + 1, 4); encoder.put16(o + 2, UInt16(f.maximumSegment))
            encoder.put8(o + 4, 4); encoder.put8(o + 5, 2)
            encoder.put8(o + 6, 8); encoder.put8(o + 7, 10)
            encoder.put32(o + 8, UInt32(truncatingIfNeeded: Int(f.due * 1000)) &+ UInt32(f.clientPort))
            encoder.put32(o + 12, flags & Self.ack != 0 ? UInt32(truncatingIfNeeded: Int(f.due * 1000)) : 0)
            encoder.put8(o + 16, 1); encoder.put8(o + 17, 3); encoder.put8(o + 18, 3); encoder.put8(o + 19, 7)
        }
        if payload > 0 {
            writePayload(f, at: l4 + headerLength, count: payload, fromClient: fromClient, role: role)
        }
        let advance = UInt32(payload) + (isSYN ? 1 : 0) + (flags & Self.fin != 0 ? 1 : 0)
        if fromClient { f.clientSequence &+= advance } else { f.serverSequence &+= advance }
        return encoder.finish(hop, protocol: 6, l4Offset: l4, l4Length: l4Length, checksumOffset: 16)
    }

    private func writePayload(_ f: ActiveFlow, at offset: Int, count: Int, fromClient: Bool, role: SegmentRole) {
        let salt = fromClient ? f.clientSequence : f.serverSequence
        let plain = f.application != .tls
        encoder.fillPayload(at: offset, count: count, text: plain, salt: salt)
        if f.application == .tls {
            writeTLSRecords(f, at: offset, count: count, role: role)
            return
        }
        if f.application == .http {
            writeHTTP(f, at: offset, count: count, role: role)
            return
        }
        let prefix: [UInt8]
        switch (f.application, role) {
        case (.postgres, .request): prefix = PayloadPrefix.postgresQuery
        case (.redis, .request): prefix = PayloadPrefix.redisCommand
        case (.redis, .response): prefix = PayloadPrefix.redisReply
        case (.amqp, .request): prefix = PayloadPrefix.amqpFrame
        default: return
        }
        prefix.withUnsafeBytes { _ = encoder.write($0, at: offset, limit: count) }
    }
}

/// The first bytes of requests and responses, so that a dissector recognises the protocol.
enum PayloadPrefix {
    static let postgresQuery = Array("Q\u{0}\u{0}\u{0}\u{3A}SELECT id, sku, price FROM items WHERE id = 1842;\u{0}".utf8)
    static let redisCommand = Array("*2\r\n$3\r\nGET\r\n$12\r\nsession:1842\r\n".utf8)
    static let redisReply = Array("$64\r\n".utf8)
    static let amqpFrame: [UInt8] = [0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x20, 0x00, 0x3C, 0x00, 0x28]
}
