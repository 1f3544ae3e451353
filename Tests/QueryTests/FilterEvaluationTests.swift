import FlowCore
import Testing
@testable import Query

/// The compiled filter against the same questions asked directly of the flows in Swift.
@Suite struct FilterEvaluationTests {
    static let flows = SampleFlows.make(count: 3000, seed: 7)

    static func hits(_ a: FlowAnnotation) -> [PolicyHit] {
        [a.egress, a.ingress, a.pendingEgress, a.pendingIngress].compactMap { $0 }.flatMap(\.hits)
    }

    /// The action if staged policies were enforced, worked out from the traces.
    static func pending(_ a: FlowAnnotation) -> Verdict {
        let egress = a.pendingEgress ?? a.egress
        if egress?.action == .deny { return .deny }
        if let ingress = a.pendingIngress ?? (a.egress?.action == .deny ? nil : a.ingress) { return ingress.action }
        return egress?.action ?? .unknown
    }

    /// Filter text and the brute-force meaning of it.
    static let cases: [(String, @Sendable (AnnotatedFlow) -> Bool)] = [
        ("src.namespace shop", { $0.annotation?.source.namespace == "shop" }),
        ("namespace db", { $0.annotation.map { $0.source.namespace == "db" || $0.destination.namespace == "db" } ?? false }),
        ("dst.pod api-*", { $0.annotation?.destination.name.hasPrefix("api-") ?? false }),
        ("src.pod web-1x1", { $0.annotation?.source.name == "web-1x1" }),
        ("dst.name_aggr cache-*", { $0.annotation?.destination.aggregatedName == "cache-*" }),
        ("src.type hep", { $0.annotation?.source.kind == .host }),
        ("dst.labels \"app == 'api' && tier == 'backend'\"",
         { $0.annotation.map { $0.destination.labels["app"] == "api" && $0.destination.labels["tier"] == "backend" } ?? false }),
        ("labels \"team in {'t1','t2'}\"",
         { $0.annotation.map { ["t1", "t2"].contains($0.source.labels["team"] ?? "") || ["t1", "t2"].contains($0.destination.labels["team"] ?? "") } ?? false }),
        ("src.ip 10.1.0.0/16", { IPPrefix("10.1.0.0/16")!.contains($0.flow.sourceAddress) }),
        ("ip 10.3.0.0/24", { IPPrefix("10.3.0.0/24")!.contains($0.flow.sourceAddress) || IPPrefix("10.3.0.0/24")!.contains($0.flow.destinationAddress) }),
        ("dst.port 5432", { $0.flow.destinationPort == 5432 }),
        ("src.port > 50000", { $0.flow.sourcePort > 50000 }),
        ("port in (53, 6379)", { [53, 6379].contains($0.flow.sourcePort) || [53, 6379].contains($0.flow.destinationPort) }),
        ("proto udp", { $0.flow.ipProtocol == .udp }),
        ("verdict deny", { $0.annotation?.verdict == .deny }),
        ("verdict unknown", { $0.annotation == nil || $0.annotation?.verdict == .unknown }),
        ("action deny", { $0.annotation?.verdict == .deny }),
        ("policy_action pass", { $0.annotation.map { a in [a.egress, a.ingress].compactMap { $0 }.flatMap(\.hits).contains { $0.action == .pass } } ?? false }),
        ("pending_action deny", { $0.annotation.map { pending($0) == .deny } ?? false }),
        ("pending_action allow", { $0.annotation.map { pending($0) == .allow } ?? false }),
        ("would_change", { $0.annotation.map { pending($0) != $0.verdict } ?? false }),
        ("would_change no and action allow", { $0.annotation.map { pending($0) == $0.verdict && $0.verdict == .allow } ?? false }),
        ("(would_change) or dst.port 53", { ($0.annotation.map { pending($0) != $0.verdict } ?? false) || $0.flow.destinationPort == 53 }),
        ("reporter src", { $0.annotation != nil && $0.annotation?.ingress == nil && $0.annotation?.egress != nil }),
        ("reporter dst", { $0.annotation?.ingress != nil }),
        ("tier security", { $0.annotation.map { hits($0).contains { $0.tier == "security" } } ?? false }),
        ("policy lockdown", { $0.annotation.map { hits($0).contains { $0.name == "lockdown" } } ?? false }),
        ("policy knp:shop/allow-web", { $0.annotation.map { hits($0).contains { $0.kind == .kubernetesNetworkPolicy && $0.namespace == "shop" && $0.name == "allow-web" } } ?? false }),
        ("packets >= 150", { $0.flow.packets >= 150 }),
        ("bytes < 50k", { $0.flow.bytes < 50_000 }),
        // Calico's in/out: from the reporter's side (the destination when there is an ingress trace).
        ("bytes_in < 50000", { ($0.annotation?.ingress != nil ? $0.flow.bytesOut : $0.flow.bytesIn) < 50_000 }),
        ("packets_out <= 30", { ($0.annotation?.ingress != nil ? $0.flow.packetsIn : $0.flow.packetsOut) <= 30 }),
        ("src.packets <= 3", { $0.flow.packetsOut <= 3 }),
        ("dst.bytes < 1000", { $0.flow.bytesIn < 1000 }),
        ("vlan 7", { $0.flow.vlan == 7 }),
        ("vlan < 4", { $0.flow.vlan != FlowRecord.noVLAN && $0.flow.vlan < 4 }),
        ("node node-2", { $0.node == "node-2" }),
        ("service shop/*", { $0.annotation?.destinationService.hasPrefix("shop/") ?? false }),
        ("not verdict allow and (proto tcp or dst.port 53)",
         { ($0.annotation?.verdict ?? .unknown) != .allow && ($0.flow.ipProtocol == .tcp || $0.flow.destinationPort == 53) }),
        ("src.namespace shop and dst.namespace != shop or verdict deny and not src.type wep",
         { f in
             let a = f.annotation
             return (a?.source.namespace == "shop" && !(a?.destination.namespace == "shop"))
                 || (a?.verdict == .deny && !(a?.source.kind == .workload))
         }),
        ("", { _ in true }),
    ]

