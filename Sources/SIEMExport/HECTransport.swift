#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FlowCore
import AsyncHTTPClient
import Foundation
import NIOCore
import SIEMConfig

/// Splunk HTTP Event Collector: a batch is one `POST /services/collector/event` with the
/// events stacked (`HECEvent`) and `Authorization: Splunk <token>`.
///
/// - 200: taken. With indexer acknowledgement on, the answer's `ackId` is polled at
///   `POST /services/collector/ack` (`{"acks":[id]}`, the same `X-Splunk-Request-Channel`
///   header) until Splunk says it is indexed; a batch not acknowledged within `ack-timeout` is
///   sent again.
/// - 400 naming an `invalid-event-number`: HEC indexed the events before it and refuses that
///   one for good; the rest of the batch is sent again.
/// - Anything else (401/403 a wrong token, 429/503 busy, 5xx, no connection): the whole batch
///   waits and is retried with backoff; nothing is lost.
final class HECTransport: SinkTransport {
    let http: HTTPSink
    let channel: String
    let acknowledge: Bool
    let acknowledgeTimeout: Duration
    /// The request body, kept for the next batch (see `SyslogTransport.frames`).
    private var body: ByteBuffer?
    /// The batch `start` posted: the request, the entries it carried and its body.
    private var posting: (EventLoopFuture<HTTPClient.Response>, [Int], ByteBuffer)?

    init(sink: SIEMConfiguration.Sink, channel: String) throws {
        http = try HTTPSink(sink: sink, scheme: "Splunk")
        self.channel = channel
        acknowledge = sink.splunk.acknowledge
        acknowledgeTimeout = sink.splunk.acknowledgeTimeout
    }

    func close() {}
    func finish() {}

    private var headers: [(String, String)] {
        [("Content-Type", "application/json"), ("X-Splunk-Request-Channel", channel)]
    }

    func start(_ batch: SinkSpool.Batch, only: [Int]?) throws {
        let indices = only ?? Array(batch.entries.indices)
        let body = self.body(batch, indices)
        // Not waited for here: the worker renders the next batch while this one is posted.
        posting = (try http.start("/services/collector/event", body: body, headers: headers), indices, body)
    }

    func complete(_ batch: SinkSpool.Batch) throws -> SendOutcome {
        guard let (request, sentIndices, sentBody) = posting else { throw SinkUnavailable("no batch was started") }
        posting = nil
        var indices = sentIndices
        var (status, answer) = try http.answer(to: request)
        body = sentBody
        var outcome = SendOutcome()
        while true {
            let json = HTTPSink.json(answer)
            if status == 200 {
                if acknowledge {
                    guard let ackID = HTTPSink.integer(json?["ackId"]) else {
                        throw SinkUnavailable("HEC answered without an ackId although acknowledgement is on (is useACK enabled for the token?)")
                    }
                    try awaitAcknowledgement(ackID)
                }
                return outcome
            }
            guard status == 400, let invalid = HTTPSink.integer(json?["invalid-event-number"]), invalid >= 0, Int(invalid) < indices.count else {
                throw SinkUnavailable("HEC answered \(status): \(HTTPSink.excerpt(answer))")
            }
            // Events before the invalid one were indexed; that one never will be.
            let bad = Int(invalid)
            outcome.rejected.append((indices[bad], "HEC: \(json?["text"] as? String ?? "invalid event")"))
            indices = Array(indices[(bad + 1)...])
            if indices.isEmpty { return outcome }
            let rest = self.body(batch, indices)
            (status, answer) = try http.post("/services/collector/event", body: rest, headers: headers)
            body = rest
        }
    }

    /// The events of `indices`, stacked, in the buffer the previous batch used.
    private func body(_ batch: SinkSpool.Batch, _ indices: [Int]) -> ByteBuffer {
        var body = self.body ?? ByteBuffer()
        self.body = nil
        body.clear()
        body.reserveCapacity(indices.count == batch.entries.count ? batch.payloadBytes : indices.reduce(0) { $0 + batch.entries[$1].range.count })
        for i in indices { batch.payload(i).withUnsafeBytes { _ = body.writeBytes($0) } }
        return body
    }

    private func awaitAcknowledgement(_ id: Int64) throws {
        let clock = ContinuousClock()
        let deadline = clock.now + acknowledgeTimeout
        var wait = Duration.milliseconds(50)
        while clock.now < deadline {
            let (status, answer) = try http.post("/services/collector/ack", body: Array("{\"acks\":[\(id)]}".utf8), headers: headers)
            guard status == 200 else { throw SinkUnavailable("HEC acknowledgement poll answered \(status): \(HTTPSink.excerpt(answer))") }
            if let acks = HTTPSink.json(answer)?["acks"] as? [String: Any], HTTPSink.isTrue(acks[String(id)]) { return }
            let (s, atto) = wait.components
            usleep(UInt32(s * 1_000_000 + atto / 1_000_000_000_000))
            wait = min(wait * 2, .seconds(2))
        }
        throw SinkUnavailable("HEC did not acknowledge batch \(id) within \(DurationText.format(acknowledgeTimeout)); sending it again")
    }
}
