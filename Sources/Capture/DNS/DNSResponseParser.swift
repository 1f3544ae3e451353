import FlowCore

/// Reads the address answers out of one DNS response message (RFC 1035 §4, AAAA per RFC 3596).
///
/// ```text
/// message
///   0 id u16   2 flags u16 (QR bit 15 = response, TC bit 9 = truncated, RCODE bits 0–3)
///   4 question count u16   6 answer count u16   8 authority count u16   10 additional count u16
///  12 questions: name, type u16, class u16
///     answers:   name, type u16, class u16, TTL u32, data length u16, data
///     (authority and additional records are not read: glue addresses are no answer)
/// name
///   labels: length byte 1…63 then that many bytes, ending with a 0 byte; or, at any point,
///   a compression pointer: two bytes 0b11xxxxxx xxxxxxxx, the offset of the rest of the name
///   in the message
/// ```
///
/// Only answers of class IN matter: A (type 1, 4 bytes), AAAA (28, 16 bytes) and CNAME (5, a
/// name). An address's names are the head of its CNAME chain (normally the question's name),
/// then every name of the chain down to the record's owner; the chain's smallest TTL is the
/// answer's TTL.
///
/// Everything is bounds-checked against the message: names are at most 255 bytes, compression
/// pointers must point backwards (so they cannot loop) and at most 64 are followed per name,
/// record counts are capped; a message that breaks any rule is reported, never trusted in part.
/// The parser keeps its scratch arrays between messages (one parser per capture thread).
public struct DNSResponseParser: Sendable {
    /// An address and the names a response linked to it.
    public struct AddressAnswer: Hashable, Sendable {
        public var address: IPAddress
        /// The queried name first, then the CNAME chain down to the record's owner; lowercase.
        public var names: [String]
        /// Seconds the answer may be cached (the smallest TTL along the chain).
        public var ttl: UInt32

        public init(address: IPAddress, names: [String], ttl: UInt32) {
            self.address = address
            self.names = names
            self.ttl = ttl
        }
    }

    public enum Outcome: Equatable, Sendable {
        /// A response (possibly with no address answers, e.g. NXDOMAIN).
        case response
        /// A query, or a message that is not standard DNS (opcode other than QUERY).
        case notResponse
        /// The message breaks the format; `offset` is where in the message.
        case malformed(reason: String, offset: Int)
    }

    /// Caps on what one message may hold (a 64 KiB message could not hold more records anyway,
    /// but the caps bound the work per message).
    public static let maximumQuestions = 4
    public static let maximumAnswers = 256
    public static let maximumNameLength = 255
    public static let maximumPointers = 64
    public static let maximumChain = 16

    /// The address answers of the last message parsed, as text (made from `raw` on each read;
    /// the capture reads `raw` itself, so a list of names it met before costs no string).
    public var answers: [AddressAnswer] {
        raw.answers.map { answer in
            AddressAnswer(address: answer.address,
                          names: raw.chain[Int(answer.chainStart)..<Int(answer.chainEnd)].map { raw.text(of: $0) },
                          ttl: answer.ttl)
        }
    }
    /// Whether the last response had its TC (truncated) bit set.
    public private(set) var truncatedFlag = false

    /// The last message's answers with their names as bytes (see `DNSRawAnswers`).
    private(set) var raw = DNSRawAnswers()
    private var cnames: [(owner: DNSRawAnswers.Span, target: DNSRawAnswers.Span, ttl: UInt32)] = []
    private var addresses: [(owner: DNSRawAnswers.Span, address: IPAddress, ttl: UInt32)] = []

    public init() {}

    private struct Failure: Error {
        let reason: String
        let offset: Int
    }

