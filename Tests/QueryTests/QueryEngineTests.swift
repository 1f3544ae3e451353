import Foundation
import FlowCore
import Testing
@testable import Query

@Suite struct QueryEngineTests {
    static let flows = SampleFlows.make(count: 2500, seed: 3)
    static let source = InMemoryFlowSource(flows: flows, blockSize: 100)

    func run(_ plan: QueryPlan) throws -> (String, QueryStatistics) {
        var out = OutputBuffer(target: .memory)
        let stats = try QueryEngine.run(plan, over: Self.source, into: &out)
        return (out.text, stats)
    }

    func plan(_ filter: String, format: OutputFormat = .csv, fields: [OutputField]? = nil, groupBy: String = "",
              top: Int? = nil, order: ResultOrder? = nil, limit: Int? = nil) throws -> QueryPlan {
        QueryPlan(filter: try FilterProgram(parsing: filter), format: format, fields: fields,
                  groupBy: groupBy.isEmpty ? [] : try OutputField.list(groupBy, option: "--group-by"),
                  top: top, order: order, limit: limit)
    }

    // MARK: - Group-by and top-N against brute force

    @Test func groupByMatchesBruteForce() throws {
        let (text, stats) = try run(try plan("verdict allow", groupBy: "dst.namespace,dest_port,proto", order: .bytes))
        var expected: [String: FlowTotals] = [:]
        for f in Self.flows where f.annotation?.verdict == .allow {
            let key = "\(f.annotation!.destination.namespace)|\(SampleFlows.portText(f.flow.destinationPort, f.flow))|\(f.flow.ipProtocol)"
            expected[key, default: FlowTotals()].flows += 1
            expected[key, default: FlowTotals()].packets += f.flow.packets
            expected[key, default: FlowTotals()].bytes += f.flow.bytes
        }
        let rows = CSVReader.rows(text)
        #expect(rows.first == ["dest_namespace", "dest_port", "proto", "flows", "packets", "bytes"])
        var got: [String: FlowTotals] = [:]
        var previousBytes = UInt64.max
        for row in rows.dropFirst() {
            let totals = FlowTotals(flows: UInt64(row[3])!, packets: UInt64(row[4])!, bytes: UInt64(row[5])!)
            got["\(row[0])|\(row[1])|\(row[2])"] = totals
            #expect(totals.bytes <= previousBytes, "not ordered by bytes")
            previousBytes = totals.bytes
        }
        #expect(got == expected)
        #expect(stats.groups == expected.count)
        #expect(expected.count > 20)
    }

    /// Thousands of groups: the key table grows and rehashes several times and keeps every total.
    @Test func manyGroupsSurviveTableGrowth() throws {
        let (text, stats) = try run(try plan("", groupBy: "src.ip,src.port,dst.ip"))
        var expected: [String: UInt64] = [:]
        for f in Self.flows {
            expected["\(f.flow.sourceAddress)|\(SampleFlows.portText(f.flow.sourcePort, f.flow))|\(f.flow.destinationAddress)", default: 0] += f.flow.bytes
        }
        var got: [String: UInt64] = [:]
        for row in CSVReader.rows(text).dropFirst() { got["\(row[0])|\(row[1])|\(row[2])"] = UInt64(row[5]) }
        #expect(expected.count > 2000)
        #expect(stats.groups == expected.count)
        #expect(got == expected)
    }

    @Test(arguments: [ResultOrder.flows, .packets, .bytes])
    func topNMatchesBruteForce(_ order: ResultOrder) throws {
        let (text, _) = try run(try plan("", groupBy: "src.namespace,dst.port", top: 5, order: order))
        var totals: [String: FlowTotals] = [:]
        for f in Self.flows {
            let key = "\(f.annotation?.source.namespace ?? "-")|\(SampleFlows.portText(f.flow.destinationPort, f.flow))"
            totals[key, default: FlowTotals()].flows += 1
            totals[key, default: FlowTotals()].packets += f.flow.packets
            totals[key, default: FlowTotals()].bytes += f.flow.bytes
        }
        func value(_ t: FlowTotals) -> UInt64 { order == .flows ? t.flows : order == .packets ? t.packets : t.bytes }
        let expected = totals.sorted {
            value($0.value) != value($1.value) ? value($0.value) > value($1.value) : $0.key < $1.key
        }.prefix(5).map { "\($0.key)|\($0.value.flows)|\($0.value.packets)|\($0.value.bytes)" }
        let got = CSVReader.rows(text).dropFirst().map { $0.joined(separator: "|") }
        #expect(got == expected)
    }

