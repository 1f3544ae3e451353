import FlowCore
import SegmentStore
import Testing
@testable import Query

/// `dst.domain` filters and the `dest_domains` column, over memory and over the store alike.
@Suite struct DomainQueryTests {
    static let lists = [DomainNames(["api.example.com"]), DomainNames(["www.example.org", "edge.cdn.example.net"]), .none]
    static let flows: [AnnotatedFlow] = SampleFlows.make(count: 600, seed: 4).enumerated().map { i, flow in
        var f = flow
        f.destinationDomains = lists[i % lists.count]
        return f
    }

    @Test func filterMatchesExactAndWildcardNames() throws {
        let cases: [(String, (AnnotatedFlow) -> Bool)] = [
            ("dst.domain api.example.com", { $0.destinationDomains.names == ["api.example.com"] }),
            ("dst.domain '*.example.net'", { $0.destinationDomains.names.contains("edge.cdn.example.net") }),
            ("domain *.example.org", { $0.destinationDomains.names.contains("www.example.org") }),
            ("dst.domain API.Example.COM.", { $0.destinationDomains.names == ["api.example.com"] }),
            ("not dst.domain *.com and proto tcp", { !$0.destinationDomains.names.contains("api.example.com") && $0.flow.ipProtocol == .tcp }),
        ]
        for (text, meaning) in cases {
            let program = try FilterProgram(parsing: text)
            #expect(Self.flows.filter { program.matches($0) }.count == Self.flows.filter(meaning).count, "\(text)")
            #expect(Self.flows.contains { program.matches($0) } || Self.flows.filter(meaning).isEmpty)
        }
    }

    @Test func parseErrors() {
        for (text, message) in [("src.domain a.example.com", "only the destination has domain names"),
                                ("dst.domain '*.*.example.com'", "not a domain name"),
                                ("dst.domain a..b", "not a domain name")] {
            do {
                _ = try FilterProgram(parsing: text)
                Issue.record("\(text) parsed")
            } catch let e as FlowlogError {
                #expect(e.message.contains(message), "\(text): \(e.message)")
            } catch { Issue.record("\(error)") }
        }
    }

    @Test func storeAndMemoryAgreeOnRowsAndGroups() throws {
        let dir = try StoreQueryTests.makeStore(Self.flows)
        defer { StoreQueryTests.removeTree(dir) }
        for format in [OutputFormat.csv, .ndjson] {
            let plan = QueryPlan(filter: try FilterProgram(parsing: "dst.domain *.example.com or dst.domain *.example.org"), format: format,
                                 fields: [.destIP, .destDomains])
            var fromStore = OutputBuffer(target: .memory)
            _ = try QueryEngine.run(plan, directory: dir, into: &fromStore)
            var fromMemory = OutputBuffer(target: .memory)
            _ = try QueryEngine.run(plan, over: InMemoryFlowSource(flows: Self.flows, blockSize: 64), into: &fromMemory)
            #expect(fromStore.text == fromMemory.text)
            if format == .csv {
                let rows = CSVReader.rows(fromStore.text)
                #expect(rows.first == ["dest_ip", "dest_domains"])
                #expect(Set(rows.dropFirst().map { $0[1] }) == ["api.example.com", "www.example.org;edge.cdn.example.net"])
            } else {
                #expect(fromStore.text.contains("\"dest_domains\":[\"www.example.org\",\"edge.cdn.example.net\"]"))
            }
        }
        // Group-by over the store's column-wise read.
        let grouped = QueryPlan(filter: try FilterProgram(parsing: ""), format: .csv, groupBy: [.destDomains])
        var out = OutputBuffer(target: .memory)
        _ = try QueryEngine.run(grouped, directory: dir, into: &out)
        let rows = CSVReader.rows(out.text).dropFirst()
        #expect(Set(rows.map { $0[0] }) == ["-", "api.example.com", "www.example.org;edge.cdn.example.net"])
        #expect(rows.map { Int($0[1]) ?? 0 }.reduce(0, +) == Self.flows.count)
    }
}
