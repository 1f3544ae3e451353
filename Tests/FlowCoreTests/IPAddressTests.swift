import Testing
@testable import FlowCore

@Suite struct IPAddressTests {
    @Test(arguments: [
        "10.0.1.20", "0.0.0.0", "255.255.255.255",
        "::", "::1", "fe80::1", "2001:db8::8:800:200c:417a", "2001:db8:0:1:1:1:1:1", "fd00:1::",
    ])
    func roundTrips(_ text: String) throws {
        let address = try #require(IPAddress(text))
        #expect(address.description == text)
    }

    @Test func parsesEmbeddedIPv4AndRejectsGarbage() {
        #expect(IPAddress("::ffff:10.1.2.3")?.description == "::ffff:a01:203")
        for bad in ["", "1.2.3", "1.2.3.256", "1.2.3.4.5", "01234.1.1.1", "::1::", "1:2:3:4:5:6:7:8:9", "g::", "1.2.3.-4"] {
            #expect(IPAddress(bad) == nil, "\(bad) should not parse")
        }
    }

    @Test func prefixesContainAndMask() throws {
        let p = try #require(IPPrefix("10.0.0.0/8"))
        #expect(p.contains(IPAddress("10.200.3.4")!))
        #expect(!p.contains(IPAddress("11.0.0.1")!))
        #expect(!p.contains(IPAddress("::a00:1")!))
        let v6 = try #require(IPPrefix("fd00::/8"))
        #expect(v6.contains(IPAddress("fd12:3456::1")!))
        #expect(IPPrefix("10.1.2.3/16")?.description == "10.1.0.0/16")
        #expect(IPPrefix("10.0.0.0/33") == nil)
    }
}

@Suite struct TimestampTests {
    @Test func formatsAndParsesRFC3339() throws {
        let t = Timestamp(seconds: 1_795_417_704, nanoseconds: 123_456_789)
        #expect(t.rfc3339 == "2026-11-23T07:08:24.123456789Z")
        #expect(Timestamp(rfc3339: t.rfc3339) == t)
        #expect(Timestamp(rfc3339: "2026-11-23T08:08:24+01:00")?.seconds == 1_795_417_704)
        #expect(Timestamp(rfc3339: "2026-11-23T07:08:24.5Z")?.nanoseconds == 1_795_417_704_500_000_000)
        #expect(Timestamp(rfc3339: "2026-13-23T07:08:24Z") == nil)
        #expect(Timestamp(rfc3339: "yesterday") == nil)
    }
}

@Suite struct PolicyHitTests {
    @Test func flowLogStringsRoundTrip() throws {
        let hit = PolicyHit(index: 1, tier: "default", kind: .kubernetesNetworkPolicy, namespace: "shop",
                            name: "allow-web", action: .allow, ruleIndex: 0)
        #expect(hit.flowLogString == "1|default|knp:shop/allow-web|allow|0")
        #expect(hit.legacyFlowLogString == "1|default|shop/knp.default.allow-web|allow|0")
        #expect(PolicyHit(flowLogString: hit.flowLogString) == hit)
        let profile = PolicyHit(index: 0, tier: PolicyHit.profileTier, kind: .profile, name: "kns.shop", action: .allow, ruleIndex: 0)
        #expect(profile.flowLogString == "0|__PROFILE__|pro:kns.shop|allow|0")
        #expect(profile.legacyFlowLogString == "0|__PROFILE__|__PROFILE__.kns.shop|allow|0")
        #expect(PolicyHit(flowLogString: profile.flowLogString) == profile)
    }
}

@Suite struct BlockDigestTests {
    func flow(_ src: String, _ dst: String, dport: UInt16, ns: String) -> AnnotatedFlow {
        let f = FlowRecord(sourceAddress: IPAddress(src)!, destinationAddress: IPAddress(dst)!,
                           sourcePort: 40000, destinationPort: dport, ipProtocol: .tcp,
                           start: Timestamp(nanoseconds: 100), end: Timestamp(nanoseconds: 200))
        let id = EndpointIdentity(kind: .workload, namespace: ns, name: "p", aggregatedName: "p*")
        return AnnotatedFlow(flow: f, annotation: FlowAnnotation(source: id, destination: .network(f.destinationAddress), verdict: .allow))
    }

