import Atomics
import FlowCore
import Foundation
@testable import SIEMConfig
@testable import SIEMExport
import Testing

/// Splunk HEC and Elasticsearch `_bulk` sinks against `TestReceiver`s that check every header
/// and body and misbehave on purpose.
@Suite("SIEM HTTP sinks", .serialized)
struct HTTPSinkTests {
    static let token = "0f4c6b1e-7d1a-4a57-9a3c-5e6f7a8b9c0d"

    struct Setup {
        var store: String
        var flows: [AnnotatedFlow]
        var tokenFile: String
    }

    static func setup(_ name: String, count: Int) throws -> Setup {
        let store = TestStore.temporaryDirectory(name)
        let flows = try TestStore.write(store, count: count)
        let tokenFile = store + "-token"
        try (token + "\n").write(toFile: tokenFile, atomically: true, encoding: .utf8)
        return Setup(store: store, flows: flows, tokenFile: tokenFile)
    }

    static func cleanup(_ setup: Setup) {
        TestStore.remove(setup.store)
        TestStore.remove(setup.tokenFile)
    }

    static func run(_ sink: SIEMConfiguration.Sink, store: String, follow: Bool = false) -> SIEMExportRun.SinkResult {
        var configuration = SIEMConfiguration()
        configuration.sinks = [sink]
        configuration.cluster = "test-cluster"
        let run = SIEMExportRun(configuration: configuration, sources: RecordSources(dataDirectory: store), follow: follow,
                                log: { _ in })
        return run.run()[0]
    }

