import FlowCore
import Foundation
import Synchronization
@testable import SIEMConfig
@testable import SIEMExport
import Testing

/// The sink renders the next batch while one is on the wire (`SinkTransport.start`, then
/// `complete`): at most one batch in flight, reading does go on meanwhile, a batch whose
/// completion fails is sent again whole, and every record arrives once, in order.
@Suite("SIEM delivery overlaps rendering")
struct DeliveryOverlapTests {
    /// Records what the worker asks of a transport; the second completion fails once.
    final class RecordingTransport: SinkTransport {
        /// Spool positions are not visible here; the spool directory's size stands for how far
        /// reading has got.
        let spoolDirectory: String
        var inFlight: [String]?
        var overlapped = 0
        var startedWhileInFlight = 0
        var completions = 0
        var delivered: [String] = []
        var bytesAtStart = 0

        init(spoolDirectory: String) { self.spoolDirectory = spoolDirectory }

        func spooledBytes() -> Int {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: spoolDirectory)) ?? []
            return names.filter { $0.hasSuffix(".spool") }.reduce(0) { total, name in
                total + ((try? FileManager.default.attributesOfItem(atPath: spoolDirectory + "/" + name)[.size] as? Int) ?? 0)
            }
        }

        func start(_ batch: SinkSpool.Batch, only: [Int]?) throws {
            if inFlight != nil { startedWhileInFlight += 1 }
            inFlight = (only ?? Array(batch.entries.indices)).map { String(decoding: batch.payload($0), as: UTF8.self) }
            bytesAtStart = spooledBytes()
        }

        func complete(_ batch: SinkSpool.Batch) throws -> SendOutcome {
            guard let sent = inFlight else { throw SinkUnavailable("nothing in flight") }
            inFlight = nil
            // Spooled bytes grew between start and complete: the next batch was rendered meanwhile
            // (delivered chunks are deleted only after a completion, so growth is reading).
            if spooledBytes() > bytesAtStart { overlapped += 1 }
            completions += 1
            if completions == 2 { throw SinkUnavailable("receiver went away") }
            delivered += sent
            return .accepted
        }

        func finish() {}
        func close() {}
    }

    @Test("one batch in flight, the next rendered meanwhile, a failed one resent whole, every record once in order")
    func overlapped() throws {
        let store = TestStore.temporaryDirectory("overlap")
        defer { TestStore.remove(store) }
        let flows = try TestStore.write(store, count: 4_000)
        var sink = SIEMConfiguration.Sink(name: "overlap", type: .syslog)
        sink.address = "127.0.0.1:9"
        sink.transport = .tcp
        sink.batching.count = 300
        sink.retryFor = .seconds(20)
        var configuration = SIEMConfiguration()
        configuration.sinks = [sink]
        configuration.spoolDirectory = store + "/spool-root"
        let transport = RecordingTransport(spoolDirectory: store + "/spool-root/overlap")
        let run = SIEMExportRun(configuration: configuration, sources: RecordSources(dataDirectory: store), follow: false, log: { _ in })
        let result = run.runSink(sink, metrics: run.metrics[0], transport: transport)
        #expect(result.failure == nil)
        #expect(transport.startedWhileInFlight == 0)
        #expect(transport.overlapped > 0, "no batch was rendered while another was in flight")
        // Each delivered message ends with the flow's JSON, in store order, each once.
        let expected = TestStore.json(flows)
        #expect(transport.delivered.count == expected.count)
        #expect(zip(transport.delivered, expected).allSatisfy { $0.hasSuffix("] " + $1) })
        #expect(result.metrics.sent == UInt64(flows.count))
        #expect(result.metrics.retried >= 300)
    }
}