    @Test func answersWithoutFalseNegativesAndPrunes() {
        var digest = BlockDigest()
        for i in 0..<500 { digest.insert(flow("10.0.\(i % 200).\(i % 250)", "8.8.8.8", dport: UInt16(i % 50), ns: "ns\(i % 20)")) }
        digest.seal()
        for i in 0..<20 { #expect(digest.mayContain(.sourceNamespace, "ns\(i)")) }
        for p in 0..<50 { #expect(digest.mayContain(destinationPort: UInt16(p))) }
        #expect(digest.mayContain(.sourcePrefix, addressIn: IPPrefix("10.0.0.0/8")!))
        #expect(digest.mayContain(.destinationPrefix, addressIn: IPPrefix("8.8.8.8/32")!))
        #expect(!digest.mayContain(.destinationPrefix, addressIn: IPPrefix("9.0.0.0/8")!))
        #expect(digest.mayContain(verdict: .allow) && !digest.mayContain(verdict: .deny))
        #expect(digest.mayContain(protocol: .tcp) && !digest.mayContain(protocol: .udp))
        #expect(!digest.mayOverlap(since: Timestamp(nanoseconds: 201), until: nil))
        #expect(digest.mayOverlap(since: Timestamp(nanoseconds: 200), until: Timestamp(nanoseconds: 101)))
        #expect(!digest.mayOverlap(since: nil, until: Timestamp(nanoseconds: 100)))
        let misses = (0..<1000).filter { digest.mayContain(.sourceNamespace, "absent-\($0)") }.count
        #expect(misses < 50, "false-positive rate should be near 1 %, got \(misses)/1000")
    }

    /// Prefix tokens are made once per address and side: an address seen first as a source and
    /// later as a destination still gets its destination tokens, and a flow mixing IP versions
    /// gets both sides' tokens at the source version's lengths, as every flow always did.
    @Test func everyPrefixTokenOfEverySideIsPresent() {
        let flows = [
            flow("10.1.0.1", "10.2.0.1", dport: 80, ns: "a"),
            flow("10.1.0.1", "10.2.0.2", dport: 80, ns: "a"),
            flow("10.2.0.1", "10.1.0.1", dport: 53, ns: "b"),
            flow("fd00::1", "fd00::2", dport: 443, ns: "c"),
            flow("10.1.0.1", "fd00::1", dport: 443, ns: "a"),
            flow("fd00::2", "10.1.0.1", dport: 443, ns: "c"),
        ]
        var digest = BlockDigest()
        for f in flows + flows { digest.insert(f) }
        digest.seal()
        for f in flows {
            let source = f.flow.sourceAddress, destination = f.flow.destinationAddress
            let lengths = source.version == .v4 ? BlockDigest.indexedIPv4PrefixLengths : BlockDigest.indexedIPv6PrefixLengths
            for length in lengths {
                #expect(digest.mayContain(token: BlockDigest.token(.sourcePrefix, prefix: source, length: length)), "\(source)/\(length)")
                #expect(digest.mayContain(token: BlockDigest.token(.destinationPrefix, prefix: destination, length: length)),
                        "\(destination)/\(length)")
            }
        }
    }
}

@Suite struct NetworkIdentityTests {
    @Test(arguments: [
        ("10.1.2.3", "pvt"), ("172.16.0.1", "pvt"), ("172.31.255.255", "pvt"), ("192.168.1.1", "pvt"),
        ("172.32.0.1", "pub"), ("100.64.0.1", "pub"), ("127.0.0.1", "pub"), ("169.254.1.1", "pub"),
        ("8.8.8.8", "pub"), ("fd00::1", "pub"), ("::1", "pub"),
    ])
    func aggregatedNameFollowsFelix(_ text: String, _ expected: String) {
        let identity = EndpointIdentity.network(IPAddress(text)!)
        #expect(identity.kind == .network && identity.namespace == "-")
        #expect(identity.aggregatedName == expected)
    }
}
