@testable import Capture
import FlowCore
import FlowTestSupport
import Testing

/// The parser reads names as byte spans and the capture interns lists by those bytes; both are
/// compared here with the plain reading (`PlainDNSResponseParser`, a string per name, a
/// dictionary of string lists) on random responses: compressed names, CNAME chains with loops
/// and shared tails, mixed case, and damaged copies of each.
@Suite struct DNSRawAnswersTests {
    /// Names short enough that lists of them run together without a separator
    /// (`["ab", "c"]` and `["a", "bc"]`), and ones sharing suffixes for the compression.
    static let pool = ["a", "ab", "b", "bc", "c", "x.a", "www.example.com", "cdn.example.com", "example.com",
                       "Api.Example.com", "s3.eu.example.com", "eu.example.com", "db.svc.cluster.local",
                       "svc.cluster.local", "A.B", "a.bc", "ab.c"]

    /// A response with random A, AAAA, CNAME and other records over `pool`, names compressed at
    /// random to the longest suffix already written (as servers do).
    static func randomMessage(_ rng: inout SplitMix64) -> [UInt8] {
        var m = PacketBuilder.be16(UInt16(truncatingIfNeeded: rng.next())) + PacketBuilder.be16(rng.below(8) == 0 ? 0x0100 : 0x8180 | UInt16(rng.below(2)) << 9)
        let questions = Int(rng.below(3)), answers = Int(rng.below(7))
        m += PacketBuilder.be16(UInt16(questions)) + PacketBuilder.be16(UInt16(answers)) + PacketBuilder.be16(0) + PacketBuilder.be16(0)
        var written: [String: Int] = [:]
        func name(_ text: String, _ rng: inout SplitMix64) -> [UInt8] {
            let labels = text.split(separator: ".").map(String.init)
            var out: [UInt8] = []
            for i in labels.indices {
                let rest = labels[i...].joined(separator: ".")
                if let at = written[rest.lowercased()], rng.below(2) == 0, at < 0x3FFF {
                    return out + [0xC0 | UInt8(at >> 8), UInt8(at & 0xFF)]
                }
                written[rest.lowercased()] = m.count + out.count
                let label = String(labels[i].map { rng.below(3) == 0 ? Character($0.uppercased()) : $0 })
                out.append(UInt8(label.utf8.count))
                out += Array(label.utf8)
            }
            return out + [0]
        }
        for _ in 0..<questions {
            m += name(rng.pick(pool), &rng)
            m += PacketBuilder.be16(1) + PacketBuilder.be16(1)
        }
        for _ in 0..<answers {
            m += name(rng.pick(pool), &rng)
            let ttl = PacketBuilder.be32(UInt32(rng.below(5000)))
            switch rng.below(6) {
            case 0, 1:
                m += PacketBuilder.be16(1) + PacketBuilder.be16(1) + ttl + PacketBuilder.be16(4)
                m += PacketBuilder.be32(UInt32(truncatingIfNeeded: rng.next()))
            case 2:
                m += PacketBuilder.be16(28) + PacketBuilder.be16(1) + ttl + PacketBuilder.be16(16)
                m += PacketBuilder.be64(rng.next()) + PacketBuilder.be64(rng.next())
            case 3, 4:
                m += PacketBuilder.be16(5) + PacketBuilder.be16(rng.below(8) == 0 ? 3 : 1) + ttl
                let lengthAt = m.count
                m += [0, 0]
                let target = name(rng.pick(pool), &rng)
                m[lengthAt] = UInt8(target.count >> 8)
                m[lengthAt + 1] = UInt8(target.count & 0xFF)
                m += target
            default:
                m += PacketBuilder.be16(16) + PacketBuilder.be16(1) + ttl + PacketBuilder.be16(3) + [2, 0x68, 0x69]
            }
        }
        return m
    }

    /// Flipped bytes, a cut, or bytes past the end.
    static func damaged(_ message: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var m = message
        switch rng.below(3) {
        case 0:
            for _ in 0...rng.below(3) where !m.isEmpty {
                m[Int(rng.below(UInt64(m.count)))] = UInt8(truncatingIfNeeded: rng.next())
            }
        case 1:
            m = Array(m.prefix(Int(rng.below(UInt64(m.count + 1)))))
        default:
            m += (0..<rng.below(6)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        }
        return m
    }

    @Test func readsWhatThePlainParserReads() {
        var rng = SplitMix64(seed: 0xD25)
        var parser = DNSResponseParser()
        var plain = PlainDNSResponseParser()
        var responses = 0, answers = 0, chains = 0, malformed = 0
        for round in 0..<30_000 {
            let whole = Self.randomMessage(&rng)
            let message = round % 2 == 0 ? whole : Self.damaged(whole, &rng)
            let outcome = message.withUnsafeBytes { parser.parse($0) }
            let expected = message.withUnsafeBytes { plain.parse($0) }
            #expect(outcome == expected, "message \(round): \(message)")
            #expect(parser.truncatedFlag == plain.truncatedFlag, "message \(round)")
            #expect(parser.answers == plain.answers, "message \(round): \(message)")
            // What the capture reads: the raw spans, one answer each.
            #expect(parser.raw.answers.count == plain.answers.count, "message \(round)")
            if outcome == .response { responses += 1 }
            if case .malformed = outcome { malformed += 1 }
            answers += plain.answers.count
            chains += plain.answers.filter { $0.names.count > 1 }.count
            if outcome != expected || parser.answers != plain.answers { return }
        }
        // The messages exercise what they should.
        #expect(responses > 5_000 && malformed > 5_000 && answers > 10_000 && chains > 1_000,
                "responses \(responses), malformed \(malformed), answers \(answers), chains \(chains)")
    }

    /// The interner hands out the names a list of strings makes, and one box per list until it
    /// starts afresh exactly when a dictionary of its capacity emptied whole would.
    @Test(arguments: [1, 7, 1 << 14])
    func internsAsADictionaryOfStringListsWould(capacity: Int) {
        var rng = SplitMix64(seed: 0x1A7E ^ UInt64(capacity))
        var parser = DNSResponseParser()
        var interner = NameListInterner(capacity: capacity)
        var plain: [[String]: DomainNames] = [:]
        var boxes: [[String]: ObjectIdentifier] = [:]
        var lists = 0, shared = 0
        for round in 0..<20_000 {
            let message = Self.randomMessage(&rng)
            guard message.withUnsafeBytes({ parser.parse($0) }) == .response else { continue }
            for (answer, text) in zip(parser.raw.answers, parser.answers) {
                let names = interner.intern(answer, of: parser.raw)
                lists += 1
                #expect(names == DomainNames(text.names), "message \(round): \(names.names) for \(text.names)")
                #expect(names.names == DomainNames(text.names).names, "message \(round)")
                if plain[text.names] == nil {
                    if plain.count >= capacity {
                        plain.removeAll()
                        boxes.removeAll()
                    }
                    plain[text.names] = names
                    // A new list gets a box no other list holds.
                    #expect(!boxes.values.contains(names.storageIdentity!), "message \(round): \(text.names)")
                    boxes[text.names] = names.storageIdentity
                } else {
                    shared += 1
                    #expect(names.storageIdentity == boxes[text.names], "message \(round): \(text.names) got another box")
                }
                #expect(interner.count == plain.count, "message \(round)")
            }
        }
        #expect(lists > 10_000 && shared > 1_000, "lists \(lists), found again \(shared)")
    }
}
