import FlowCore

/// The capture stage's DNS side: decodes responses from port 53 (UDP, and TCP messages with
/// their 2-byte length prefix) into `AddressResolution`s, which the capture hands on beside its
/// flows (the deciding thread keeps the `DNSNameCache`, so it applies them in stream order).
///
/// Only packets from port 53 get here, so other traffic pays one comparison. TCP responses are
/// read when a segment holds whole messages from its start (the common case of a response in
/// one segment); a message split over segments is counted, not reassembled.
struct DNSObserver {
    var parser = DNSResponseParser()
    var statistics = DNSStatistics()
    /// Equal name lists share one box: the deciding thread then compares them by identity.
    var interned = NameListInterner(capacity: 1 << 14)

    /// Appends the answers of the response in `frame` to `resolutions`, each at `position`.
    mutating func observe(_ frame: UnsafeRawBufferPointer, _ packet: DecodedPacket, time: UInt64,
                          position: Int, into resolutions: inout [AddressResolution]) {
        guard packet.payloadEnd > packet.payloadStart, !packet.isLaterFragment else { return }
        let payload = UnsafeRawBufferPointer(rebasing: frame[packet.payloadStart..<packet.payloadEnd])
        let client = packet.ipVersion == 4
            ? IPAddress(ipv4: UInt32(truncatingIfNeeded: packet.destinationLow))
            : IPAddress(ipv6High: packet.destinationHigh, low: packet.destinationLow)
        if packet.ipProtocol == 17 {
            if packet.payloadCut || packet.isFirstFragment {
                statistics.cut &+= 1
                return
            }
            read(payload, client: client, time: time, position: position, into: &resolutions)
        } else if packet.ipProtocol == 6 {
            var offset = 0
            while offset + 2 <= payload.count {
                let length = Int(payload[offset]) << 8 | Int(payload[offset + 1])
                guard length > 0, offset + 2 + length <= payload.count else {
                    statistics.tcpPartial &+= 1
                    return
                }
                read(UnsafeRawBufferPointer(rebasing: payload[(offset + 2)..<(offset + 2 + length)]), client: client, time: time,
                     position: position, into: &resolutions)
                offset += 2 + length
            }
            if offset < payload.count { statistics.tcpPartial &+= 1 }
        }
    }

    private mutating func read(_ message: UnsafeRawBufferPointer, client: IPAddress, time: UInt64,
                               position: Int, into resolutions: inout [AddressResolution]) {
        switch parser.parse(message) {
        case .response:
            statistics.responses &+= 1
            if parser.truncatedFlag { statistics.truncated &+= 1 }
            statistics.addressAnswers &+= UInt64(parser.raw.answers.count)
            for answer in parser.raw.answers {
                resolutions.append(AddressResolution(client: client, address: answer.address,
                                                     names: interned.intern(answer, of: parser.raw),
                                                     seen: time, ttlSeconds: answer.ttl, position: UInt64(position)))
            }
        case .notResponse:
            break
        case .malformed:
            statistics.malformed &+= 1
        }
    }
}

/// DNS responses the capture decoded.
public struct DNSStatistics: Hashable, Sendable {
    /// Responses decoded (from port 53, UDP or TCP).
    public var responses: UInt64 = 0
    /// A and AAAA answers among them.
    public var addressAnswers: UInt64 = 0
    /// Responses with the TC bit (the server cut the answer; the client retries over TCP).
    public var truncated: UInt64 = 0
    /// Messages that broke the format (counted, nothing of them used).
    public var malformed: UInt64 = 0
    /// UDP responses the capture did not hold whole (snap length, fragments).
    public var cut: UInt64 = 0
    /// TCP segments holding part of a message.
    public var tcpPartial: UInt64 = 0

    public init() {}

    public var isEmpty: Bool { self == DNSStatistics() }
}
