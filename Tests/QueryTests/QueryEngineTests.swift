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
              top: Int? = nil, order: GroupOrder = .flows, limit: Int? = nil) throws -> QueryPlan {
        QueryPlan(filter: try FilterProgram(parsing: filter), format: format, fields: fields,
                  groupBy: groupBy.isEmpty ? [] : try OutputField.list(groupBy, option: "--group-by"),
                  top: top, order: order, limit: limit)
    }

    // MARK: - Group-by and top-N against brute force

    @Test func groupByMatchesBruteForce() throws {
        let (text, stats) = try run(try plan("verdict allow", groupBy: "dst.namespace,dest_port,proto", order: .bytes))
        var expected: [String: FlowTotals] = [:]
        for f in Self.flows where f.annotation?.verdict == .allow {
            let key = "\(f.annotation!.destination.namespace)|\(f.flow.destinationPort)|\(f.flow.ipProtocol)"
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
            expected["\(f.flow.sourceAddress)|\(f.flow.sourcePort)|\(f.flow.destinationAddress)", default: 0] += f.flow.bytes
        }
        var got: [String: UInt64] = [:]
        for row in CSVReader.rows(text).dropFirst() { got["\(row[0])|\(row[1])|\(row[2])"] = UInt64(row[5]) }
        #expect(expected.count > 2000)
        #expect(stats.groups == expected.count)
        #expect(got == expected)
    }

    @Test(arguments: GroupOrder.allCases)
    func topNMatchesBruteForce(_ order: GroupOrder) throws {
        let (text, _) = try run(try plan("", groupBy: "src.namespace,dst.port", top: 5, order: order))
        var totals: [String: FlowTotals] = [:]
        for f in Self.flows {
            let key = "\(f.annotation?.source.namespace ?? "-")|\(f.flow.destinationPort)"
            totals[key, default: FlowTotals()].flows += 1
            totals[key, default: FlowTotals()].packets += f.flow.packets
            totals[key, default: FlowTotals()].bytes += f.flow.bytes
        }
        let expected = totals.sorted {
            $0.value.value(order) != $1.value.value(order) ? $0.value.value(order) > $1.value.value(order) : $0.key < $1.key
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
        let (text, stats) = try run(try plan("src.namespace shop and verdict deny"))
        let rows = CSVReader.rows(text)
        #expect(rows[0] == OutputField.standard.map(\.rawValue))
        #expect(rows[0].prefix(4) == ["start_time", "end_time", "source_ip", "source_port"])
        let expected = Self.flows.filter { $0.annotation?.source.namespace == "shop" && $0.annotation?.verdict == .deny }
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
        #expect(row["policies"] == ([a.egress, a.ingress].compactMap { $0 }.flatMap(\.hits).map(\.flowLogString)).joined(separator: ";"))
        #expect(row["packets_in"] == String(first.flow.packetsIn))
        #expect(row["bytes_out"] == String(first.flow.bytesOut))
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
        let expected = Self.flows.filter { $0.flow.destinationPort == 5432 }
        let (nd, _) = try run(try plan(filter, format: .ndjson))
        let lines = nd.split(separator: "\n")
        #expect(lines.count == expected.count)
        for (line, flow) in zip(lines, expected) {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            #expect(object.count == OutputField.standard.count)
            #expect(object["dest_port"] as? Int == 5432)
            #expect(object["bytes_in"] as? Int == Int(flow.flow.bytesIn))
            #expect(object["source_ip"] as? String == flow.flow.sourceAddress.description)
            if let a = flow.annotation {
                #expect(object["source_labels"] as? [String: String] == a.source.labels)
                #expect((object["policies"] as? [String])?.count == [a.egress, a.ingress].compactMap { $0 }.flatMap(\.hits).count)
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

    @Test func tableIsAligned() throws {
        let (text, _) = try run(try plan("verdict deny", format: .table, limit: 30))
        let lines = text.split(separator: "\n")
        #expect(lines.count == 31)
        #expect(lines[0].hasPrefix("START_TIME"))
        #expect(lines[0].contains("SOURCE_NAMESPACE"))
        // Right-aligned byte counts end in the same column on every line.
        let widths = Set(lines.map(\.count))
        #expect(widths.count == 1, "ragged table: \(widths)")
    }

    @Test func limitStopsTheScan() throws {
        let (text, stats) = try run(try plan("", limit: 10))
        #expect(CSVReader.rows(text).count == 11)
        #expect(stats.flowsMatched == 10)
        #expect(stats.flowsScanned == 10)
        #expect(stats.blocksRead == 1)
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