    /// Parses `message` (the UDP payload, or one TCP message without its length prefix).
    public mutating func parse(_ message: UnsafeRawBufferPointer) -> Outcome {
        raw.removeAll()
        cnames.removeAll(keepingCapacity: true)
        addresses.removeAll(keepingCapacity: true)
        truncatedFlag = false
        do {
            return try parseMessage(message)
        } catch let failure as Failure {
            raw.removeAll()
            return .malformed(reason: failure.reason, offset: failure.offset)
        } catch {
            raw.removeAll()
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
            let (_, next) = try name(m, at: offset)
            guard next + 4 <= m.count else { throw Failure(reason: "question cut short", offset: next) }
            offset = next + 4
        }
        for _ in 0..<answerCount {
            let (owner, next) = try name(m, at: offset)
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
                let (target, end) = try name(m, at: data)
                guard end <= data + length else { throw Failure(reason: "CNAME target runs past its record", offset: data) }
                cnames.append((owner, target, ttl))
            default:
                continue
            }
        }
        for record in addresses {
            // The chain is built from the owner back to the name that was asked for, then turned
            // around: the asked name comes first.
            let start = raw.chain.count
            raw.chain.append(record.owner)
            var head = record.owner
            var ttl = record.ttl
            while raw.chain.count - start <= Self.maximumChain, let link = cnameLinking(to: head, from: start) {
                raw.chain.append(link.owner)
                head = link.owner
                ttl = min(ttl, link.ttl)
            }
            raw.chain[start...].reverse()
            raw.answers.append(DNSRawAnswers.Answer(address: record.address, ttl: ttl, chainStart: Int32(start),
                                                    chainEnd: Int32(raw.chain.count)))
        }
        return .response
    }

    /// The first CNAME record whose target is `name` and whose owner is not yet in the chain
    /// being built (`raw.chain[start...]`).
    private func cnameLinking(to name: DNSRawAnswers.Span, from start: Int) -> (owner: DNSRawAnswers.Span, ttl: UInt32)? {
        for link in cnames where raw.equal(link.target, name) {
            var seen = false
            for i in start..<raw.chain.count where raw.equal(raw.chain[i], link.owner) {
                seen = true
                break
            }
            if !seen { return (link.owner, link.ttl) }
        }
        return nil
    }

    /// A name at `offset`, appended to `raw.bytes` (lowercase ASCII, labels joined by dots, no
    /// trailing dot): its span there and the offset after its in-place part. The text is made in
    /// a buffer on the stack, a byte at a time, and appended once: the array's uniqueness and
    /// capacity checks per byte (or per label) cost more than the bytes.
    private mutating func name(_ m: UnsafeRawBufferPointer, at start: Int) throws -> (DNSRawAnswers.Span, Int) {
        try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.maximumNameLength) { text in
            var written = 0
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
                        let first = raw.bytes.count
                        raw.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: text[..<written]))
                        return (DNSRawAnswers.Span(start: Int32(first), count: Int32(written)), end ?? position + 1)
                    }
                    guard position + 1 + length <= m.count else { throw Failure(reason: "label runs past the message", offset: position) }
                    guard written + length + (written == 0 ? 0 : 1) <= Self.maximumNameLength else {
                        throw Failure(reason: "name longer than \(Self.maximumNameLength) bytes", offset: position)
                    }
                    if written != 0 {
                        text[written] = UInt8(ascii: ".")
                        written += 1
                    }
                    var at = position + 1
                    let labelEnd = at + length
                    while at < labelEnd {
                        let b = m[at]
                        // Host names are printable ASCII (IDNs travel as punycode). Other bytes would
                        // become multi-byte replacement characters and break the 255-byte bound, and a
                        // dot inside a label would make two different names print the same.
                        guard b > 0x20, b < 0x7F, b != UInt8(ascii: ".") else {
                            throw Failure(reason: "label byte 0x\(String(b, radix: 16)) is not printable ASCII", offset: at)
                        }
                        text[written] = b >= 0x41 && b <= 0x5A ? b | 0x20 : b
                        written += 1
                        at += 1
                    }
                    position = labelEnd
                case 0xC0:
                    guard position + 2 <= m.count else { throw Failure(reason: "compression pointer cut short", offset: position) }
                    let target = Int(Self.u16(m, position) & 0x3FFF)
                    // Strictly backwards, below every earlier jump: no loops, bounded work.
                    guard target < lowestTarget else { throw Failure(reason: "compression pointer does not point backwards", offset: position) }
                    pointers += 1
                    guard pointers <= Self.maximumPointers else { throw Failure(reason: "more than \(Self.maximumPointers) compression pointers", offset: position) }
                    if end == nil { end = position + 2 }
                    lowestTarget = target
                    position = target
                default:
                    throw Failure(reason: "reserved label type 0x\(String(length & 0xC0, radix: 16))", offset: position)
                }
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