    @Test func topFlowsWithoutGrouping() throws {
        let (text, _) = try run(try plan("proto tcp", fields: [.bytes, .sourceIP], top: 7, order: .bytes))
        let expected = Self.flows.filter { $0.flow.ipProtocol == .tcp }.map(\.flow.bytes).sorted(by: >).prefix(7)
        let got = CSVReader.rows(text).dropFirst().map { UInt64($0[0])! }
        #expect(got == Array(expected))
    }

    // MARK: - Output formats

    @Test func csvHasCalicoHeaderAndOneRowPerMatch() throws {
        let (text, stats) = try run(try plan("src.namespace shop and action deny"))
        let rows = CSVReader.rows(text)
        #expect(rows[0] == OutputField.standard.map(\.rawValue))
        #expect(rows[0].prefix(4) == ["start_time", "end_time", "source_ip", "source_port"])
        // Oldest first; the sort is stable, so equal starts keep the store's order.
        let expected = Self.flows.filter { $0.annotation?.source.namespace == "shop" && $0.annotation?.verdict == .deny }
            .enumerated().sorted { ($0.element.flow.start, $0.offset) < ($1.element.flow.start, $1.offset) }.map(\.element)
        #expect(rows.count - 1 == expected.count)
        #expect(stats.flowsMatched == UInt64(expected.count))
        #expect(stats.flowsScanned == UInt64(Self.flows.count))
        // Every row has every column, and the first row is the first match in full.
        #expect(rows.dropFirst().allSatisfy { $0.count == OutputField.standard.count })
        let first = expected[0], a = first.annotation!
        let row = Dictionary(uniqueKeysWithValues: zip(rows[0], rows[1]))
        #expect(row["start_time"] == first.flow.start.rfc3339)
        #expect(row["end_time"] == first.flow.end.rfc3339)
        #expect(row["source_ip"] == first.flow.sourceAddress.description)
        #expect(row["dest_ip"] == first.flow.destinationAddress.description)
        #expect(row["source_port"] == String(first.flow.sourcePort))
        #expect(row["dest_port"] == String(first.flow.destinationPort))
        #expect(row["source_namespace"] == "shop")
        #expect(row["source_name"] == a.source.name)
        #expect(row["dest_name_aggr"] == a.destination.aggregatedName)
        #expect(row["source_type"] == a.source.kind.description)
        #expect(row["source_labels"] == a.source.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))
        #expect(row["proto"] == first.flow.ipProtocol.description)
        #expect(row["action"] == "deny")
        // Calico's record: the reporter's trace, and counters seen from the reporter.
        let reporterTrace = a.ingress ?? a.egress
        #expect(row["reporter"] == reporterTrace?.reporter.description)
        #expect(row["policies"] == (reporterTrace?.hits ?? []).map(\.flowLogString).joined(separator: ";"))
        #expect(row["egress_policies"] == (a.egress?.hits ?? []).map(\.flowLogString).joined(separator: ";").replacingOccurrences(of: "^$", with: "-", options: .regularExpression))
        #expect(row["ingress_policies"] == (a.ingress?.hits ?? []).map(\.flowLogString).joined(separator: ";").replacingOccurrences(of: "^$", with: "-", options: .regularExpression))
        let atDestination = a.ingress != nil
        #expect(row["packets_in"] == String(atDestination ? first.flow.packetsOut : first.flow.packetsIn))
        #expect(row["bytes_out"] == String(atDestination ? first.flow.bytesIn : first.flow.bytesOut))
        #expect(row["source_packets"] == String(first.flow.packetsOut))
        #expect(row["dest_bytes"] == String(first.flow.bytesIn))
        #expect(row["pending_action"] == a.pendingVerdict.description)
        #expect(row["host"] == first.node)
    }

