import FlowCore
import Testing
@testable import Policy

/// The byte-level searches loading uses in place of Character searches (`ClusterBuilder.group`
/// for an apiVersion's API group, `SelectorExpression.quote` for a selector literal) against
/// the Character way they replace, on random texts mixing ASCII, the searched byte, combining
/// marks (which make a `/` or `"` part of a larger Character) and other non-ASCII text.
@Suite struct ByteSearchFastPathTests {
    /// The plain paths: Character searches, as loading did them.
    static func plainGroup(_ apiVersion: String) -> String {
        apiVersion.contains(Character("/")) ? apiVersion.split(separator: "/").first.map(String.init) ?? "" : (apiVersion == "v1" ? "v1" : "")
    }

    static func plainQuote(_ v: String) -> String { v.contains(Character("\"")) ? "'\(v)'" : "\"\(v)\"" }

    static func randomText(_ rng: inout SplitMix64, around special: String) -> String {
        let pieces = [special, special, "v1", "v", "1", "networking.k8s.io", "projectcalico.org", "a", " ", "\u{301}", "\u{308}",
                      "é", "e\u{301}", "\u{1F600}", "\r", "\n", "\r\n", "ß", "\u{200D}", "'", "x"]
        var text = ""
        for _ in 0..<Int(rng.next() % 8) { text += pieces[Int(rng.next() % UInt64(pieces.count))] }
        return text
    }

    @Test func apiGroupMatchesTheCharacterSplit() {
        var rng = SplitMix64(seed: 0xA91)
        var fixed = ["", "v1", "v2", "/", "//", "/v1", "v1/", "a//b", "networking.k8s.io/v1", "projectcalico.org/v3",
                     "policy.networking.k8s.io/v1alpha1", "/\u{301}v1", "a/\u{301}", "é/v1", "\u{301}/x"]
        for _ in 0..<20_000 { fixed.append(Self.randomText(&rng, around: "/")) }
        var asciiWithSlash = 0
        for text in fixed {
            #expect(ClusterBuilder.group(ofAPIVersion: text) == Self.plainGroup(text), "\(text.debugDescription)")
            if text.utf8.allSatisfy({ $0 < 0x80 }), text.utf8.contains(UInt8(ascii: "/")) { asciiWithSlash += 1 }
        }
        // The byte path (ASCII with a slash) was exercised, not only the fallback.
        #expect(asciiWithSlash > 1_000)
    }

    @Test func selectorQuoteMatchesTheCharacterSearch() {
        var rng = SplitMix64(seed: 0x0B7E)
        var fixed = ["", "\"", "a\"b", "\"\u{301}", "x\"\u{308}y", "plain", "it's", "\u{1F600}\""]
        for _ in 0..<20_000 { fixed.append(Self.randomText(&rng, around: "\"")) }
        for text in fixed {
            #expect(SelectorExpression.quote(text) == Self.plainQuote(text), "\(text.debugDescription)")
        }
    }
}
