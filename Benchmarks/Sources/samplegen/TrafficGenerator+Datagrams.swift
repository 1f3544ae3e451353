import FlowCore

/// Scripts without a handshake: a DNS question and answer, unanswered UDP requests, and ICMP
/// echo (answered or dropped).
extension TrafficGenerator {
    /// Query from the client, answer after the resolver's time.
    mutating func stepDNS(_ f: inout ActiveFlow) -> Int {
        let query = f.packetsLeft == 2
        f.packetsLeft -= 1
        if f.packetsLeft > 0 {
            f.due += f.roundTrip + random.exponential(mean: 0.0004)
        } else {
            f.phase = .done
        }
        let hop = self.hop(&f, fromClient: query)
        let l4 = 14 + (f.isIPv6 ? 40 : 20)
        let messageLength = dnsNames.writeMessage(into: encoder, at: l4 + 8, name: Int(f.dnsName), id: f.identifier,
                                                  ipv6: f.isIPv6, answer: !query)
        return udpDatagram(f, hop: hop, fromClient: query, payload: messageLength)
    }

    /// NTP client requests to a server that never answers (the drop happens before it).
    mutating func stepUnansweredUDP(_ f: inout ActiveFlow) -> Int {
        f.packetsLeft -= 1
        f.due += 1.0 + random.unit()
        if f.packetsLeft <= 0 { f.phase = .done }
        let hop = self.hop(&f, fromClient: true)
        let l4 = 14 + (f.isIPv6 ? 40 : 20)
        // NTPv4 client mode header, then zeros and a transmit timestamp.
        encoder.fillPayload(at: l4 + 8, count: 48, text: false, salt: UInt32(f.identifier))
        encoder.put32(l4 + 8, 0x2300_0000)
        return udpDatagram(f, hop: hop, fromClient: true, payload: 48)
    }

    /// Echo requests one second apart; replies follow a round trip later unless dropped.
    mutating func stepEcho(_ f: inout ActiveFlow) -> Int {
        let answered = f.shape == .icmpEcho
        let isReply = answered && f.packetsLeft % 2 == 1
        f.packetsLeft -= 1
        if f.packetsLeft <= 0 {
            f.phase = .done
        } else if answered && !isReply {
            f.due += f.roundTrip
        } else {
            f.due += 1.0 - (answered ? f.roundTrip : 0)
        }
        if !isReply { f.echoSequence &+= 1 }
        let hop = self.hop(&f, fromClient: !isReply)
        let v6 = f.isIPv6
        let l4Length = 8 + 56
        let l4 = encoder.writeHeaders(hop, protocol: v6 ? 58 : 1, l4Length: l4Length)
        let type: UInt8 = v6 ? (isReply ? 129 : 128) : (isReply ? 0 : 8)
        encoder.put8(l4, type)
        encoder.put8(l4 + 1, 0)
        encoder.put16(l4 + 2, 0)
        encoder.put16(l4 + 4, f.identifier)
        encoder.put16(l4 + 6, f.echoSequence)
        encoder.fillPayload(at: l4 + 8, count: 56, text: false, salt: UInt32(f.echoSequence))
        return encoder.finish(hop, protocol: v6 ? 58 : 1, l4Offset: l4, l4Length: l4Length, checksumOffset: 2)
    }

    /// Wraps the `payload` bytes already written after the UDP header's place.
    private func udpDatagram(_ f: ActiveFlow, hop: FrameEncoder.Hop, fromClient: Bool, payload: Int) -> Int {
        let l4Length = 8 + payload
        let l4 = encoder.writeHeaders(hop, protocol: 17, l4Length: l4Length)
        encoder.put16(l4, fromClient ? f.clientPort : f.serverPort)
        encoder.put16(l4 + 2, fromClient ? f.serverPort : f.clientPort)
        encoder.put16(l4 + 4, UInt16(l4Length))
        return encoder.finish(hop, protocol: 17, l4Offset: l4, l4Length: l4Length, checksumOffset: 6)
    }
}