    @Test func csvQuotesCellsThatNeedIt() throws {
        var flow = Self.flows.first { $0.annotation != nil }!
        flow.annotation!.source.labels = ["note": "a \"quoted\", value", "app": "x"]
        flow.annotation!.source.name = "odd,name"
        let source = InMemoryFlowSource(flows: [flow], blockSize: 10)
        var out = OutputBuffer(target: .memory)
        _ = try QueryEngine.run(QueryPlan(filter: try FilterProgram(parsing: ""), format: .csv,
                                          fields: [.sourceName, .sourceLabels, .destPort]), over: source, into: &out)
        #expect(out.text.contains("\"odd,name\",\"app=x,note=a \"\"quoted\"\", value\","))
        let rows = CSVReader.rows(out.text)
        #expect(rows[1] == ["odd,name", "app=x,note=a \"quoted\", value", String(flow.flow.destinationPort)])
    }

    @Test func ndjsonAndJSONParse() throws {
        let filter = "dst.port 5432"
        let expected = Self.flows.enumerated().filter { $0.element.flow.destinationPort == 5432 }
            .sorted { ($0.element.flow.start, $0.offset) < ($1.element.flow.start, $1.offset) }.map(\.element)
        let (nd, _) = try run(try plan(filter, format: .ndjson))
        let lines = nd.split(separator: "\n")
        #expect(lines.count == expected.count)
        for (line, flow) in zip(lines, expected) {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            #expect(object.count == OutputField.standard.count)
            #expect(object["dest_port"] as? Int == 5432)
            #expect(object["dest_bytes"] as? Int == Int(flow.flow.bytesIn))
            #expect(object["source_ip"] as? String == flow.flow.sourceAddress.description)
            if let a = flow.annotation {
                #expect(object["source_labels"] as? [String: String] == a.source.labels)
                #expect((object["egress_policies"] as? [String])?.count == (a.egress?.hits.count ?? 0))
                #expect((object["ingress_policies"] as? [String])?.count == (a.ingress?.hits.count ?? 0))
            } else {
                #expect(object["source_namespace"] as? String == "-")
            }
            #expect(object["vlan"] is NSNull || object["vlan"] as? Int == Int(flow.flow.vlan))
        }
        let (json, _) = try run(try plan(filter, format: .json))
        let array = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [[String: Any]]
        #expect(array.count == expected.count)
        let (empty, _) = try run(try plan("dst.port 1", format: .json))
        #expect(try JSONSerialization.jsonObject(with: Data(empty.utf8)) as? [Any] != nil)
        let (groups, _) = try run(try plan(filter, format: .json, groupBy: "dst.port,src.namespace"))
        let groupArray = try JSONSerialization.jsonObject(with: Data(groups.utf8)) as! [[String: Any]]
        #expect(groupArray.reduce(0) { $0 + ($1["flows"] as! Int) } == expected.count)
        #expect(groupArray.allSatisfy { $0["dest_port"] as? Int == 5432 })
    }

