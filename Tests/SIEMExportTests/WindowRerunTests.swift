import Atomics
import FlowCore
import Foundation
import Query
@testable import SIEMConfig
@testable import SIEMExport
import Testing

/// `--since/--until` runs, and running them again: a window is an explicit re-send (sent again
/// each time it finishes), an unfinished one resumes where it stopped instead of starting
/// over, and neither moves the cursors regular runs go by.
@Suite("SIEM windowed runs", .serialized)
struct WindowRerunTests {
    /// Each delivered flow (its event JSON, keys sorted) with how many times it arrived.
    static func delivered(_ receiver: TestReceiver, answered: Int = 200) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for request in receiver.requests where request.answered == answered {
            for event in try HTTPSinkTests.events(request.body) {
                let body = try #require(event["event"] as? [String: Any])
                let data = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
                counts[String(decoding: data, as: UTF8.self), default: 0] += 1
            }
        }
        return counts
    }

    static func sorted(_ json: [String]) throws -> [String] {
        try json.map { text in
            let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
            return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
        }
    }

    static func run(_ sink: SIEMConfiguration.Sink, store: String, window: TimeWindow?) -> SIEMExportRun.SinkResult {
        var configuration = SIEMConfiguration()
        configuration.sinks = [sink]
        configuration.cluster = "test-cluster"
        let run = SIEMExportRun(configuration: configuration, sources: RecordSources(dataDirectory: store, window: window),
                                follow: false, log: { _ in })
        return run.run()[0]
    }

    @Test("a window is sent again when run again; regular runs still send everything once")
    func windowIsResent() throws {
        let setup = try HTTPSinkTests.setup("window", count: 1_000)
        defer { HTTPSinkTests.cleanup(setup) }
        let receiver = try TestReceiver { _, _ in .init(200, #"{"text":"Success","code":0}"#) }
        let sink = HTTPSinkTests.hecSink(receiver.url, tokenFile: setup.tokenFile)
        let window = TimeWindow(since: setup.flows[300].flow.start, until: setup.flows[700].flow.start)
        let inWindow = try Self.sorted(TestStore.json(setup.flows.filter { window.contains($0.flow) }))
        let all = try Self.sorted(TestStore.json(setup.flows))
        #expect(inWindow.count > 350 && inWindow.count < 1_000, "\(inWindow.count)")

        let first = Self.run(sink, store: setup.store, window: window)
        #expect(first.failure == nil && first.metrics.sent == UInt64(inWindow.count))
        var counts = try Self.delivered(receiver)
        #expect(counts.keys.sorted() == inWindow.sorted() && counts.values.allSatisfy { $0 == 1 })

        // The same window again: an explicit re-send, every record once more.
        let again = Self.run(sink, store: setup.store, window: window)
        #expect(again.failure == nil && again.metrics.sent == UInt64(inWindow.count))
        counts = try Self.delivered(receiver)
        #expect(counts.keys.sorted() == inWindow.sorted() && counts.values.allSatisfy { $0 == 2 })

        // Windows moved no cursor: a regular run sends everything, then nothing.
        let regular = Self.run(sink, store: setup.store, window: nil)
        #expect(regular.failure == nil && regular.metrics.sent == 1_000)
        counts = try Self.delivered(receiver)
        #expect(counts.keys.sorted() == all.sorted())
        #expect(counts.values.reduce(0, +) == 1_000 + 2 * inWindow.count)
        let nothing = Self.run(sink, store: setup.store, window: nil)
        #expect(nothing.metrics.sent == 0)
    }

    @Test("an interrupted window run, run again, resumes: each record of the window arrives once")
    func interruptedWindowResumes() throws {
        let setup = try HTTPSinkTests.setup("window-resume", count: 1_500)
        defer { HTTPSinkTests.cleanup(setup) }
        // Down at first: the first run reads (part of) the window into the spool and gives up.
        let up = ManagedAtomic(false)
        let receiver = try TestReceiver { _, _ in
            up.load(ordering: .relaxed) ? .init(200, #"{"text":"Success","code":0}"#) : .init(503, #"{"text":"Server is busy","code":9}"#)
        }
        var sink = HTTPSinkTests.hecSink(receiver.url, tokenFile: setup.tokenFile)
        sink.retryFor = .milliseconds(400)
        let window = TimeWindow(since: setup.flows[100].flow.start, until: setup.flows[1_400].flow.start)
        let inWindow = try Self.sorted(TestStore.json(setup.flows.filter { window.contains($0.flow) }))

        let down = Self.run(sink, store: setup.store, window: window)
        #expect(down.failure != nil && down.metrics.sent == 0 && down.spooled > 0)
        up.store(true, ordering: .relaxed)
        let resumed = Self.run(sink, store: setup.store, window: window)
        #expect(resumed.failure == nil, "\(resumed.failure ?? "")")
        var counts = try Self.delivered(receiver)
        #expect(counts.keys.sorted() == inWindow.sorted())
        #expect(counts.values.allSatisfy { $0 == 1 }, "\(counts.values.filter { $0 > 1 }.count) records arrived twice")

        // Finished: the same window once more is a re-send.
        let again = Self.run(sink, store: setup.store, window: window)
        #expect(again.metrics.sent == UInt64(inWindow.count))
        counts = try Self.delivered(receiver)
        #expect(counts.values.allSatisfy { $0 == 2 })

        // Another window (or a duration, which resolves to other times) starts afresh.
        let other = TimeWindow(since: setup.flows[100].flow.start, until: setup.flows[200].flow.start)
        let otherRun = Self.run(sink, store: setup.store, window: other)
        #expect(otherRun.metrics.sent == UInt64(setup.flows.filter { other.contains($0.flow) }.count))
    }
}
