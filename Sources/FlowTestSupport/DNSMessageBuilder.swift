import FlowCore

/// Builds DNS response messages (RFC 1035 wire format, names uncompressed) for tests and the
/// fuzzer's seed corpus.
public enum DNSMessageBuilder {
    public enum Record {
        case a(String, IPAddress, ttl: UInt32)
        case aaaa(String, IPAddress, ttl: UInt32)
        case cname(String, String, ttl: UInt32)
        /// Any other type, with raw data (skipped by readers that want addresses).
        case other(String, type: UInt16, data: [UInt8], ttl: UInt32)
    }

    /// A response to one question of type `questionType` (1 = A, 28 = AAAA).
    public static func response(id: UInt16 = 0x1234, question: String, questionType: UInt16 = 1, answers: [Record],
                                truncated: Bool = false, responseCode: UInt8 = 0) -> [UInt8] {
        let flags: UInt16 = 0x8180 | (truncated ? 0x0200 : 0) | UInt16(responseCode & 0xF)
        var m = PacketBuilder.be16(id) + PacketBuilder.be16(flags) + PacketBuilder.be16(1)
            + PacketBuilder.be16(UInt16(answers.count)) + PacketBuilder.be16(0) + PacketBuilder.be16(0)
        m += name(question) + PacketBuilder.be16(questionType) + PacketBuilder.be16(1)
        for record in answers {
            switch record {
            case let .a(owner, address, ttl):
                m += name(owner) + PacketBuilder.be16(1) + PacketBuilder.be16(1) + PacketBuilder.be32(ttl)
                    + PacketBuilder.be16(4) + PacketBuilder.be32(UInt32(truncatingIfNeeded: address.low))
            case let .aaaa(owner, address, ttl):
                m += name(owner) + PacketBuilder.be16(28) + PacketBuilder.be16(1) + PacketBuilder.be32(ttl)
                    + PacketBuilder.be16(16) + PacketBuilder.be64(address.high) + PacketBuilder.be64(address.low)
            case let .cname(owner, target, ttl):
                let data = name(target)
                m += name(owner) + PacketBuilder.be16(5) + PacketBuilder.be16(1) + PacketBuilder.be32(ttl)
                    + PacketBuilder.be16(UInt16(data.count)) + data
            case let .other(owner, type, data, ttl):
                m += name(owner) + PacketBuilder.be16(type) + PacketBuilder.be16(1) + PacketBuilder.be32(ttl)
                    + PacketBuilder.be16(UInt16(data.count)) + data
            }
        }
        return m
    }

    /// A query (QR bit clear) for `name`.
    public static func query(id: UInt16 = 0x1234, name text: String, type: UInt16 = 1) -> [UInt8] {
        PacketBuilder.be16(id) + PacketBuilder.be16(0x0100) + PacketBuilder.be16(1) + PacketBuilder.be16(0)
            + PacketBuilder.be16(0) + PacketBuilder.be16(0) + name(text) + PacketBuilder.be16(type) + PacketBuilder.be16(1)
    }

    /// `www.example.com` as length-prefixed labels ending in a zero byte.
    public static func name(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        for label in text.split(separator: ".") {
            out.append(UInt8(label.utf8.count))
            out += Array(label.utf8)
        }
        return out + [0]
    }
}