    @Test func tableIsAlignedAndFits120Columns() throws {
        let (text, _) = try run(try plan("verdict deny", format: .table, limit: 30))
        let lines = text.split(separator: "\n")
        #expect(lines.count == 31)
        #expect(lines[0].split(separator: " ", omittingEmptySubsequences: true)
                == ["START", "SOURCE", "DESTINATION", "PORT", "ACTION", "PACKETS", "BYTES"])
        // Right-aligned byte counts end in the same column on every line.
        let widths = Set(lines.map(\.count))
        #expect(widths.count == 1, "ragged table: \(widths)")
        #expect(widths.first! <= 120)
    }

    /// Long names are cut with `…` rather than pushing the line past the width.
    @Test func tableCutsLongNamesToFit() throws {
        var flows = Array(Self.flows.filter { $0.annotation?.source.kind == .workload }.prefix(5))
        flows[0].annotation!.source.name = String(repeating: "very-long-pod-name-", count: 8)
        var out = OutputBuffer(target: .memory)
        _ = try QueryEngine.run(QueryPlan(filter: try FilterProgram(parsing: ""), format: .table),
                                over: InMemoryFlowSource(flows: flows, blockSize: 2), into: &out)
        let lines = out.text.split(separator: "\n")
        #expect(lines.allSatisfy { $0.count <= 120 })
        #expect(out.text.contains("…"))
        var wide = QueryPlan(filter: try FilterProgram(parsing: ""), format: .table, fields: OutputField.wide)
        wide.tableLayout = .wide
        var wideOut = OutputBuffer(target: .memory)
        _ = try QueryEngine.run(wide, over: InMemoryFlowSource(flows: flows, blockSize: 2), into: &wideOut)
        #expect(wideOut.text.contains(flows[0].annotation!.source.name))
    }

    /// Rows come out oldest first across blocks whatever order they were stored in; `newest`,
    /// `bytes` and `stored` change it.
    @Test func rowsAreInTimeOrderAcrossBlocks() throws {
        let shuffled = InMemoryFlowSource(flows: Self.flows.reversed(), blockSize: 37)
        func starts(_ order: ResultOrder?, limit: Int? = nil) throws -> [String] {
            var out = OutputBuffer(target: .memory)
            _ = try QueryEngine.run(QueryPlan(filter: try FilterProgram(parsing: ""), format: .csv, fields: [.startTime, .bytes],
                                              order: order, limit: limit), over: shuffled, into: &out)
            return CSVReader.rows(out.text).dropFirst().map { $0[0] }
        }
        let all = Self.flows.map(\.flow.start.rfc3339)
        #expect(try starts(nil) == all.sorted())
        #expect(try starts(.time) == all.sorted())
        #expect(try starts(.newest) == all.sorted(by: >))
        #expect(try starts(nil, limit: 10) == Array(all.sorted().prefix(10)))
        #expect(try starts(.stored, limit: 5) == Array(Self.flows.reversed().prefix(5).map(\.flow.start.rfc3339)))
        var out = OutputBuffer(target: .memory)
        _ = try QueryEngine.run(QueryPlan(filter: try FilterProgram(parsing: ""), format: .csv, fields: [.bytes], order: .bytes),
                                over: shuffled, into: &out)
        let bytes = CSVReader.rows(out.text).dropFirst().map { UInt64($0[0])! }
        #expect(bytes == bytes.sorted(by: >))
        #expect(throws: FlowlogError.self) {
            _ = try QueryEngine.run(QueryPlan(filter: try FilterProgram(parsing: ""), order: .flows), over: shuffled, into: &out)
        }
    }

    /// Oldest first streams: with blocks written about in time order (as a store is), rows wait
    /// only for blocks that could start earlier, and the answer is the full sort's.
    @Test func timeOrderStreamsWithFewRowsHeld() throws {
        var flows = Array(Self.flows.prefix(2000))
        for i in flows.indices {
            let start = UInt64(i) * 1_000_000 + UInt64(i % 5) * 3_000_000
            flows[i].flow.start = Timestamp(nanoseconds: start)
            flows[i].flow.end = Timestamp(nanoseconds: start + 500_000)
        }
        let source = InMemoryFlowSource(flows: flows, blockSize: 50)
        var out = OutputBuffer(target: .memory)
        let stats = try QueryEngine.run(QueryPlan(filter: try FilterProgram(parsing: ""), format: .csv,
                                                  fields: [.startTime, .sourceIP, .sourcePort]), over: source, into: &out)
        let expected = flows.enumerated().sorted { ($0.element.flow.start, $0.offset) < ($1.element.flow.start, $1.offset) }
            .map { "\($0.element.flow.start.rfc3339),\($0.element.flow.sourceAddress),\(SampleFlows.portText($0.element.flow.sourcePort, $0.element.flow))" }
        #expect(CSVReader.rows(out.text).dropFirst().map { $0.joined(separator: ",") } == expected)
        #expect(stats.peakRowsHeld > 0 && stats.peakRowsHeld <= 150, "held \(stats.peakRowsHeld)")
    }

    @Test func limitWithStoredOrderStopsTheScan() throws {
        let (text, stats) = try run(try plan("", order: .stored, limit: 10))
        #expect(CSVReader.rows(text).count == 11)
        #expect(stats.flowsMatched == 10)
        #expect(stats.flowsScanned == 10)
        #expect(stats.blocksRead == 1)
    }

    /// ICMP has no ports: `-` in text, null in JSON, the protocol alone in `dest_port_proto`.
    @Test func icmpFlowsShowNoPorts() throws {
        var flow = Self.flows.first { $0.annotation != nil }!
        flow.flow.ipProtocol = .icmp
        let source = InMemoryFlowSource(flows: [flow], blockSize: 10)
        var out = OutputBuffer(target: .memory)
        _ = try QueryEngine.run(QueryPlan(filter: try FilterProgram(parsing: ""), format: .csv,
                                          fields: [.sourcePort, .destPort, .destPortProto]), over: source, into: &out)
        #expect(CSVReader.rows(out.text)[1] == ["-", "-", "icmp"])
    }

    @Test func statisticsCountPrunedBlocks() throws {
        let clustered = InMemoryFlowSource(flows: SampleFlows.make(count: 1280, seed: 2, clustered: true), blockSize: 64)
        var out = OutputBuffer(target: .memory)
        let stats = try QueryEngine.run(try plan("src.namespace db"), over: clustered, into: &out)
        #expect(stats.blocksTotal == 20)
        #expect(stats.blocksPrunedByFilter >= 15)
        #expect(stats.blocksRead + stats.blocksSkipped == 20)
        #expect(stats.flowsScanned == UInt64(stats.blocksRead * 64))
        #expect(stats.summary.contains("blocks: \(stats.blocksRead) read"))
    }

    @Test func unknownOutputFieldSaysWhich() throws {
        #expect(throws: FlowlogError.self) { try OutputField.list("source_ip,dest_nmae", option: "--fields") }
        do {
            _ = try OutputField.list("source_ip,dest_nmae", option: "--fields")
        } catch let e as FlowlogError {
            #expect(e.message.contains("'dest_nmae'"))
            #expect(e.location?.column == 11)
        } catch {}
        #expect(try OutputField.list("src.ns, dstport ,bytes", option: "--fields") == [.sourceNamespace, .destPort, .bytes])
    }
}

