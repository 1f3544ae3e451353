import FlowCore
@testable import Policy
import Testing

/// Pod addresses are read from their bytes (`ManifestAddressText`); `IPAddress(_:)` stays the
/// reference. On random address texts, valid and damaged, the byte reader must accept only
/// what `IPAddress(_:)` accepts, with the same value, and the loader's address must always be
/// `IPAddress(_:)`'s.
struct ManifestAddressTextTests {
    func quick(_ text: String) -> IPAddress? {
        var text = text
        return text.withUTF8 { ManifestAddressText.quickAddress($0) }
    }

    func randomText(_ random: inout SplitMix64) -> String {
        func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }
        func hexGroup() -> String {
            var text = String(UInt16(truncatingIfNeeded: random.next() % 4 == 0 ? random.next() % 16 : random.next()), radix: 16,
                              uppercase: random.next() % 3 == 0)
            while text.count < 4 && random.next() % 4 == 0 { text = "0" + text }
            return text
        }
        var text: String
        switch random.next() % 4 {
        case 0:
            text = (0..<4).map { _ in
                var octet = String(random.next() % 3 == 0 ? random.next() % 10 : random.next() % 300)
                if random.next() % 8 == 0 { octet = "0" + octet }
                return octet
            }.joined(separator: ".")
        case 1, 2:
            var groups = (0..<8).map { _ in random.next() % 3 == 0 ? "0" : hexGroup() }
            if random.next() % 4 == 0 { groups[6...7] = ["\(random.next() % 256).\(random.next() % 256)", "\(random.next() % 256).\(random.next() % 256)"] ; groups.removeLast() }
            if random.next() % 2 == 0 {
                let start = Int(random.next() % UInt64(groups.count)), length = Int(random.next() % UInt64(groups.count - start + 1))
                groups.replaceSubrange(start..<(start + length), with: [""])
                text = groups.joined(separator: ":")
                if text.hasPrefix(":") && !text.hasPrefix("::") { text = ":" + text }
                if text.hasSuffix(":") && !text.hasSuffix("::") { text += ":" }
            } else {
                text = groups.joined(separator: ":")
            }
        default:
            let alphabet: [Character] = Array("0123456789abcdefABCDEF:.:.+- xg") + ["\u{301}", "١", "\r\n"]
            text = String((0..<Int(random.next() % 45)).map { _ in pick(alphabet) })
        }
        // Damage some: a character dropped, doubled or replaced.
        if random.next() % 4 == 0 && !text.isEmpty {
            var characters = Array(text)
            let at = Int(random.next() % UInt64(characters.count))
            switch random.next() % 3 {
            case 0: characters.remove(at: at)
            case 1: characters.insert(characters[at], at: at)
            default: characters[at] = pick(Array("0f:.g+-") + ["\u{301}"])
            }
            text = String(characters)
        }
        return text
    }

    @Test func theByteReaderAcceptsOnlyWhatIPAddressAcceptsWithTheSameValue() {
        var random = SplitMix64(seed: 0xADD_2E55)
        var quickly = 0, addresses = 0
        for _ in 0..<40_000 {
            let text = randomText(&random)
            let reference = IPAddress(text)
            if let fast = quick(text) {
                quickly += 1
                #expect(fast == reference, "\(text.debugDescription): \(fast) against \(reference.map { "\($0)" } ?? "not an address")")
            }
            #expect(ManifestAddressText.address(text) == reference, "\(text.debugDescription)")
            if reference != nil { addresses += 1 }
        }
        // Most addresses are read by bytes; the rest (embedded IPv4 tails) by IPAddress.
        #expect(addresses > 15_000)
        #expect(quickly > addresses * 3 / 4)
    }

    @Test func knownTexts() {
        let cases: [(String, String?)] = [
            ("10.0.0.1", "10.0.0.1"), ("010.0.0.1", "10.0.0.1"), ("255.255.255.255", "255.255.255.255"),
            ("256.0.0.1", nil), ("1.2.3", nil), ("1.2.3.4.", nil), ("0255.1.1.1", nil),
            ("::", "::"), ("::1", "::1"), ("1::", "1::"), ("fd00::1:2", "fd00::1:2"), ("FD00:0:0:0:0:0:0:1", "fd00::1"),
            ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"), ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"), ("::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"),
            ("1:2:3:4:5:6:7:8:9", nil), ("1::2::3", nil), (":::", nil), ("1:", nil), (":1", nil), ("12345::", nil),
            ("::ffff:10.0.0.1", "::ffff:10.0.0.1"), ("", nil), (" 10.0.0.1", nil),
        ]
        for (text, expected) in cases {
            let parsed = ManifestAddressText.address(text)
            #expect(parsed == IPAddress(text), "\(text)")
            #expect(parsed.map { "\($0)" } == expected.flatMap { IPAddress($0) }.map { "\($0)" }, "\(text)")
        }
    }
}
