import Capture
import FlowCore
import FlowTestSupport
import Testing

/// The DNS response reader on hand-built messages: what it takes from them, and that broken
/// messages are reported, never trusted in part and never crash it.
@Suite struct DNSResponseParserTests {
    private func parse(_ bytes: [UInt8]) -> (DNSResponseParser.Outcome, [DNSResponseParser.AddressAnswer], Bool) {
        var parser = DNSResponseParser()
        let outcome = bytes.withUnsafeBytes { parser.parse($0) }
        return (outcome, parser.answers, parser.truncatedFlag)
    }

    private let v4 = { (s: String) in IPAddress(s)! }

    /// Label bytes outside printable ASCII are malformed: decoded as text they would grow past
    /// the 255-byte name bound (a fuzzer found such a name of 262 bytes), and a dot inside a
    /// label would print like two labels.
    @Test func nonPrintableLabelBytesAreMalformed() {
        for bad: UInt8 in [0x00 + 1, 0x20, 0x2E, 0x7F, 0x80, 0xFF] {
            var m = DNSMessageBuilder.response(question: "abc.example.org", answers: [
                .a("abc.example.org", v4("192.0.2.1"), ttl: 60),
            ])
            // The question's first label starts after the 12-byte header and its length byte.
            m[13] = bad
            let (outcome, answers, _) = parse(m)
            var malformed = false
            if case .malformed = outcome { malformed = true }
            #expect(malformed, "byte 0x\(String(bad, radix: 16)) accepted: \(outcome)")
            #expect(answers.isEmpty)
        }
    }

    @Test func cnameChainGivesEveryNameDownToTheAddress() {
        let m = DNSMessageBuilder.response(question: "Upload.Wikimedia.org", answers: [
            .cname("upload.wikimedia.org", "upload.pmtpa.wikimedia.org", ttl: 300),
            .a("upload.pmtpa.wikimedia.org", v4("208.80.152.3"), ttl: 60),
            .a("upload.pmtpa.wikimedia.org", v4("208.80.152.4"), ttl: 3600),
        ])
        let (outcome, answers, truncated) = parse(m)
        #expect(outcome == .response && !truncated)
        #expect(answers.map(\.address) == [v4("208.80.152.3"), v4("208.80.152.4")])
        #expect(answers[0].names == ["upload.wikimedia.org", "upload.pmtpa.wikimedia.org"])
        // The chain's smallest TTL.
        #expect(answers[0].ttl == 60 && answers[1].ttl == 300)
    }

    @Test func aaaaAndOtherTypes() {
        let m = DNSMessageBuilder.response(question: "v6.example.com", questionType: 28, answers: [
            .other("v6.example.com", type: 16, data: [3, 0x61, 0x62, 0x63], ttl: 5),
            .aaaa("v6.example.com", IPAddress("2001:db8::7")!, ttl: 30),
        ])
        let (outcome, answers, _) = parse(m)
        #expect(outcome == .response)
        #expect(answers.count == 1 && answers[0].address == IPAddress("2001:db8::7")! && answers[0].names == ["v6.example.com"])
    }

    @Test func compressionPointersAreFollowed() {
        // Question "www.example.com" at offset 12; the answer's owner is a pointer to it, and a
        // CNAME target "cdn" + pointer to "example.com" (offset 16).
        var m = PacketBuilder.be16(1) + PacketBuilder.be16(0x8180) + PacketBuilder.be16(1) + PacketBuilder.be16(2)
            + PacketBuilder.be16(0) + PacketBuilder.be16(0)
        m += DNSMessageBuilder.name("www.example.com") + [0, 1, 0, 1]
        m += [0xC0, 12] + [0, 5, 0, 1] + PacketBuilder.be32(100) + PacketBuilder.be16(6) + [3, 0x63, 0x64, 0x6E, 0xC0, 16]
        let cdnOwner = m.count - 6
        m += [0xC0, UInt8(cdnOwner)] + [0, 1, 0, 1] + PacketBuilder.be32(100) + PacketBuilder.be16(4) + [192, 0, 2, 9]
        let (outcome, answers, _) = parse(m)
        #expect(outcome == .response)
        #expect(answers.first?.names == ["www.example.com", "cdn.example.com"])
        #expect(answers.first?.address == v4("192.0.2.9"))
    }