    /// The stacked HEC events of a body, split at the top level.
    static func events(_ body: [UInt8]) throws -> [[String: Any]] {
        var objects: [[String: Any]] = []
        var depth = 0, start = 0, inString = false, escaped = false, between = 0
        for (i, b) in body.enumerated() {
            if inString {
                if escaped { escaped = false } else if b == UInt8(ascii: "\\") { escaped = true } else if b == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch b {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"):
                if depth == 0 { start = i }
                depth += 1
            case UInt8(ascii: "}"):
                depth -= 1
                if depth == 0 {
                    let object = try JSONSerialization.jsonObject(with: Data(body[start...i])) as? [String: Any]
                    objects.append(try #require(object))
                }
            default:
                if depth == 0 { between += 1 }
            }
        }
        // Nothing may stand between stacked events: no array, no commas, no newlines.
        #expect(between == 0 && depth == 0)
        return objects
    }

    static func hecSink(_ url: String, tokenFile: String) -> SIEMConfiguration.Sink {
        var sink = SIEMConfiguration.Sink(name: "splunk", type: .splunkHEC)
        sink.url = url
        sink.tokenFile = tokenFile
        sink.batching.count = 300
        sink.retryFor = .seconds(20)
        sink.splunk.index = "network"
        return sink
    }

    @Test("HEC: headers, stacked events, envelope fields, every flow once; 503 and slow answers are retried")
    func hecDelivery() throws {
        let setup = try Self.setup("hec", count: 2_000)
        defer { Self.cleanup(setup) }
        let receiver = try TestReceiver { request, index in
            // The second request is refused (busy), the fourth is slow.
            if index == 1 { return .init(503, #"{"text":"Server is busy","code":9}"#) }
            if index == 3 { return .init(200, #"{"text":"Success","code":0}"#, delay: 0.5) }
            return .init(200, #"{"text":"Success","code":0}"#)
        }
        let result = Self.run(Self.hecSink(receiver.url, tokenFile: setup.tokenFile), store: setup.store)
        #expect(result.failure == nil)
        let requests = receiver.requests
        var delivered: [String: Int] = [:]
        var seenFailed = false
        for (i, request) in requests.enumerated() {
            #expect(request.method == "POST")
            #expect(request.uri == "/services/collector/event")
            #expect(request.header("Authorization") == "Splunk \(Self.token)")
            #expect(request.header("Content-Type") == "application/json")
            #expect(request.header("X-Splunk-Request-Channel")?.count == 36)
            let events = try Self.events(request.body)
            #expect(events.count <= 300)
            if i == 1 { seenFailed = true; continue }
            for event in events {
                #expect(event["sourcetype"] as? String == "flowlog:flow")
                #expect(event["source"] as? String == "flowlog")
                #expect(event["index"] as? String == "network")
                #expect(event["host"] as? String != nil)
                let fields = try #require(event["fields"] as? [String: Any])
                #expect(fields["cluster"] as? String == "test-cluster")
                #expect(["allow", "deny", "unknown"].contains(fields["verdict"] as? String ?? ""))
                let eventObject = try #require(event["event"] as? [String: Any])
                let data = try JSONSerialization.data(withJSONObject: eventObject, options: [.sortedKeys])
                delivered[String(decoding: data, as: UTF8.self), default: 0] += 1
                // Epoch seconds with exactly three decimals.
                let time = try #require(event["time"] as? Double)
                #expect(time > 1_000_000_000)
            }
        }
        #expect(seenFailed)
        let expected = try TestStore.json(setup.flows).map { text in
            let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
            return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
        }
        #expect(delivered.values.reduce(0, +) == expected.count)
        #expect(Set(delivered.keys) == Set(expected))
        #expect(result.metrics.sent == 2_000 && result.metrics.retried == 300 && result.metrics.dropped == 0)
        // A second run has nothing new.
        let again = Self.run(Self.hecSink(receiver.url, tokenFile: setup.tokenFile), store: setup.store)
        #expect(again.metrics.sent == 0 && receiver.requests.count == requests.count)
    }

    @Test("HEC indexer acknowledgement: ackId polled on /services/collector/ack with the channel until true")
    func hecAcknowledgement() throws {
        let setup = try Self.setup("hec-ack", count: 600)
        defer { Self.cleanup(setup) }
        let polls = ManagedAtomic(0)
        let receiver = try TestReceiver { request, _ in
            if request.uri == "/services/collector/ack" {
                // Not indexed on the first poll of each id, indexed on the second.
                let n = polls.loadThenWrappingIncrement(ordering: .relaxed)
                let id = request.text.filter(\.isNumber)
                return .init(200, #"{"acks":{"\#(id)":\#(n % 2 == 1 ? "true" : "false")}}"#)
            }
            return .init(200, #"{"text":"Success","code":0,"ackId":\#(request.body.count % 1000)}"#)
        }
        var sink = Self.hecSink(receiver.url, tokenFile: setup.tokenFile)
        sink.splunk.acknowledge = true
        let result = Self.run(sink, store: setup.store)
        #expect(result.failure == nil && result.metrics.sent == 600)
        let requests = receiver.requests
        let posts = requests.filter { $0.uri == "/services/collector/event" }
        let acks = requests.filter { $0.uri == "/services/collector/ack" }
        #expect(posts.count == 2 && acks.count == 4)
        let channel = try #require(posts.first?.header("X-Splunk-Request-Channel"))
        for request in requests {
            #expect(request.header("X-Splunk-Request-Channel") == channel)
            #expect(request.header("Authorization") == "Splunk \(Self.token)")
        }
        #expect(acks[0].text == #"{"acks":[\#(posts[0].body.count % 1000)]}"#)
    }

    @Test("HEC: an invalid event is refused for good; the events after it are sent again, those before not")
    func hecInvalidEvent() throws {
        let setup = try Self.setup("hec-invalid", count: 100)
        defer { Self.cleanup(setup) }
        let receiver = try TestReceiver { _, index in
            index == 0 ? .init(400, #"{"text":"Invalid data format","code":6,"invalid-event-number":40}"#)
                : .init(200, #"{"text":"Success","code":0}"#)
        }
        let result = Self.run(Self.hecSink(receiver.url, tokenFile: setup.tokenFile), store: setup.store)
        #expect(result.failure == nil)
        #expect(result.metrics.failed == 1 && result.metrics.sent == 99)
        let second = try Self.events(receiver.requests[1].body)
        #expect(second.count == 59)
    }

    static func bulkSink(_ url: String) -> SIEMConfiguration.Sink {
        var sink = SIEMConfiguration.Sink(name: "elastic", type: .elasticsearch)
        sink.url = url
        sink.batching.count = 250
        sink.retryFor = .seconds(20)
        return sink
    }

    /// A `_bulk` answer for the documents of `body`, item statuses from `status(id)`.
    static func bulkAnswer(_ body: String, status: (String) -> Int) -> String {
        let lines = body.split(separator: "\n")
        var items: [String] = []
        var errors = false
        for action in stride(from: 0, to: lines.count, by: 2) {
            let json = try? JSONSerialization.jsonObject(with: Data(lines[action].utf8)) as? [String: Any]
            let create = json?["create"] as? [String: Any]
            let id = create?["_id"] as? String ?? ""
            let s = status(id)
            if s >= 300 { errors = true }
            let error = s >= 300 ? #","error":{"type":"x_exception","reason":"because"}"# : ""
            items.append(#"{"create":{"_index":"\#(create?["_index"] as? String ?? "")","_id":"\#(id)","status":\#(s)\#(error)}}"#)
        }
        return #"{"took":3,"errors":\#(errors),"items":[\#(items.joined(separator: ","))]}"#
    }

    @Test("_bulk: NDJSON create actions with deterministic ids; only 429/5xx items are retried; 409 counts as sent; 400 is refused")
    func bulkPerItem() throws {
        let setup = try Self.setup("bulk", count: 1_000)
        defer { Self.cleanup(setup) }
        let receiver = try TestReceiver { request, index in
            if index == 0 { return .init(429, #"{"error":"too many requests"}"#) }
            let text = request.text
            return .init(200, Self.bulkAnswer(text) { id in
                let n = Int(id.split(separator: "-").last ?? "0") ?? 0
                // Rows ending in 7: 429 the first time they are seen; rows ending in 3: already there; row 5 of block 0: bad mapping.
                // Only in full batches: the retry, with just the failed items, succeeds.
                if n % 10 == 7 { return text.split(separator: "\n").count > 60 ? 429 : 201 }
                if n % 10 == 3 { return 409 }
                if id.hasSuffix("-0-5") { return 400 }
                return 201
            })
        }
        let result = Self.run(Self.bulkSink(receiver.url), store: setup.store)
        #expect(result.failure == nil)
        var ids: [String: Int] = [:]
        for request in receiver.requests {
            #expect(request.method == "POST" && request.uri == "/_bulk")
            #expect(request.header("Content-Type") == "application/x-ndjson")
            #expect(request.body.last == 0x0A)
            let lines = request.text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            #expect(lines.count % 2 == 0)
            for action in stride(from: lines.startIndex, to: lines.endIndex, by: 2) {
                let json = try #require(try JSONSerialization.jsonObject(with: Data(lines[action].utf8)) as? [String: Any])
                let create = try #require(json["create"] as? [String: Any])
                #expect(json.count == 1)
                #expect(create["_index"] as? String == "logs-flowlog.flows-default")
                let id = try #require(create["_id"] as? String)
                #expect(id.hasPrefix("flow-"))
                ids[id, default: 0] += 1
                let document = try #require(try JSONSerialization.jsonObject(with: Data(lines[action + 1].utf8)) as? [String: Any])
                #expect(document["@timestamp"] as? String != nil && document["source_ip"] as? String != nil)
            }
        }
        #expect(Set(ids.keys).count == 1_000)
        // The 429'd whole request: 250 sent twice; each 429'd item (rows ending in 7) once more, alone.
        let resentItems = ids.values.filter { $0 > 1 }.count
        #expect(resentItems >= 250)
        #expect(result.metrics.failed == 1)
        #expect(result.metrics.sent == 999)
        #expect(result.metrics.retried == 250 + 100)
        // The retried requests after a per-item 429 carry only the items that failed.
        let small = receiver.requests.dropFirst().filter { $0.text.split(separator: "\n").count <= 60 }
        #expect(!small.isEmpty)
    }

    @Test("_bulk: a receiver down for a while, then back; the second run finds nothing new; ids are stable across runs")
    func bulkOutage() throws {
        let setup = try Self.setup("bulk-outage", count: 300)
        defer { Self.cleanup(setup) }
        let up = ManagedAtomic(false)
        let receiver = try TestReceiver { request, _ in
            guard up.load(ordering: .relaxed) else { return .init(503, "{}") }
            return .init(200, Self.bulkAnswer(request.text) { _ in 201 })
        }
        var sink = Self.bulkSink(receiver.url)
        sink.retryFor = .milliseconds(600)
        let down = Self.run(sink, store: setup.store)
        #expect(down.failure != nil && down.metrics.sent == 0 && down.spooled > 0)
        up.store(true, ordering: .relaxed)
        let back = Self.run(sink, store: setup.store)
        #expect(back.failure == nil && back.metrics.sent == 300 && back.spooled == 0)
        // What was refused while down went again with the same ids.
        let firstAction = receiver.requests.first?.text.split(separator: "\n").first
        #expect(receiver.requests.contains { $0.text.split(separator: "\n").first == firstAction && $0.text != "" })
        #expect(receiver.requests.filter { $0.text.split(separator: "\n").first == firstAction }.count >= 2)
    }
}

/// The agent's way: following a growing store, riding out an outage in the spool, dropping
/// (and counting) the oldest records when the spool is full.
@Suite("SIEM follow mode", .serialized)
struct FollowModeTests {
    static func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(50_000)
        }
        return condition()
    }

    static func start(_ run: SIEMExportRun) -> Thread {
        let thread = Thread { _ = run.run() }
        thread.start()
        return thread
    }

    static func delivered(_ receiver: TestReceiver) -> Set<String> {
        var ids = Set<String>()
        for request in receiver.requests where request.answered == 200 {
            for line in request.text.split(separator: "\n") where line.hasPrefix("{\"create\"") {
                if let range = line.range(of: #""_id":"[^"]+""#, options: .regularExpression) { ids.insert(String(line[range])) }
            }
        }
        return ids
    }

    @Test("new blocks are sent as the store grows; an outage is ridden out in the spool; nothing lost")
    func followsThroughAnOutage() throws {
        let store = TestStore.temporaryDirectory("follow")
        defer { TestStore.remove(store) }
        try TestStore.write(store, count: 1_000, seed: 1)
        let up = ManagedAtomic(true)
        let receiver = try TestReceiver { request, _ in
            guard up.load(ordering: .relaxed) else { return .init(503, "{}") }
            return .init(200, HTTPSinkTests.bulkAnswer(request.text) { _ in 201 })
        }
        var configuration = SIEMConfiguration()
        var sink = HTTPSinkTests.bulkSink(receiver.url)
        sink.batching.time = .milliseconds(100)
        configuration.sinks = [sink]
        let run = SIEMExportRun(configuration: configuration, sources: RecordSources(dataDirectory: store), follow: true,
                                pollInterval: .milliseconds(100), log: { _ in })
        let thread = Self.start(run)
        #expect(Self.waitUntil(seconds: 20) { Self.delivered(receiver).count == 1_000 })
        up.store(false, ordering: .relaxed)
        try TestStore.write(store, count: 1_000, seed: 2)
        // Read into the spool while the receiver refuses.
        #expect(Self.waitUntil(seconds: 20) { run.metrics[0].snapshot.spoolBytes > 0 && run.metrics[0].snapshot.retried > 0 })
        #expect(Self.delivered(receiver).count == 1_000)
        up.store(true, ordering: .relaxed)
        #expect(Self.waitUntil(seconds: 30) { Self.delivered(receiver).count == 2_000 })
        #expect(Self.waitUntil(seconds: 5) { run.metrics[0].snapshot.spoolBytes == 0 })
        run.stop.store(true, ordering: .relaxed)
        #expect(Self.waitUntil(seconds: 10) { thread.isFinished })
        let m = run.metrics[0].snapshot
        #expect(m.sent == 2_000 && m.dropped == 0 && m.failed == 0)
    }

    @Test("a full spool drops its oldest records, counts them, and delivers the rest")
    func fullSpoolDropsOldest() throws {
        let store = TestStore.temporaryDirectory("full-spool")
        defer { TestStore.remove(store) }
        try TestStore.write(store, count: 3_000, seed: 3)
        let up = ManagedAtomic(false)
        let receiver = try TestReceiver { request, _ in
            guard up.load(ordering: .relaxed) else { return .init(503, "{}") }
            return .init(200, HTTPSinkTests.bulkAnswer(request.text) { _ in 201 })
        }
        var configuration = SIEMConfiguration()
        var sink = HTTPSinkTests.bulkSink(receiver.url)
        sink.spoolLimit = 512 << 10
        configuration.sinks = [sink]
        let run = SIEMExportRun(configuration: configuration, sources: RecordSources(dataDirectory: store), follow: true,
                                pollInterval: .milliseconds(100), log: { _ in })
        let thread = Self.start(run)
        #expect(Self.waitUntil(seconds: 20) { run.metrics[0].snapshot.dropped > 0 })
        up.store(true, ordering: .relaxed)
        #expect(Self.waitUntil(seconds: 30) {
            let m = run.metrics[0].snapshot
            return m.spoolBytes == 0 && m.sent + m.dropped == 3_000
        })
        run.stop.store(true, ordering: .relaxed)
        #expect(Self.waitUntil(seconds: 10) { thread.isFinished })
        let m = run.metrics[0].snapshot
        #expect(m.sent + m.dropped == 3_000 && m.sent == UInt64(Self.delivered(receiver).count))
        #expect(m.spoolBytes == 0)
    }
}
