import FlowCore
import Foundation
import SIEMConfig

/// Elasticsearch / OpenSearch `POST /_bulk` with the batch's items (`BulkItem`) as NDJSON.
///
/// The answer's `items` are read one by one, in order: 200/201 is indexed, 409 means a
/// document with that `_id` is already there (a retry of something that arrived) and counts
/// as sent; 429 and 5xx items are sent again (only those); any other status refuses the item
/// for good (a mapping conflict, a closed index) and is counted as failed with the reason.
/// A whole request answered 429, 5xx or not at all is retried whole; duplicates cannot arise
/// because every `_id` is deterministic.
final class BulkTransport: SinkTransport {
    let http: HTTPSink
    private var sent = SynchronousSend()

    init(sink: SIEMConfiguration.Sink) throws {
        http = try HTTPSink(sink: sink, scheme: "ApiKey")
    }

    func close() {}
    func finish() {}

    func start(_ batch: SinkSpool.Batch, only: [Int]?) throws {
        try sent.run { try post(batch, only: only) }
    }

    func complete(_ batch: SinkSpool.Batch) throws -> SendOutcome { try sent.take() }

    private func post(_ batch: SinkSpool.Batch, only: [Int]?) throws -> SendOutcome {
        let indices = only ?? Array(batch.entries.indices)
        var body: [UInt8] = []
        body.reserveCapacity(indices.reduce(0) { $0 + batch.entries[$1].range.count })
        for i in indices { body += batch.payload(i) }
        let (status, answer) = try http.post("/_bulk", body: body, headers: [("Content-Type", "application/x-ndjson")])
        guard status == 200 else { throw SinkUnavailable("_bulk answered \(status): \(HTTPSink.excerpt(answer))") }
        guard let json = HTTPSink.json(answer), let items = json["items"] as? [Any], items.count == indices.count else {
            throw SinkUnavailable("_bulk answered 200 without one item per document: \(HTTPSink.excerpt(answer))")
        }
        var outcome = SendOutcome()
        if !HTTPSink.isTrue(json["errors"]) { return outcome }
        for (position, item) in items.enumerated() {
            guard let actions = item as? [String: Any], let result = actions.values.first as? [String: Any],
                  let itemStatus = HTTPSink.integer(result["status"]) else {
                outcome.retry.append(indices[position])
                continue
            }
            switch itemStatus {
            case 200, 201, 409: continue
            case 429, 500...599: outcome.retry.append(indices[position])
            default:
                let error = result["error"] as? [String: Any]
                let reason = [error?["type"] as? String, error?["reason"] as? String].compactMap { $0 }.joined(separator: ": ")
                outcome.rejected.append((indices[position], "status \(itemStatus)\(reason.isEmpty ? "" : " " + reason)"))
            }
        }
        return outcome
    }
}
