#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FlowCore
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

    func send(_ batch: SinkSpool.Batch, only: [Int]?) throws -> SendOutcome {
        var indices = only ?? Array(batch.entries.indices)
        var outcome = SendOutcome()
        while !indices.isEmpty {
            var body = self.body ?? ByteBuffer()
            self.body = nil
            body.clear()
            body.reserveCapacity(only == nil ? batch.payloadBytes : indices.reduce(0) { $0 + batch.entries[$1].range.count })
            for i in indices { batch.payload(i).withUnsafeBytes { _ = body.writeBytes($0) } }
            let (status, answer) = try http.post("/services/collector/event", body: body, headers: headers)
            self.body = body
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
            if status == 400, let invalid = HTTPSink.integer(json?["invalid-event-number"]),
               invalid >= 0, Int(invalid) < indices.count {
                // Events before the invalid one were indexed; that one never will be.
                let bad = Int(invalid)
                outcome.rejected.append((indices[bad], "HEC: \(json?["text"] as? String ?? "invalid event")"))
                indices = Array(indices[(bad + 1)...])
                continue
            }
            throw SinkUnavailable("HEC answered \(status): \(HTTPSink.excerpt(answer))")
        }
        return outcome
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
