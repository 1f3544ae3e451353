import FlowCore
import FlowTestSupport
@testable import SIEMConfig
@testable import SIEMExport
import Testing

/// The flow renderers write into one reused buffer; for the same records they must put out
/// byte for byte what the String-built renderers did (`LegacyRendering`), for every sink
/// format, with awkward text everywhere a user's cluster can put it.
@Suite("SIEM rendering: reused buffers, same bytes")
struct RenderingEquivalenceTests {
    /// Text of the kinds names, nodes and clusters can hold: empty, escapes of every format,
    /// control bytes, UTF-8, longer than the RFC 5424 header limits.
    static let awkward = [
        "", "shop", "a b", "q\"uote", "back\\slash", "br]acket", "eq=ual", "tab\there", "new\nline", "nul\u{0}",
        "ctl\u{1f}\u{7f}", "ünïcødé", "日本語", String(repeating: "h", count: 300), "-", "x]\"\\=",
    ]

    static func pick<T>(_ values: [T], _ rng: inout SplitMix64) -> T { values[Int(rng.next() % UInt64(values.count))] }

    /// A synthetic flow with its names, node and times replaced by random, awkward ones.
    static func randomFlow(_ base: AnnotatedFlow, _ rng: inout SplitMix64) -> AnnotatedFlow {
        var flow = base
        flow.node = pick(awkward, &rng)
        flow.flow.start = Timestamp(nanoseconds: rng.next())
        if rng.next() % 4 == 0 {
            flow.flow.sourceAddress = IPAddress(ipv6High: rng.next() & 0xFFFF_0000_FFFF_FFFF, low: rng.next() % 3 == 0 ? 0 : rng.next())
        }
        if rng.next() % 3 == 0 { flow.flow.destinationAddress = IPAddress(ipv4: UInt32(truncatingIfNeeded: rng.next())) }
        flow.flow.sourcePort = UInt16(truncatingIfNeeded: rng.next())
        flow.flow.packetsOut = rng.next() % 3 == 0 ? rng.next() : rng.next() % 1000
        flow.flow.bytesIn = rng.next() % 5 == 0 ? rng.next() >> 1 : rng.next() % 100_000
        switch rng.next() % 4 {
        case 0:
            flow.annotation = nil
        case 1:
            func endpoint(_ rng: inout SplitMix64) -> EndpointIdentity {
                EndpointIdentity(kind: pick(EndpointKind.allCases, &rng), namespace: pick(awkward, &rng), name: pick(awkward, &rng),
                                 aggregatedName: pick(awkward, &rng))
            }
            flow.annotation = FlowAnnotation(source: endpoint(&rng), destination: endpoint(&rng), verdict: pick(Verdict.allCases, &rng))
        default:
            break
        }
        return flow
    }

