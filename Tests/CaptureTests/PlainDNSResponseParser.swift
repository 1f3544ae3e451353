import Capture
import FlowCore

/// The DNS response reader as it was before names were read as bytes: every name made a
/// string, every chain an array. Kept as the plain reading the parser's byte spans are
/// compared with (`DNSRawAnswersTests`); same rules, same messages, same reasons and offsets.
struct PlainDNSResponseParser {
    typealias AddressAnswer = DNSResponseParser.AddressAnswer
    typealias Outcome = DNSResponseParser.Outcome

    /// Caps on what one message may hold (a 64 KiB message could not hold more records anyway,
    /// but the caps bound the work per message).
    static let maximumQuestions = 4
    static let maximumAnswers = 256
    static let maximumNameLength = 255
    static let maximumPointers = 64
    static let maximumChain = 16

    /// The address answers of the last message parsed.
    private(set) var answers: [AddressAnswer] = []
    /// Whether the last response had its TC (truncated) bit set.
    private(set) var truncatedFlag = false

    private var cnames: [(owner: String, target: String, ttl: UInt32)] = []
    private var addresses: [(owner: String, address: IPAddress, ttl: UInt32)] = []

    init() {}

    private struct Failure: Error {
        let reason: String
        let offset: Int
    }

    /// Parses `message` (the UDP payload, or one TCP message without its length prefix).
    mutating func parse(_ message: UnsafeRawBufferPointer) -> Outcome {
        answers.removeAll(keepingCapacity: true)
        cnames.removeAll(keepingCapacity: true)
        addresses.removeAll(keepingCapacity: true)
        truncatedFlag = false
        do {
            return try parseMessage(message)
        } catch let failure as Failure {
            answers.removeAll(keepingCapacity: true)
            return .malformed(reason: failure.reason, offset: failure.offset)
        } catch {
            answers.removeAll(keepingCapacity: true)
            return .malformed(reason: "\(error)", offset: 0)
        }
    }

    private mutating func parseMessage(_ m: UnsafeRawBufferPointer) throws -> Outcome {
        guard m.count >= 12 else { throw Failure(reason: "message shorter than its 12-byte header", offset: 0) }
        let flags = Self.u16(m, 2)
        guard flags & 0x8000 != 0, (flags >> 11) & 0xF == 0 else { return .notResponse }
        truncatedFlag = flags & 0x0200 != 0
        let questionCount = Int(Self.u16(m, 4)), answerCount = Int(Self.u16(m, 6))
        guard questionCount <= Self.maximumQuestions else {
            throw Failure(reason: "\(questionCount) questions; at most \(Self.maximumQuestions) are read", offset: 4)
        }
        guard answerCount <= Self.maximumAnswers else {
            throw Failure(reason: "\(answerCount) answers; at most \(Self.maximumAnswers) are read", offset: 6)
        }
        var offset = 12
        for _ in 0..<questionCount {
            let (_, next) = try Self.name(m, at: offset)
            guard next + 4 <= m.count else { throw Failure(reason: "question cut short", offset: next) }
            offset = next + 4
        }
        for _ in 0..<answerCount {
            let (owner, next) = try Self.name(m, at: offset)
            guard next + 10 <= m.count else { throw Failure(reason: "answer record header cut short", offset: next) }
            let type = Self.u16(m, next), klass = Self.u16(m, next + 2)
            let ttl = UInt32(Self.u16(m, next + 4)) << 16 | UInt32(Self.u16(m, next + 6))
            let length = Int(Self.u16(m, next + 8))
            let data = next + 10
            guard data + length <= m.count else { throw Failure(reason: "answer data cut short", offset: data) }
            offset = data + length
            guard klass == 1 else { continue }
            switch type {
            case 1:
                guard length == 4 else { throw Failure(reason: "A record of \(length) bytes", offset: data) }
                addresses.append((owner, IPAddress(ipv4: UInt32(Self.u16(m, data)) << 16 | UInt32(Self.u16(m, data + 2))), ttl))
            case 28:
                guard length == 16 else { throw Failure(reason: "AAAA record of \(length) bytes", offset: data) }
                addresses.append((owner, IPAddress(ipv6High: Self.u64(m, data), low: Self.u64(m, data + 8)), ttl))
            case 5:
                let (target, end) = try Self.name(m, at: data)
                guard end <= data + length else { throw Failure(reason: "CNAME target runs past its record", offset: data) }
                cnames.append((owner, target, ttl))
            default:
                continue
            }
        }
        for record in addresses {
            var chain = [record.owner]
            var ttl = record.ttl
            // Walk back from the owner to the name that was asked for.
            while chain.count <= Self.maximumChain,
                  let link = cnames.first(where: { $0.target == chain[0] && !chain.contains($0.owner) }) {
                chain.insert(link.owner, at: 0)
                ttl = min(ttl, link.ttl)
            }
            answers.append(AddressAnswer(address: record.address, names: chain, ttl: ttl))
        }
        return .response
    }

    /// A name at `offset`: the text (lowercase ASCII, labels joined by dots, no trailing dot)
    /// and the offset after its in-place part.
    static func name(_ m: UnsafeRawBufferPointer, at start: Int) throws -> (String, Int) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64)
        var position = start
        var end: Int?
        var pointers = 0
        var lowestTarget = start
        while true {
            guard position < m.count else { throw Failure(reason: "name runs past the message", offset: position) }
            let length = Int(m[position])
            switch length & 0xC0 {
            case 0x00:
                if length == 0 {
                    return (String(decoding: bytes, as: UTF8.self), end ?? position + 1)
                }
                guard position + 1 + length <= m.count else { throw Failure(reason: "label runs past the message", offset: position) }
                guard bytes.count + length + (bytes.isEmpty ? 0 : 1) <= maximumNameLength else {
                    throw Failure(reason: "name longer than \(maximumNameLength) bytes", offset: position)
                }
                if !bytes.isEmpty { bytes.append(UInt8(ascii: ".")) }
                for i in 0..<length {
                    let b = m[position + 1 + i]
                    // Host names are printable ASCII (IDNs travel as punycode). Other bytes would
                    // become multi-byte replacement characters and break the 255-byte bound, and a
                    // dot inside a label would make two different names print the same.
                    guard b > 0x20, b < 0x7F, b != UInt8(ascii: ".") else {
                        throw Failure(reason: "label byte 0x\(String(b, radix: 16)) is not printable ASCII", offset: position + 1 + i)
                    }
                    bytes.append(b >= 0x41 && b <= 0x5A ? b | 0x20 : b)
                }
                position += 1 + length
            case 0xC0:
                guard position + 2 <= m.count else { throw Failure(reason: "compression pointer cut short", offset: position) }
                let target = Int(u16(m, position) & 0x3FFF)
                // Strictly backwards, below every earlier jump: no loops, bounded work.
                guard target < lowestTarget else { throw Failure(reason: "compression pointer does not point backwards", offset: position) }
                pointers += 1
                guard pointers <= maximumPointers else { throw Failure(reason: "more than \(maximumPointers) compression pointers", offset: position) }
                if end == nil { end = position + 2 }
                lowestTarget = target
                position = target
            default:
                throw Failure(reason: "reserved label type 0x\(String(length & 0xC0, radix: 16))", offset: position)
            }
        }
    }

    @inline(__always) static func u16(_ m: UnsafeRawBufferPointer, _ o: Int) -> UInt16 {
        UInt16(m[o]) << 8 | UInt16(m[o + 1])
    }

    @inline(__always) static func u64(_ m: UnsafeRawBufferPointer, _ o: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<8 { v = v << 8 | UInt64(m[o + i]) }
        return v
    }
}
