import FlowCore

/// How a batch fared at the receiver.
struct SendOutcome {
    /// Entries to send again (an Elasticsearch item answered 429 or 5xx).
    var retry: [Int] = []
    /// Entries refused for good, with the receiver's reason (counted as failed, never resent).
    var rejected: [(index: Int, reason: String)] = []

    static let accepted = SendOutcome()
}

/// A failure worth retrying: the receiver is down, slow, busy or refusing for now.
struct SinkUnavailable: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// One receiver's wire protocol. Called from the sink's own thread; blocking.
protocol SinkTransport: AnyObject {
    /// Sends the entries of `batch` (all, or `only` those indices) in order. Throws
    /// `SinkUnavailable` when none may be taken as delivered.
    func send(_ batch: SinkSpool.Batch, only: [Int]?) throws -> SendOutcome
    /// For connection-oriented transports: everything sent so far has reached the receiver's
    /// application, as far as the protocol can tell (a graceful close for syslog over TCP).
    func finish()
    func close()
}