    @Test("syslog, HEC and _bulk bytes identical to the String-built renderers for 3,000 random flows")
    func sameBytes() {
        var rng = SplitMix64(seed: 0x51E_3E0)
        var generator = SyntheticFlowGenerator(seed: 5, pods: 60, namespaces: 8, flowsPerSecond: 100)
        var builders: [String: RecordBuilder] = [:]
        var record = ExportRecord()
        var checked = 0
        for (i, base) in generator.generate(3_000).enumerated() {
            let flow = Self.randomFlow(base, &rng)
            let storeID = Self.pick(["0f3c9a", "store-\u{e9}", ""], &rng)
            let cluster = Self.pick(Self.awkward, &rng)
            let key = storeID + "\u{0}" + cluster
            var builder = builders[key] ?? RecordBuilder(storeID: storeID, cluster: cluster)
            let segment = rng.next() % 3 == 0 ? rng.next() : UInt64(i)
            let block = UInt32(truncatingIfNeeded: rng.next() % 2 == 0 ? rng.next() : 3)
            let row = Int(rng.next() % 100_000)
            // The reused record: what the previous flow left in it must not show.
            builder.flow(flow, segment: segment, block: block, row: row, into: &record)
            builders[key] = builder
            let legacy = LegacyRendering.flow(flow, storeID: storeID, cluster: cluster, segment: segment, block: block, row: row)
            let fallback = Self.pick(["fallback", "", "f b"], &rng)

            var syslogOptions = SIEMConfiguration.SyslogOptions()
            syslogOptions.hostname = rng.next() % 4 == 0 ? Self.pick(Self.awkward, &rng) : nil
            syslogOptions.appName = Self.pick(["flowlog", "", String(repeating: "a", count: 60), "app name"], &rng)
            syslogOptions.facility = Int(rng.next() % 24)
            syslogOptions.enterpriseNumber = UInt32(truncatingIfNeeded: rng.next())
            var syslog: [UInt8] = [1, 2, 3]
            syslog.removeAll(keepingCapacity: true)
            SyslogMessage.append(record, options: syslogOptions, fallbackHost: fallback, to: &syslog)
            #expect(syslog == LegacyRendering.syslog(legacy, options: syslogOptions, fallbackHost: fallback), "syslog, flow \(i)")

            var splunkOptions = SIEMConfiguration.SplunkOptions()
            splunkOptions.host = rng.next() % 4 == 0 ? Self.pick(Self.awkward, &rng) : nil
            splunkOptions.index = rng.next() % 2 == 0 ? Self.pick(Self.awkward, &rng) : nil
            splunkOptions.source = Self.pick(Self.awkward, &rng)
            var hec: [UInt8] = []
            HECEvent.append(record, options: splunkOptions, fallbackHost: fallback, to: &hec)
            #expect(hec == LegacyRendering.hec(legacy, options: splunkOptions, fallbackHost: fallback), "HEC, flow \(i)")

            let index = Self.pick(Self.awkward, &rng)
            var bulk: [UInt8] = []
            BulkItem.append(record, index: index, to: &bulk)
            #expect(bulk == LegacyRendering.bulk(legacy, index: index), "_bulk, flow \(i)")
            checked += 1
        }
        #expect(checked == 3_000)
    }

    @Test("records of given parts (audit, findings) render as the String-built ones")
    func givenParts() {
        var rng = SplitMix64(seed: 99)
        for kind in RecordKind.allCases {
            for _ in 0..<200 {
                let fields = (0..<Int(rng.next() % 4)).map { _ in (name: Self.pick(Self.awkward, &rng), value: Self.pick(Self.awkward, &rng)) }
                let parameters = (0..<Int(rng.next() % 6)).map { _ in (name: Self.pick(Self.awkward, &rng), value: Self.pick(Self.awkward, &rng)) }
                let body = Array(Self.pick(["{}", "{\"a\":1}", "{\"k\":\"v\",\"n\":[1,2]}"], &rng).utf8)
                let time = Timestamp(nanoseconds: rng.next())
                let id = Self.pick(Self.awkward, &rng), host = Self.pick(Self.awkward, &rng)
                let alert = rng.next() % 2 == 0
                let record = ExportRecord(kind: kind, id: id, time: time, host: host, body: body, fields: fields, parameters: parameters, alert: alert)
                let legacy = LegacyRendering.Record(kind: kind, id: id, time: time, host: host, body: body, fields: fields,
                                                    parameters: parameters, alert: alert)
                var out: [UInt8] = []
                SyslogMessage.append(record, options: .init(), fallbackHost: "fb", to: &out)
                #expect(out == LegacyRendering.syslog(legacy, options: .init(), fallbackHost: "fb"))
                out = []
                HECEvent.append(record, options: .init(), fallbackHost: "fb", to: &out)
                #expect(out == LegacyRendering.hec(legacy, options: .init(), fallbackHost: "fb"))
                out = []
                BulkItem.append(record, index: "i", to: &out)
                #expect(out == LegacyRendering.bulk(legacy, index: "i"))
            }
        }
    }
}