/// `--top N` is the user's number: a huge N must cost what the data costs, not N slots.
@Suite struct TopLimitTests {
    func run(_ plan: QueryPlan) throws -> String {
        var out = OutputBuffer(target: .memory)
        _ = try QueryEngine.run(plan, over: QueryEngineTests.source, into: &out)
        return out.text
    }

    @Test func hugeTopOverFlowsAllocatesOnlyWhatItHolds() throws {
        for top in [1_000_000_000, Int.max] {
            let text = try run(QueryPlan(filter: try FilterProgram(parsing: ""), format: .csv, top: top, order: .bytes))
            #expect(CSVReader.rows(text).count == QueryEngineTests.flows.count + 1, "top \(top)")
        }
    }

    /// Between the insertion pass's limit and the group count the groups are sorted and cut.
    @Test func hugeAndMidsizedTopOverGroups() throws {
        let all = CSVReader.rows(try run(QueryPlan(filter: try FilterProgram(parsing: ""), format: .csv,
                                                   groupBy: try OutputField.list("src.ip,src.port", option: "--group-by"),
                                                   order: .bytes)))
        #expect(all.count - 1 > FlowGrouping.insertionLimit + 10)
        for top in [Int.max, 1_000_000_000, FlowGrouping.insertionLimit + 7, 5] {
            let rows = CSVReader.rows(try run(QueryPlan(filter: try FilterProgram(parsing: ""), format: .csv,
                                                        groupBy: try OutputField.list("src.ip,src.port", option: "--group-by"),
                                                        top: top, order: .bytes)))
            #expect(Array(rows) == Array(all.prefix(min(top, all.count - 1) + 1)), "top \(top)")
        }
    }
}