    @Test func truncatedFlagIsReportedAndQueriesAreNotResponses() {
        let tc = DNSMessageBuilder.response(question: "big.example.com", answers: [], truncated: true)
        #expect(parse(tc).0 == .response && parse(tc).2)
        #expect(parse(DNSMessageBuilder.query(name: "x.example.com")).0 == .notResponse)
        // NXDOMAIN: a response without answers.
        let nx = DNSMessageBuilder.response(question: "nope.example.com", answers: [], responseCode: 3)
        #expect(parse(nx).0 == .response && parse(nx).1.isEmpty)
    }

    @Test func brokenMessagesAreMalformedWithAnOffset() {
        func reason(_ bytes: [UInt8]) -> String? {
            if case let .malformed(reason, offset) = parse(bytes).0 {
                #expect(offset >= 0 && offset <= bytes.count)
                return reason
            }
            return nil
        }
        let good = DNSMessageBuilder.response(question: "a.example.com", answers: [.a("a.example.com", v4("192.0.2.1"), ttl: 1)])
        // Every proper prefix of a valid response is rejected, none crashes.
        for cut in 0..<good.count { #expect(reason(Array(good.prefix(cut))) != nil, "prefix \(cut)") }
        // A pointer to itself, and one pointing forward: loops are impossible.
        var loop = Array(good.prefix(12))
        loop[5] = 1
        loop += [0xC0, 12, 0, 1, 0, 1]
        #expect(reason(loop)?.contains("backwards") == true)
        // An A record whose data is not 4 bytes.
        let badA = DNSMessageBuilder.response(question: "a.example.com", answers: [.other("a.example.com", type: 1, data: [1, 2, 3], ttl: 1)])
        #expect(reason(badA)?.contains("A record of 3 bytes") == true)
        // A name longer than 255 bytes.
        let long = (0..<5).map { _ in String(repeating: "x", count: 60) }.joined(separator: ".")
        #expect(reason(DNSMessageBuilder.response(question: long, answers: []))?.contains("longer than 255") == true)
        // Label type bits 01/10 are reserved.
        var reserved = Array(good.prefix(12))
        reserved += [0x40, 0, 0, 1, 0, 1]
        #expect(reason(reserved)?.contains("reserved label type") == true)
        // Too many answers announced.
        var many = good
        many[6] = 0x10
        #expect(reason(many)?.contains("at most 256") == true)
    }

    @Test func aChainOfPointersIsBounded() {
        // The question "q", then (inside an ignored TXT record) name 0 = "a" and names 1…70, each
        // the label "b" and a pointer to the one before. The A record's owner points at name 70:
        // reading it takes 70 jumps, more than the 64 allowed.
        var m = PacketBuilder.be16(1) + PacketBuilder.be16(0x8180) + PacketBuilder.be16(1) + PacketBuilder.be16(2)
            + PacketBuilder.be16(0) + PacketBuilder.be16(0)
        m += DNSMessageBuilder.name("q") + [0, 1, 0, 1]
        var chain: [UInt8] = []
        let dataStart = m.count + 2 + 10  // owner "q"? no: owner is a 2-byte pointer, then 10 header bytes
        var previous = dataStart
        chain += [1, 0x61, 0]
        for _ in 0..<70 {
            let here = dataStart + chain.count
            chain += [1, 0x62] + PacketBuilder.be16(0xC000 | UInt16(previous))
            previous = here
        }
        m += [0xC0, 12] + PacketBuilder.be16(16) + [0, 1] + PacketBuilder.be32(1) + PacketBuilder.be16(UInt16(chain.count)) + chain
        m += PacketBuilder.be16(0xC000 | UInt16(previous)) + [0, 1, 0, 1] + PacketBuilder.be32(1) + PacketBuilder.be16(4) + [192, 0, 2, 1]
        var parser = DNSResponseParser()
        let outcome = m.withUnsafeBytes { parser.parse($0) }
        guard case let .malformed(reason, _) = outcome else {
            Issue.record("expected a malformed message, got \(outcome)")
            return
        }
        #expect(reason.contains("more than 64 compression pointers"))
    }
}
