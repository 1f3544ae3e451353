import FlowCore
import Testing
@testable import Reports

@Suite struct PrivateNetworksTests {
    let standard = PrivateNetworks.standard
    func p(_ text: String) -> IPPrefix { IPPrefix(text)! }

    @Test func containmentIsOfTheWholeRange() {
        #expect(standard.covers(p("10.0.0.0/8")))
        #expect(standard.covers(p("10.20.0.0/16")))
        #expect(!standard.covers(p("10.0.0.0/7")))
        #expect(!standard.covers(p("0.0.0.0/0")))
        #expect(standard.covers(p("100.64.0.0/10")) && standard.covers(p("169.254.1.0/24")) && standard.covers(p("127.0.0.1/32")))
        #expect(standard.covers(p("fd00::/8")) && standard.covers(p("fc00::/7")) && standard.covers(p("fe80::/64")))
        #expect(!standard.covers(p("2001:db8::/32")) && !standard.covers(p("::/0")))
    }

    @Test func excludedNetsAndAdjacentRangesCombine() {
        // 11.0.0.0/8 removed by notNets leaves 10.0.0.0/8: private.
        #expect(standard.covers(p("10.0.0.0/7"), excluding: [p("11.0.0.0/8")]))
        #expect(!standard.covers(p("10.0.0.0/7"), excluding: [p("11.0.0.0/9")]))
        let two = PrivateNetworks(prefixes: [p("192.168.0.0/17"), p("192.168.128.0/17")])
        #expect(two.covers(p("192.168.0.0/16")))
        #expect(!two.covers(p("192.168.0.0/15")))
    }

    @Test func calicosReadingLooksAtTheNetworkAddressOnly() {
        #expect(PrivateNetworks.calicoCallsPrivate(p("10.0.0.0/7")))
        #expect(!PrivateNetworks.calicoCallsPrivate(p("fd00::/8")))
        #expect(!PrivateNetworks.calicoCallsPrivate(p("100.64.0.0/10")))
    }
}