    @Test(arguments: 0..<cases.count)
    func compiledMatchesBruteForce(_ index: Int) throws {
        let (text, expected) = Self.cases[index]
        let program = try FilterProgram(parsing: text)
        var matched = 0
        for flow in Self.flows {
            let got = program.matches(flow)
            #expect(got == expected(flow), "\(text) on \(flow.flow.sourceAddress) → \(flow.flow.destinationAddress)")
            if got { matched += 1 }
        }
        // Every case selects something and (but for the empty filter) not everything, so a
        // predicate that always answered the same would fail here.
        #expect(matched > 0, "\(text) matched nothing")
        if !text.isEmpty { #expect(matched < Self.flows.count, "\(text) matched everything") }
    }

    @Test func timeWindowIsOverlap() {
        let w = TimeWindow(since: Timestamp(nanoseconds: 100), until: Timestamp(nanoseconds: 200))
        func flow(_ s: UInt64, _ e: UInt64) -> FlowRecord {
            FlowRecord(sourceAddress: IPAddress(ipv4: 1), destinationAddress: IPAddress(ipv4: 2), ipProtocol: .tcp,
                       start: Timestamp(nanoseconds: s), end: Timestamp(nanoseconds: e))
        }
        #expect(w.contains(flow(50, 150)))   // began before, still running
        #expect(w.contains(flow(150, 250)))  // runs past the end
        #expect(w.contains(flow(50, 250)))   // spans the window
        #expect(w.contains(flow(50, 100)))   // ends exactly at since
        #expect(!w.contains(flow(50, 99)))
        #expect(!w.contains(flow(200, 300))) // starts at until (half-open)
    }

    @Test func timeBounds() throws {
        let now = Timestamp(seconds: 1_790_000_000, nanoseconds: 0)
        #expect(try TimeWindow.parseBound("15m", now: now, option: "--since").nanoseconds
            == now.nanoseconds - 900 * 1_000_000_000)
        #expect(try TimeWindow.parseBound("1h30m", now: now, option: "--since").nanoseconds
            == now.nanoseconds - 5400 * 1_000_000_000)
        #expect(try TimeWindow.parseBound("7d", now: now, option: "--since").nanoseconds
            == now.nanoseconds - 7 * 86_400 * 1_000_000_000)
        #expect(try TimeWindow.parseBound("2026-11-23T07:00:00Z", now: now, option: "--since")
            == Timestamp(rfc3339: "2026-11-23T07:00:00Z"))
        #expect(try TimeWindow.parseBound("now", now: now, option: "--until") == now)
        // Plain seconds, as every duration option takes them.
        #expect(try TimeWindow.parseBound("15", now: now, option: "--since").nanoseconds
            == now.nanoseconds - 15 * 1_000_000_000)
        for bad in ["m", "15x", "-5m", "1.2.3s", "yesterday", "2026-13-01T00:00:00Z", ""] {
            #expect(throws: FlowlogError.self) { try TimeWindow.parseBound(bad, now: now, option: "--since") }
        }
        #expect(throws: FlowlogError.self) { try TimeWindow(since: "1h", until: "2h", now: now) }
    }
}
